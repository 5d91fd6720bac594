"""Tickets: the queue, one ticket with its SLA clocks, its log, and every desk action.

Handlers parse, authorise through vigil.server.tickets.desk and call the ticket services.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as FastApiPath
from sqlalchemy import select
from vigil.server.api.deps import CurrentUser, Db
from vigil.server.db.base import utcnow
from vigil.server.db.models import Role, Ticket, TicketEvent
from vigil.server.errors import Forbidden
from vigil.server.schemas.tickets import (
    AssignIn,
    ClockOut,
    CommentIn,
    EscalateIn,
    EventPublic,
    NoteIn,
    PartIn,
    PartPublic,
    PriorityIn,
    ScoresIn,
    StatusIn,
    SurveyResult,
    TicketCreate,
    TicketPublic,
)
from vigil.server.tickets import assignment, desk, parts, service, surveys
from vigil.server.tickets.config import DeskSettings

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
# Row ids are 32-bit integers in the database: larger values are refused here, not by the driver.
TicketId = Annotated[int, FastApiPath(ge=1, le=2**31 - 1)]
PartId = Annotated[int, FastApiPath(ge=1, le=2**31 - 1)]


def get_desk_settings(request: Request) -> DeskSettings:
    settings: DeskSettings = request.app.state.desk
    return settings


DeskCfg = Annotated[DeskSettings, Depends(get_desk_settings)]


def public(row: desk.QueueRow) -> TicketPublic:
    t = row.ticket

    def clock(c: object) -> ClockOut:
        return ClockOut.model_validate(
            {k: getattr(c, k) for k in ("target_seconds", "elapsed_seconds", "left_seconds", "paused", "stopped",
                                        "breached", "due_at")}
        )

    return TicketPublic(
        id=t.id, number=t.number, customer_id=t.customer_id, site_id=t.site_id, device_id=t.device_id,
        title=t.title, description=t.description, status=t.status, priority=t.priority, severity=t.severity,
        source=t.source, rule_id=t.rule_id, occurrences=t.occurrences, assignee_id=t.assignee_id,
        created_at=t.created_at, updated_at=t.updated_at, resolved_at=t.resolved_at, closed_at=t.closed_at,
        tier=row.desk.tier, vendor_case_number=row.desk.vendor_case_number, vendor_deadline=row.desk.vendor_deadline,
        response=clock(row.response), resolution=clock(row.resolution), at_risk=row.at_risk,
    )


@router.get("", response_model=list[TicketPublic])
def list_tickets(principal: CurrentUser, db: Db, mine: bool = False, include_done: bool = False,
                 tier: Annotated[int | None, Query(ge=1, le=3)] = None) -> list[TicketPublic]:
    return [public(r) for r in desk.queue(db, principal, utcnow(), mine=mine, include_done=include_done, tier=tier)]


@router.post("", response_model=TicketPublic, status_code=201)
def create_ticket(data: TicketCreate, principal: CurrentUser, db: Db) -> TicketPublic:
    now = utcnow()
    ticket = desk.create(db, principal, data, now)
    return public(desk.row_for(db, ticket, now))


@router.get("/survey-results", response_model=list[SurveyResult])
def survey_results(principal: CurrentUser, db: Db,
                   by: Literal["engineer", "customer", "quarter", "year"] = "engineer") -> list[SurveyResult]:
    desk.require_worker(principal)
    return [SurveyResult.model_validate(r) for r in surveys.results(db, principal.customer_ids, by)]


@router.get("/{ticket_id}", response_model=TicketPublic)
def get_ticket(ticket_id: TicketId, principal: CurrentUser, db: Db) -> TicketPublic:
    return public(desk.row_for(db, desk.get_ticket(db, principal, ticket_id), utcnow()))


@router.get("/{ticket_id}/events", response_model=list[EventPublic])
def ticket_events(ticket_id: TicketId, principal: CurrentUser, db: Db) -> list[EventPublic]:
    ticket = desk.get_ticket(db, principal, ticket_id)
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    events = [EventPublic.model_validate(e) for e in db.scalars(query)]
    if principal.role is Role.customer_viewer:  # internal notes and delivery details stay inside
        events = [e for e in events if e.action != "comment" or e.data.get("public")]
        events = [e for e in events if e.action not in ("notification", "notification_queued")]
    return events


@router.post("/{ticket_id}/comments", response_model=EventPublic, status_code=201)
def add_comment(ticket_id: TicketId, data: CommentIn, principal: CurrentUser, db: Db) -> EventPublic:
    ticket = desk.get_ticket(db, principal, ticket_id)
    public_reply = data.public or principal.role is Role.customer_viewer
    event = service.comment(db, ticket, data.text, actor=principal.actor, actor_user_id=principal.user_id,
                            public=public_reply)
    return EventPublic.model_validate(event)


def _act(db: Db, principal: CurrentUser, ticket_id: int) -> tuple[Ticket, str, int]:
    ticket = desk.get_ticket(db, principal, ticket_id)
    desk.require_worker(principal)
    return ticket, principal.actor, principal.user_id


@router.post("/{ticket_id}/status", response_model=TicketPublic)
def set_status(ticket_id: TicketId, data: StatusIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    service.change_status(db, ticket, data.status, actor=actor, actor_user_id=uid, note=data.note)
    return public(desk.row_for(db, ticket, utcnow()))


@router.post("/{ticket_id}/resolve", response_model=TicketPublic)
def resolve(ticket_id: TicketId, data: NoteIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    service.resolve_ticket(db, ticket, actor=actor, actor_user_id=uid, note=data.note)
    return public(desk.row_for(db, ticket, utcnow()))


@router.post("/{ticket_id}/reopen", response_model=TicketPublic)
def reopen(ticket_id: TicketId, data: NoteIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket = desk.get_ticket(db, principal, ticket_id)
    desk.require_dispatch(principal)
    service.reopen_ticket(db, ticket, actor=principal.actor, actor_user_id=principal.user_id, note=data.note)
    return public(desk.row_for(db, ticket, utcnow()))


@router.post("/{ticket_id}/close", response_model=TicketPublic)
def close(ticket_id: TicketId, data: NoteIn, principal: CurrentUser, db: Db, cfg: DeskCfg) -> TicketPublic:
    ticket = desk.get_ticket(db, principal, ticket_id)
    desk.require_dispatch(principal)
    now = utcnow()
    service.close_ticket(db, ticket, actor=principal.actor, actor_user_id=principal.user_id, note=data.note, now=now)
    surveys.on_close(db, ticket, base_url=cfg.base_url, valid_days=cfg.survey_valid_days, now=now)
    return public(desk.row_for(db, ticket, now))


@router.post("/{ticket_id}/assign", response_model=TicketPublic)
def assign(ticket_id: TicketId, data: AssignIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    desk.may_assign(principal, data.assignee_id)
    assignment.assign(db, ticket, data.assignee_id, actor=actor, actor_user_id=uid, note=data.note)
    return public(desk.row_for(db, ticket, utcnow()))


@router.post("/{ticket_id}/escalate", response_model=TicketPublic)
def escalate(ticket_id: TicketId, data: EscalateIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    if data.assignee_id is not None:
        desk.may_assign(principal, data.assignee_id)
    assignment.escalate(db, ticket, actor=actor, actor_user_id=uid, **data.model_dump())
    return public(desk.row_for(db, ticket, utcnow()))


@router.post("/{ticket_id}/priority", response_model=TicketPublic)
def priority(ticket_id: TicketId, data: PriorityIn, principal: CurrentUser, db: Db) -> TicketPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    service.change_priority(db, ticket, actor=actor, actor_user_id=uid, **data.model_dump())
    return public(desk.row_for(db, ticket, utcnow()))


def _part_out(part: parts.SparePart) -> PartPublic:
    return PartPublic(id=part.id, part=part.part, quantity=part.quantity, origin=part.origin,
                      requested_at=part.requested_at, promised_at=part.promised_at, shipped_at=part.shipped_at,
                      delivered_at=part.delivered_at, late=parts.is_late(part, utcnow()))


@router.get("/{ticket_id}/parts", response_model=list[PartPublic])
def list_parts(ticket_id: TicketId, principal: CurrentUser, db: Db) -> list[PartPublic]:
    ticket = desk.get_ticket(db, principal, ticket_id)
    return [_part_out(p) for p in parts.parts_of(db, ticket)]


@router.post("/{ticket_id}/parts", response_model=PartPublic, status_code=201)
def request_part(ticket_id: TicketId, data: PartIn, principal: CurrentUser, db: Db) -> PartPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    return _part_out(parts.request_part(db, ticket, actor=actor, actor_user_id=uid, **data.model_dump()))


@router.post("/{ticket_id}/parts/{part_id}/{step}", response_model=PartPublic)
def mark_part(ticket_id: TicketId, part_id: PartId, step: Literal["shipped", "delivered"], principal: CurrentUser,
              db: Db) -> PartPublic:
    ticket, actor, uid = _act(db, principal, ticket_id)
    return _part_out(parts.mark_part(db, ticket, part_id, step, actor=actor, actor_user_id=uid))


@router.post("/{ticket_id}/callback", status_code=201)
def phone_callback(ticket_id: TicketId, data: ScoresIn, principal: CurrentUser, db: Db) -> dict[str, str]:
    ticket = desk.get_ticket(db, principal, ticket_id)
    if principal.role not in desk.DISPATCH:
        raise Forbidden("the desk (L1) records call-backs")
    surveys.record_callback(db, ticket, recorded_by=principal.user_id, scores=(data.overall, data.speed, data.quality),
                            comment=data.comment, now=utcnow())
    return {"status": "recorded"}
