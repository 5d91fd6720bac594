"""Rule overrides and maintenance windows: validated, scoped to the caller's customers, stored.

Overrides are patches per scope (global, customer, site, device); storing one first checks it
on top of the defaults and the scopes above it, so a bad key or value is refused with the rule
and the key named and nothing stored changes. Windows are the checks model
(:class:`~vigil.checks.windows.MaintenanceWindow`) owned by one customer, in the customer's time
zone unless another is given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.checks.errors import RuleConfigError
from vigil.checks.model import RuleConfig
from vigil.checks.ruleset import OverrideLayer, default_rule_dicts, effective_rules
from vigil.checks.windows import MaintenanceWindow, WindowTarget, planned_downtime
from vigil.server.alerting.inventory import window_from_row
from vigil.server.alerting.models import MaintenanceWindowRow, RuleOverrideRow
from vigil.server.db.base import utcnow
from vigil.server.db.models import Customer, Device, Role, Site
from vigil.server.errors import InvalidInput, NotFound
from vigil.server.services.principal import Principal, customer_filter

Level = Literal["global", "customer", "site", "device"]
NS = 1_000_000_000


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Level
    customer_id: int | None = None
    site_id: int | None = None
    device_id: int | None = None
    rules: dict[str, dict[str, Any]] = Field(description="rule name -> keys to change; null drops a key")


class WindowScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str | None = None
    device: str | None = None
    tag: str | None = None
    rule: str | None = None


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    customer_id: int
    description: str = Field(default="", max_length=500)
    timezone: str | None = None
    scope: WindowScopeIn = WindowScopeIn()
    start: dt.datetime
    duration: str | float
    recurrence: dict[str, Any] | None = None


def _scope_key(level: Level, data: OverrideIn) -> str:
    if level == "global":
        return "global"
    ident = {"customer": data.customer_id, "site": data.site_id, "device": data.device_id}[level]
    return f"{level}:{ident}"


def _resolve_scope(db: Session, principal: Principal, data: OverrideIn) -> OverrideIn:
    """Checks the scope exists and is the caller's; fills the customer from a site or device."""
    principal.require_staff()
    if data.level == "global":
        principal.require_role(Role.admin)
        if data.customer_id or data.site_id or data.device_id:
            raise InvalidInput("a global override names no customer, site or device")
        return data
    if data.level == "customer":
        if data.customer_id is None or db.get(Customer, data.customer_id) is None:
            raise InvalidInput("customer_id is required and must name a customer")
        principal.require_customer(data.customer_id, "customer")
        return data.model_copy(update={"site_id": None, "device_id": None})
    if data.level == "site":
        site = db.get(Site, data.site_id) if data.site_id is not None else None
        if site is None or not principal.can_see(site.customer_id):
            raise NotFound("site not found")
        return data.model_copy(update={"customer_id": site.customer_id, "device_id": None})
    device = db.get(Device, data.device_id) if data.device_id is not None else None
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    return data.model_copy(update={"customer_id": device.customer_id, "site_id": device.site_id})


def _outer_layers(db: Session, data: OverrideIn) -> list[tuple[str, OverrideLayer]]:
    keys = ["global"]
    if data.level in ("site", "device") or data.level == "customer":
        keys.append(f"customer:{data.customer_id}")
    if data.level == "device" and data.site_id is not None:
        keys.append(f"site:{data.site_id}")
    order = {"global": 0, "customer": 1, "site": 2, "device": 3}
    own = _scope_key(data.level, data)
    rows = {r.scope_key: r for r in db.scalars(select(RuleOverrideRow).where(RuleOverrideRow.scope_key.in_(keys)))}
    layers = [(k, rows[k].rules) for k in keys if k in rows and k != own]
    return sorted(layers, key=lambda item: order[item[0].split(":")[0]])


def put_override(db: Session, principal: Principal, data: OverrideIn) -> RuleOverrideRow:
    data = _resolve_scope(db, principal, data)
    key = _scope_key(data.level, data)
    try:
        effective_rules(default_rule_dicts(), [*_outer_layers(db, data), (key, data.rules)])
    except RuleConfigError as exc:
        raise InvalidInput(str(exc)) from None
    row = db.scalar(select(RuleOverrideRow).where(RuleOverrideRow.scope_key == key))
    if row is None:
        row = RuleOverrideRow(scope_key=key, level=data.level, customer_id=data.customer_id, site_id=data.site_id,
                              device_id=data.device_id)
        db.add(row)
    row.rules, row.updated_by, row.updated_at = data.rules, principal.actor, utcnow()
    db.flush()
    return row


def list_overrides(db: Session, principal: Principal, customer_id: int | None = None) -> list[RuleOverrideRow]:
    principal.require_staff()
    query = select(RuleOverrideRow).order_by(RuleOverrideRow.id)
    scoped = customer_filter(principal, RuleOverrideRow.customer_id) | RuleOverrideRow.customer_id.is_(None)
    query = query.where(scoped)
    if customer_id is not None:
        query = query.where(RuleOverrideRow.customer_id == customer_id)
    return list(db.scalars(query))


def delete_override(db: Session, principal: Principal, override_id: int) -> None:
    principal.require_staff()
    row = db.get(RuleOverrideRow, override_id)
    if row is None or (row.customer_id is not None and not principal.can_see(row.customer_id)):
        raise NotFound("override not found")
    if row.level == "global":
        principal.require_role(Role.admin)
    db.delete(row)
    db.flush()


def effective_for_device(db: Session, principal: Principal, device_id: int) -> list[RuleConfig]:
    device = db.get(Device, device_id)
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    keys = ["global", f"customer:{device.customer_id}", f"site:{device.site_id}", f"device:{device.id}"]
    rows = {r.scope_key: r for r in db.scalars(select(RuleOverrideRow).where(RuleOverrideRow.scope_key.in_(keys)))}
    try:
        return effective_rules(default_rule_dicts(), [(k, rows[k].rules) for k in keys if k in rows])
    except RuleConfigError as exc:
        raise InvalidInput(f"the stored overrides no longer apply: {exc}") from None


# ---- maintenance windows ----


def create_window(db: Session, principal: Principal, data: WindowIn) -> tuple[MaintenanceWindowRow, MaintenanceWindow]:
    principal.require_staff()
    customer = db.get(Customer, data.customer_id)
    if customer is None or not principal.can_see(customer.id):
        raise NotFound("customer not found")
    if data.scope.site is not None and db.scalar(
        select(Site.id).where(Site.customer_id == customer.id, Site.slug == data.scope.site)
    ) is None:
        raise InvalidInput(f"scope.site {data.scope.site!r} is not a site of this customer")
    if data.scope.device is not None and db.scalar(
        select(Device.id).where(Device.customer_id == customer.id, Device.name == data.scope.device)
    ) is None:
        raise InvalidInput(f"scope.device {data.scope.device!r} is not a device of this customer")
    scope: dict[str, str] = {k: v for k, v in data.scope.model_dump().items() if v is not None}
    definition = {
        "description": data.description,
        "timezone": data.timezone or customer.timezone,
        "scope": scope,
        "start": data.start.isoformat(),
        "duration": data.duration,
        "recurrence": data.recurrence,
    }
    try:
        MaintenanceWindow.model_validate({**definition, "id": "new", "scope": {**scope, "customer": customer.slug}})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"invalid maintenance window: {problems}") from None
    row = MaintenanceWindowRow(customer_id=customer.id, definition=definition, created_by=principal.actor)
    db.add(row)
    db.flush()
    return row, window_from_row(row, customer.slug)


def list_windows(db: Session, principal: Principal, customer_id: int | None = None) -> list[MaintenanceWindowRow]:
    query = select(MaintenanceWindowRow).where(
        MaintenanceWindowRow.active.is_(True), customer_filter(principal, MaintenanceWindowRow.customer_id)
    )
    if customer_id is not None:
        query = query.where(MaintenanceWindowRow.customer_id == customer_id)
    return list(db.scalars(query.order_by(MaintenanceWindowRow.id)))


def delete_window(db: Session, principal: Principal, window_id: int) -> None:
    principal.require_staff()
    row = db.get(MaintenanceWindowRow, window_id)
    if row is None or not row.active or not principal.can_see(row.customer_id):
        raise NotFound("maintenance window not found")
    row.active = False  # kept: past planned downtime still counts in reports
    db.flush()


def downtime_seconds(
    db: Session, principal: Principal, device_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[float, list[tuple[dt.datetime, dt.datetime]]]:
    """Planned downtime of a device between ``start`` and ``end`` (for reports), windows merged."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise InvalidInput("start and end need time zones, and end must be after start")
    device = db.get(Device, device_id)
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    customer = db.get(Customer, device.customer_id)
    site = db.get(Site, device.site_id)
    slug = customer.slug if customer else ""
    rows = db.scalars(select(MaintenanceWindowRow).where(MaintenanceWindowRow.customer_id == device.customer_id))
    windows = [window_from_row(r, slug) for r in rows]
    # Device-wide downtime: windows limited to one rule do not take the device down.
    windows = [w for w in windows if w.scope.rule is None]
    target = WindowTarget(slug, site.slug if site else "", device.name, "", frozenset(device.tags or ()))
    spans = planned_downtime(windows, target, int(start.timestamp() * NS), int(end.timestamp() * NS))
    as_times = [(dt.datetime.fromtimestamp(b / NS, tz=dt.UTC), dt.datetime.fromtimestamp(e / NS, tz=dt.UTC))
                for b, e in spans]
    return sum(e - b for b, e in spans) / NS, as_times
