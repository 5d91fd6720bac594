"""Customers, sites and contracts as the API sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import EmailStr, Field, field_validator
from vigil.server.schemas.base import Out, StrictIn

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class CustomerCreate(StrictIn):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    language: str = Field(default="zh", pattern=r"^(zh|en)$")
    timezone: str = "Asia/Shanghai"
    report_contacts: list[EmailStr] = Field(default_factory=list, max_length=20)
    notice_contacts: list[EmailStr] = Field(default_factory=list, max_length=20)

    _tz = field_validator("timezone")(_check_timezone)


class CustomerUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: str | None = Field(default=None, pattern=r"^(zh|en)$")
    timezone: str | None = None
    report_contacts: list[EmailStr] | None = Field(default=None, max_length=20)
    notice_contacts: list[EmailStr] | None = Field(default=None, max_length=20)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class CustomerPublic(Out):
    id: int
    slug: str
    name: str
    language: str
    timezone: str
    report_contacts: list[str]
    notice_contacts: list[str]
    created_at: datetime


class SiteCreate(StrictIn):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=400)


class SitePublic(Out):
    id: int
    customer_id: int
    slug: str
    name: str
    address: str | None


class ContractCreate(StrictIn):
    number: str = Field(min_length=1, max_length=64)
    sla_level: str = Field(default="gold", min_length=1, max_length=32)
    starts_on: datetime | None = None
    ends_on: datetime | None = None
    terms: dict[str, Any] = Field(default_factory=dict)


class ContractPublic(Out):
    id: int
    customer_id: int
    number: str
    sla_level: str
    starts_on: datetime | None
    ends_on: datetime | None
    terms: dict[str, Any]
    active: bool
