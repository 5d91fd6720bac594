"""Alert rules: the defaults, overrides at global/customer/site/device level, maintenance windows.

Handlers parse, call vigil.server.alerting.service and tell the running alerting driver (if
any) to re-read its inventory, so a change applies to the next evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from vigil.checks.ruleset import default_rule_dicts
from vigil.server.alerting import service
from vigil.server.alerting.models import MaintenanceWindowRow, RuleOverrideRow
from vigil.server.alerting.service import OverrideIn, WindowIn
from vigil.server.api.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1", tags=["rules"])


class OverridePublic(BaseModel):
    id: int
    level: str
    customer_id: int | None
    site_id: int | None
    device_id: int | None
    rules: dict[str, dict[str, Any]]
    updated_by: str
    updated_at: dt.datetime


class WindowPublic(BaseModel):
    id: int
    customer_id: int
    definition: dict[str, Any]
    created_by: str
    created_at: dt.datetime


class DowntimePublic(BaseModel):
    device_id: int
    seconds: float
    spans: list[tuple[dt.datetime, dt.datetime]]


def _override(row: RuleOverrideRow) -> OverridePublic:
    return OverridePublic(id=row.id, level=row.level, customer_id=row.customer_id, site_id=row.site_id,
                          device_id=row.device_id, rules=row.rules, updated_by=row.updated_by,
                          updated_at=row.updated_at)


def _window(row: MaintenanceWindowRow) -> WindowPublic:
    return WindowPublic(id=row.id, customer_id=row.customer_id, definition=row.definition,
                        created_by=row.created_by, created_at=row.created_at)


def _changed(request: Request) -> None:
    driver = getattr(request.app.state, "alerting", None)
    if driver is not None:
        driver.invalidate()


@router.get("/rules/defaults")
def list_default_rules(principal: CurrentUser) -> list[dict[str, Any]]:
    principal.require_staff()
    return default_rule_dicts()


@router.get("/rules/effective")
def effective_rules(device_id: int, principal: CurrentUser, db: Db) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json", by_alias=True) for r in service.effective_for_device(db, principal, device_id)]


@router.get("/rules/overrides", response_model=list[OverridePublic])
def list_overrides(principal: CurrentUser, db: Db, customer_id: int | None = None) -> list[OverridePublic]:
    return [_override(r) for r in service.list_overrides(db, principal, customer_id)]


@router.put("/rules/overrides", response_model=OverridePublic)
def put_override(data: OverrideIn, principal: CurrentUser, db: Db, request: Request) -> OverridePublic:
    row = service.put_override(db, principal, data)
    _changed(request)
    return _override(row)


@router.delete("/rules/overrides/{override_id}", status_code=204)
def delete_override(override_id: int, principal: CurrentUser, db: Db, request: Request) -> Response:
    service.delete_override(db, principal, override_id)
    _changed(request)
    return Response(status_code=204)


@router.get("/maintenance-windows", response_model=list[WindowPublic])
def list_windows(principal: CurrentUser, db: Db, customer_id: int | None = None) -> list[WindowPublic]:
    return [_window(r) for r in service.list_windows(db, principal, customer_id)]


@router.post("/maintenance-windows", response_model=WindowPublic, status_code=201)
def create_window(data: WindowIn, principal: CurrentUser, db: Db, request: Request) -> WindowPublic:
    row, _window_model = service.create_window(db, principal, data)
    _changed(request)
    return _window(row)


@router.delete("/maintenance-windows/{window_id}", status_code=204)
def delete_window(window_id: int, principal: CurrentUser, db: Db, request: Request) -> Response:
    service.delete_window(db, principal, window_id)
    _changed(request)
    return Response(status_code=204)


@router.get("/maintenance-windows/downtime", response_model=DowntimePublic)
def planned_downtime(
    device_id: int, start: dt.datetime, end: dt.datetime, principal: CurrentUser, db: Db
) -> DowntimePublic:
    seconds, spans = service.downtime_seconds(db, principal, device_id, start, end)
    return DowntimePublic(device_id=device_id, seconds=seconds, spans=spans)
