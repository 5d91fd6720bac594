"""Devices: inventory records, their encrypted credentials and host inventory from agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device, DeviceCredential, Node, Role, Site
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.schemas.devices import CredentialsIn, DeviceCreate, DeviceUpdate
from vigil.server.schemas.nodes import InventoryIn
from vigil.server.security.secrets_box import SecretBox
from vigil.server.services.enrollment import NodeIdentity, touch_node
from vigil.server.services.patching import apply_patch
from vigil.server.services.principal import Principal, customer_filter

EDITORS = (Role.admin, Role.dispatcher, Role.engineer)


def _check_links(db: Session, customer_id: int, node_id: int | None, parent_id: int | None) -> None:
    if node_id is not None:
        node = db.get(Node, node_id)
        if node is None or node.customer_id != customer_id:
            raise InvalidInput("node_id does not name a node of this customer")
    if parent_id is not None:
        parent = db.get(Device, parent_id)
        if parent is None or parent.customer_id != customer_id:
            raise InvalidInput("parent_device_id does not name a device of this customer")


def create_device(db: Session, principal: Principal, data: DeviceCreate) -> Device:
    principal.require_role(*EDITORS)
    principal.require_customer(data.customer_id, "customer")
    site = db.get(Site, data.site_id)
    if site is None or site.customer_id != data.customer_id:
        raise NotFound("site not found")
    _check_links(db, data.customer_id, data.node_id, data.parent_device_id)
    device = Device(**data.model_dump())
    db.add(device)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"device {data.name!r} already exists for this customer") from None
    return device


def list_devices(
    db: Session, principal: Principal, customer_id: int | None = None, site_id: int | None = None
) -> list[Device]:
    query = select(Device).where(customer_filter(principal, Device.customer_id)).order_by(Device.name)
    if customer_id is not None:
        query = query.where(Device.customer_id == customer_id)
    if site_id is not None:
        query = query.where(Device.site_id == site_id)
    return list(db.scalars(query))


def get_device(db: Session, principal: Principal, device_id: int) -> Device:
    device = db.get(Device, device_id)
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    return device


def update_device(db: Session, principal: Principal, device_id: int, data: DeviceUpdate) -> Device:
    principal.require_role(*EDITORS)
    device = get_device(db, principal, device_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("parent_device_id") == device.id:
        raise InvalidInput("a device cannot be its own parent")
    _check_links(db, device.customer_id, changes.get("node_id"), changes.get("parent_device_id"))
    apply_patch(device, changes)
    db.flush()
    return device


def delete_device(db: Session, principal: Principal, device_id: int) -> None:
    principal.require_role(Role.admin, Role.dispatcher)
    db.delete(get_device(db, principal, device_id))
    db.flush()


def set_credentials(
    db: Session, principal: Principal, box: SecretBox, device_id: int, data: CredentialsIn
) -> dict[str, bool]:
    principal.require_role(*EDITORS)
    device = get_device(db, principal, device_id)
    for kind, value in (("snmp", data.snmp), ("ssh", data.ssh)):
        if value is None:
            continue
        row = db.scalar(
            select(DeviceCredential).where(DeviceCredential.device_id == device.id, DeviceCredential.kind == kind)
        )
        secret = box.encrypt(value.model_dump())
        if row is None:
            db.add(DeviceCredential(customer_id=device.customer_id, device_id=device.id, kind=kind, secret=secret))
        else:
            row.secret = secret
    db.flush()
    return credential_kinds(db, principal, device_id)


def credential_kinds(db: Session, principal: Principal, device_id: int) -> dict[str, bool]:
    device = get_device(db, principal, device_id)
    kinds = set(db.scalars(select(DeviceCredential.kind).where(DeviceCredential.device_id == device.id)))
    return {"snmp": "snmp" in kinds, "ssh": "ssh" in kinds}


def decrypted_credentials(db: Session, box: SecretBox, device: Device) -> dict[str, dict[str, Any]]:
    """For the collector that polls the device; never for an API answer to a user."""
    rows = db.scalars(select(DeviceCredential).where(DeviceCredential.device_id == device.id))
    return {row.kind: box.decrypt(row.secret) for row in rows}


def record_inventory(db: Session, node: NodeIdentity, data: InventoryIn) -> Device:
    device = db.scalar(select(Device).where(Device.customer_id == node.customer_id, Device.node_id == node.node_id))
    if device is None:
        raise NotFound("no device is linked to this node")
    device.inventory = data.model_dump()
    device.inventory_updated_at = utcnow()
    for key in ("vendor", "model", "serial"):
        value = getattr(data, key)
        if value:
            setattr(device, key, value)
    if data.os:
        device.firmware = data.os if not data.kernel else f"{data.os} / {data.kernel}"
    touch_node(db, node.node_id, data.agent_version)
    db.flush()
    return device
