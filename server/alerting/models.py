"""The alerting tables (migration 0005_alerting).

- ``alert_states``: one row per fingerprint (customer + device + rule + instance): the engine's
  :class:`~vigil.checks.state.AlertState` as JSON, with the columns queries need beside it
  (status, whether it marks the device down, its open ticket, its root cause).
- ``alert_log``: every alert event (opened, resolved, suppressed in a window, linked as a
  symptom ...), appended, never changed: "suppressed alerts are logged".
- ``rule_overrides``: rule patches at global, customer, site or device level.
- ``maintenance_windows``: windows as the checks model's JSON, each owned by one customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from vigil.server.db.base import Base, UtcDateTime, utcnow


class AlertStateRow(Base):
    __tablename__ = "alert_states"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(80))
    instance: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    marks_down: Mapped[bool] = mapped_column(Boolean, default=False)
    incident_open: Mapped[bool] = mapped_column(Boolean, default=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    root_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertLogRow(Base):
    __tablename__ = "alert_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    device: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(80))
    instance: Mapped[str] = mapped_column(String(256), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RuleOverrideRow(Base):
    """One layer of patches. ``level`` global has no customer; site and device name theirs."""

    __tablename__ = "rule_overrides"
    __table_args__ = (UniqueConstraint("scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "global", "customer:<id>", "site:<id>", "device:<id>": one row per scope.
    scope_key: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(128), default="system")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MaintenanceWindowRow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # The checks model's fields (without id; scope.customer is the owner's slug).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
