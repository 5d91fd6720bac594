"""API models of the service desk: tickets, their log, actions, parts, surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator
from vigil.server.db.models import TicketSource, TicketStatus
from vigil.server.schemas.base import Out, StrictIn, input_utc

# Row ids are 32-bit integers in the database: larger values are refused here, not by the driver.
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Grade = Literal["high", "medium", "low"]
Priority = Literal["P1", "P2", "P3", "P4"]


class TicketCreate(StrictIn):
    customer_id: DbId
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    source: Literal["phone", "email", "web", "api"] = "api"
    priority: Priority | None = None
    urgency: Grade | None = None
    impact: Grade | None = None
    device_id: DbId | None = None
    site_id: DbId | None = None
    skill: str | None = Field(default=None, max_length=64)
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_email: EmailStr | None = None
    reporter_phone: str | None = Field(default=None, max_length=32)


class ClockOut(Out):
    target_seconds: float
    elapsed_seconds: float
    left_seconds: float
    paused: bool
    stopped: bool
    breached: bool
    due_at: datetime | None


class TicketPublic(Out):
    id: int
    number: str
    customer_id: DbId
    site_id: int | None
    device_id: int | None
    title: str
    description: str
    status: TicketStatus
    priority: str
    severity: str | None
    source: TicketSource
    rule_id: str | None
    occurrences: int
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    tier: int
    vendor_case_number: str | None
    vendor_deadline: datetime | None
    response: ClockOut
    resolution: ClockOut
    at_risk: bool


class EventPublic(Out):
    id: int
    at: datetime
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    note: str | None
    data: dict[str, Any]


class CommentIn(StrictIn):
    text: str = Field(min_length=1, max_length=20_000)
    public: bool = False


class StatusIn(StrictIn):
    status: Literal["assigned", "in_progress", "waiting_customer", "waiting_vendor"]
    note: str | None = Field(default=None, max_length=4000)


class NoteIn(StrictIn):
    note: str | None = Field(default=None, max_length=4000)


class AssignIn(StrictIn):
    assignee_id: DbId
    note: str | None = Field(default=None, max_length=4000)


class EscalateIn(StrictIn):
    to_tier: Literal[2, 3]
    note: str | None = Field(default=None, max_length=4000)
    assignee_id: DbId | None = None
    vendor_name: str | None = Field(default=None, max_length=128)
    vendor_case_number: str | None = Field(default=None, max_length=128)
    vendor_deadline: datetime | None = None

    @field_validator("vendor_deadline")
    @classmethod
    def _sane_deadline(cls, value: datetime | None) -> datetime | None:
        return None if value is None else input_utc(value)


class PriorityIn(StrictIn):
    priority: Priority | None = None
    urgency: Grade | None = None
    impact: Grade | None = None
    note: str | None = Field(default=None, max_length=4000)


class PartIn(StrictIn):
    part: str = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1, le=10_000)
    origin: Literal["domestic", "abroad"] = "domestic"


class PartPublic(Out):
    id: int
    part: str
    quantity: int
    origin: str
    requested_at: datetime
    promised_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    late: bool


class ScoresIn(StrictIn):
    overall: int = Field(ge=1, le=5)
    speed: int = Field(ge=1, le=5)
    quality: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)


class SurveyResult(Out):
    key: str
    answers: int
    overall_avg: float
    speed_avg: float
    quality_avg: float
