"""The service desk's own tables, side tables keyed by ticket (migration 0003_desk).

- ``ticket_desk``: one row per ticket: tier, contract, urgency x impact, response time, cached
  deadlines (for the queue and the reminder scan), the L3 vendor case, the reporter.
- ``ticket_pauses``: intervals the SLA clocks stood still (waiting on customer or vendor, resolved).
- ``ticket_reminders``: each reminder share fired once per ticket and clock.
- ``desk_staff``, ``oncall_shifts``: tiers, skills, team leads, managers and the on-call rota.
- ``spare_parts``: parts requested on a ticket and their delivery.
- ``ticket_mail``: Message-IDs of mails on a ticket, so replies thread and duplicates drop.
- ``surveys``: satisfaction surveys with a one-time, expiring token.

The notification outbox is in vigil.server.notify.models (same migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from vigil.server.db.base import Base, UtcDateTime, utcnow


class TicketDesk(Base):
    __tablename__ = "ticket_desk"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=1)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="SET NULL"))
    urgency: Mapped[str | None] = mapped_column(String(8))
    impact: Mapped[str | None] = mapped_column(String(8))
    skill: Mapped[str | None] = mapped_column(String(64))
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Cached from the SLA clocks at every change (None while paused or stopped).
    response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    vendor_name: Mapped[str | None] = mapped_column(String(128))
    vendor_case_number: Mapped[str | None] = mapped_column(String(128))
    vendor_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))


class TicketPause(Base):
    __tablename__ = "ticket_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketReminder(Base):
    __tablename__ = "ticket_reminders"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "share_percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    clock: Mapped[str] = mapped_column(String(16))  # response | resolution
    share_percent: Mapped[int] = mapped_column(Integer)  # 50, 75, 90, 100 = breach
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeskStaff(Base):
    __tablename__ = "desk_staff"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, default=2)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    team_lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OnCallShift(Base):
    __tablename__ = "oncall_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=2)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SparePart(Base):
    __tablename__ = "spare_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    part: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    origin: Mapped[str] = mapped_column(String(16))  # domestic | abroad
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    promised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    late_flagged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketMail(Base):
    __tablename__ = "ticket_mail"

    message_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(String(16))  # web | phone
    score_overall: Mapped[int | None] = mapped_column(Integer)
    score_speed: Mapped[int | None] = mapped_column(Integer)
    score_quality: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
