"""Users, logins and API tokens as the API sees them."""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, Field
from vigil.server.db.models import Role
from vigil.server.schemas.base import Out, StrictIn


class UserCreate(StrictIn):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=8, max_length=256)
    language: str = Field(default="zh", pattern=r"^(zh|en)$")
    phone: str | None = Field(default=None, max_length=32)
    customer_ids: list[int] = Field(default_factory=list)
    all_customers: bool = False


class UserPublic(Out):
    id: int
    email: str
    name: str
    role: Role
    language: str
    active: bool
    all_customers: bool


class LoginIn(StrictIn):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class TokenCreate(StrictIn):
    name: str = Field(default="", max_length=100)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(Out):
    token: str
    expires_at: datetime | None
