"""Users and their roles."""

from __future__ import annotations

from fastapi import APIRouter
from vigil.server.api.deps import CurrentUser, Db
from vigil.server.schemas.users import UserCreate, UserPublic
from vigil.server.services import users

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def list_users(principal: CurrentUser, db: Db) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in users.list_users(db, principal)]


@router.post("", response_model=UserPublic, status_code=201)
def create_user(data: UserCreate, principal: CurrentUser, db: Db) -> UserPublic:
    return UserPublic.model_validate(users.create_user(db, principal, data))


@router.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: int, principal: CurrentUser, db: Db) -> UserPublic:
    return UserPublic.model_validate(users.get_user(db, principal, user_id))
