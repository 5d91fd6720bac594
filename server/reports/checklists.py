"""On-site inspection checklists: a template per device kind (built-in defaults, replaceable by
an admin), and the checklist an engineer fills in per device and month: each item ok /
attention / fault with a note and an optional photo (PNG or JPEG, at most 5 MB).

Items are checked against the device kind's template, so a report only shows items that were
asked; re-entering a device's checklist for a month replaces its items (a photo already stored
is kept when the new item brings none).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Customer, Device, DeviceKind, Role, User
from vigil.server.errors import InvalidInput, NotFound
from vigil.server.reports.models import ChecklistTemplate, Inspection, InspectionItem
from vigil.server.reports.period import parse_period
from vigil.server.services.principal import Principal, customer_filter

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
Status = Literal["ok", "attention", "fault"]


def _items(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"key": key, "zh": zh, "en": en} for key, zh, en in rows]


_COMMON = (
    ("indicators", "指示灯与告警灯", "Indicator and alarm lights"),
    ("fans", "风扇运转", "Fans running"),
    ("power", "电源与冗余", "Power supplies and redundancy"),
    ("cabling", "线缆与标签", "Cabling and labels"),
    ("environment", "机房温湿度与清洁", "Room temperature, humidity and cleanliness"),
    ("firmware", "固件/系统版本", "Firmware / software version"),
    ("logs", "日志与告警记录", "Logs and alarm history"),
)
DEFAULT_TEMPLATES: dict[str, list[dict[str, str]]] = {
    "host": _items(*_COMMON, ("disks", "磁盘与 RAID 状态", "Disks and RAID state"),
                   ("backup", "备份任务", "Backup jobs"), ("patches", "系统补丁", "OS patches")),
    "switch": _items(*_COMMON, ("ports", "端口状态与错误", "Port state and errors"),
                     ("config_backup", "配置备份", "Configuration backup")),
    "router": _items(*_COMMON, ("routes", "路由与邻居", "Routes and neighbours"),
                     ("config_backup", "配置备份", "Configuration backup")),
    "firewall": _items(*_COMMON, ("policies", "安全策略", "Security policies"),
                       ("sessions", "会话数", "Session count"),
                       ("licences", "特征库与授权", "Signatures and licences")),
    "ups": _items(("indicators", "指示灯与告警灯", "Indicator and alarm lights"),
                  ("battery", "电池外观与内阻", "Battery condition"), ("load", "负载率", "Load"),
                  ("bypass", "旁路与切换", "Bypass and transfer"), ("environment", "环境温度", "Room temperature")),
    "storage": _items(*_COMMON, ("disks", "磁盘状态", "Disk state"), ("capacity", "容量", "Capacity"),
                      ("controllers", "控制器与缓存电池", "Controllers and cache batteries")),
    "wireless": _items(*_COMMON, ("clients", "终端接入", "Client association")),
    "other": _items(*_COMMON),
}


class ChecklistItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64)
    status: Status
    note: str = Field(default="", max_length=2000)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: int
    period: str = Field(min_length=7, max_length=7, description="the month, e.g. 2026-10")
    performed_at: datetime | None = None
    items: list[ChecklistItemIn] = Field(min_length=1, max_length=100)


class TemplateItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


def _kind(kind: str) -> str:
    if kind not in {k.value for k in DeviceKind}:
        raise NotFound(f"no device kind {kind[:40]!r}")
    return kind


def template_for(db: Session, kind: str) -> list[dict[str, str]]:
    row = db.scalar(select(ChecklistTemplate).where(ChecklistTemplate.device_kind == _kind(kind)))
    return list(row.items) if row is not None else DEFAULT_TEMPLATES.get(kind, DEFAULT_TEMPLATES["other"])


def set_template(db: Session, principal: Principal, kind: str, items: list[TemplateItemIn]) -> list[dict[str, str]]:
    principal.require_role(Role.admin)
    keys = [item.key for item in items]
    if not items or len(set(keys)) != len(keys):
        raise InvalidInput("a template needs at least one item and unique keys")
    row = db.scalar(select(ChecklistTemplate).where(ChecklistTemplate.device_kind == _kind(kind)))
    if row is None:
        row = ChecklistTemplate(device_kind=kind)
        db.add(row)
    row.items = [item.model_dump() for item in items]
    row.updated_by = principal.actor
    row.updated_at = datetime.now(UTC)
    db.flush()
    return list(row.items)


def record_inspection(db: Session, principal: Principal, data: InspectionIn) -> Inspection:
    """Store (or replace) the checklist of one device for one month."""
    principal.require_staff()
    device = db.get(Device, data.device_id)
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    parse_period("month", data.period, "UTC")
    if data.performed_at is not None and data.performed_at.tzinfo is None:
        raise InvalidInput("performed_at needs a time zone")
    template = {item["key"]: item for item in template_for(db, device.kind.value)}
    unknown = [item.key for item in data.items if item.key not in template]
    if unknown:
        raise InvalidInput(f"not on the {device.kind.value} checklist: {', '.join(unknown[:10])}")
    if len({item.key for item in data.items}) != len(data.items):
        raise InvalidInput("each checklist item may appear once")
    user = db.get(User, principal.user_id) if principal.user_id else None
    inspection = db.scalar(
        select(Inspection).where(Inspection.device_id == device.id, Inspection.period == data.period)
    )
    if inspection is None:
        inspection = Inspection(customer_id=device.customer_id, device_id=device.id, period=data.period)
        db.add(inspection)
    inspection.engineer_id = user.id if user else None
    inspection.engineer_name = user.name if user else principal.name
    inspection.performed_at = data.performed_at or datetime.now(UTC)
    db.flush()
    existing = {
        i.key: i for i in db.scalars(select(InspectionItem).where(InspectionItem.inspection_id == inspection.id))
    }
    customer = db.get(Customer, device.customer_id)
    language = customer.language if customer else "zh"
    for item in data.items:
        row = existing.pop(item.key, None)
        if row is None:
            row = InspectionItem(inspection_id=inspection.id, customer_id=device.customer_id, key=item.key)
            db.add(row)
        row.label = template[item.key].get(language) or item.key
        row.status = item.status
        row.note = item.note
    for stale in existing.values():
        db.delete(stale)
    db.flush()
    return inspection


def attach_photo(db: Session, principal: Principal, inspection_id: int, key: str, photo: bytes) -> InspectionItem:
    principal.require_staff()
    item = db.scalar(
        select(InspectionItem).where(InspectionItem.inspection_id == inspection_id, InspectionItem.key == key)
    )
    if item is None or not principal.can_see(item.customer_id):
        raise NotFound("checklist item not found")
    if len(photo) > MAX_PHOTO_BYTES:
        raise InvalidInput(f"a photo may have at most {MAX_PHOTO_BYTES} bytes")
    kind = next((t for magic, t in PHOTO_TYPES.items() if photo.startswith(magic)), None)
    if kind is None:
        raise InvalidInput("a photo must be a PNG or JPEG image")
    item.photo, item.photo_type = photo, kind
    db.flush()
    return item


def list_inspections(
    db: Session, principal: Principal, customer_id: int | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    query = select(Inspection, Device.name).join(Device, Device.id == Inspection.device_id).where(
        customer_filter(principal, Inspection.customer_id)
    )
    if customer_id is not None:
        query = query.where(Inspection.customer_id == customer_id)
    if period is not None:
        query = query.where(Inspection.period == period)
    found = []
    for inspection, name in db.execute(query.order_by(Inspection.period.desc(), Device.name)).all():
        items = db.scalars(select(InspectionItem).where(InspectionItem.inspection_id == inspection.id))
        found.append(
            {
                "id": inspection.id,
                "customer_id": inspection.customer_id,
                "device_id": inspection.device_id,
                "device": name,
                "period": inspection.period,
                "engineer": inspection.engineer_name,
                "performed_at": inspection.performed_at,
                "items": [
                    {"key": i.key, "label": i.label, "status": i.status, "note": i.note, "photo": i.photo is not None}
                    for i in items
                ],
            }
        )
    return found
