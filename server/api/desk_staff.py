"""The desk's people: tiers, skills, team leads and managers (``desk_staff``), and the on-call
rota. Admins and L1 dispatchers manage them; every staff member may read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as FastApiPath
from pydantic import Field, field_validator
from sqlalchemy import select
from vigil.server.api.deps import CurrentUser, Db
from vigil.server.db.models import User, UserCustomer
from vigil.server.errors import InvalidInput, NotFound
from vigil.server.schemas.base import Out, StrictIn, input_utc
from vigil.server.schemas.tickets import DbId
from vigil.server.services.principal import Principal
from vigil.server.tickets import assignment, desk
from vigil.server.tickets.models import DeskStaff, OnCallShift

router = APIRouter(prefix="/api/v1/desk", tags=["desk"])
UserId = Annotated[int, FastApiPath(ge=1, le=2**31 - 1)]


class StaffIn(StrictIn):
    tier: int = Field(ge=1, le=3)
    skills: list[str] = Field(default_factory=list, max_length=50)
    team_lead_id: DbId | None = None
    manager_id: DbId | None = None


class StaffPublic(Out):
    user_id: int
    tier: int
    skills: list[str]
    team_lead_id: int | None
    manager_id: int | None


class ShiftIn(StrictIn):
    user_id: DbId
    tier: int = Field(default=2, ge=1, le=3)
    starts_at: datetime
    duration_hours: int = Field(ge=1, le=14 * 24)

    @field_validator("starts_at")
    @classmethod
    def _sane(cls, value: datetime) -> datetime:
        moment = input_utc(value)
        if moment.year >= 9999:
            raise ValueError("out of range")
        return moment


class ShiftPublic(Out):
    id: int
    user_id: int
    tier: int
    starts_at: datetime
    ends_at: datetime


def _visible(db: Db, principal: Principal, user: User) -> bool:
    """Provider-wide staff are visible to all staff; others to those who share a customer."""
    if principal.customer_ids is None or user.all_customers:
        return True
    linked = db.scalars(select(UserCustomer.customer_id).where(UserCustomer.user_id == user.id))
    return bool(principal.customer_ids & set(linked))


def _staff_user(db: Db, principal: Principal, user_id: int | None, what: str) -> None:
    if user_id is None:
        return
    user = db.get(User, user_id)
    if user is None or not _visible(db, principal, user):
        raise NotFound(f"{what}: user not found")
    if user.role not in assignment.STAFF:
        raise InvalidInput(f"{what} does not name a staff member")


@router.get("/staff", response_model=list[StaffPublic])
def list_staff(principal: CurrentUser, db: Db) -> list[StaffPublic]:
    desk.require_worker(principal)
    rows = db.execute(select(DeskStaff, User).join(User, User.id == DeskStaff.user_id).order_by(DeskStaff.user_id))
    return [StaffPublic.model_validate(s) for s, user in rows if _visible(db, principal, user)]


@router.put("/staff/{user_id}", response_model=StaffPublic)
def put_staff(user_id: UserId, data: StaffIn, principal: CurrentUser, db: Db) -> StaffPublic:
    desk.require_dispatch(principal)
    _staff_user(db, principal, user_id, "user_id")
    _staff_user(db, principal, data.team_lead_id, "team_lead_id")
    _staff_user(db, principal, data.manager_id, "manager_id")
    row = db.get(DeskStaff, user_id) or DeskStaff(user_id=user_id)
    row.tier, row.skills = data.tier, sorted({s.strip() for s in data.skills if s.strip()})
    row.team_lead_id, row.manager_id = data.team_lead_id, data.manager_id
    db.add(row)
    db.flush()
    return StaffPublic.model_validate(row)


@router.get("/oncall", response_model=list[ShiftPublic])
def list_shifts(principal: CurrentUser, db: Db) -> list[ShiftPublic]:
    desk.require_worker(principal)
    rows = db.execute(select(OnCallShift, User).join(User, User.id == OnCallShift.user_id)
                      .order_by(OnCallShift.starts_at))
    return [ShiftPublic.model_validate(s) for s, user in rows if _visible(db, principal, user)]


@router.post("/oncall", response_model=ShiftPublic, status_code=201)
def add_shift(data: ShiftIn, principal: CurrentUser, db: Db) -> ShiftPublic:
    desk.require_dispatch(principal)
    _staff_user(db, principal, data.user_id, "user_id")
    ends_at = data.starts_at + timedelta(hours=data.duration_hours)
    shift = assignment.add_shift(db, data.user_id, data.tier, data.starts_at, ends_at)
    return ShiftPublic.model_validate(shift)
