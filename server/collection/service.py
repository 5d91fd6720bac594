"""Collection services: what a collector polls, host keys it reports, discoveries it proposes.

Node-facing functions take the authenticated :class:`NodeIdentity` and only ever touch devices
that node polls; user-facing ones take a :class:`Principal` and stay within its customers.
The device list built here matches the collector's device config shape (plain JSON: the server
never imports the collector's code); secrets are decrypted only for that collector.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from vigil.server.collection.models import CollectionEvent, DiscoveryProposal, DiscoveryRequest, SshHostKey
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device, DeviceCredential, DeviceKind, Node, NodeKind, Role
from vigil.server.errors import Conflict, Forbidden, InvalidInput, NotFound
from vigil.server.schemas.devices import SnmpCredential
from vigil.server.security.secrets_box import SecretBox, SecretDecryptError
from vigil.server.services.enrollment import NodeIdentity
from vigil.server.services.principal import Principal, customer_filter

EDITORS = (Role.admin, Role.dispatcher, Role.engineer)
TOFU_POLICIES = {"tofu", "trust_on_first_use"}


def require_collector(node: NodeIdentity) -> None:
    if node.kind != NodeKind.collector:
        raise Forbidden("only collector nodes may do this")


# ---- device list for the collector ----

def _snmp_block(secret: dict[str, Any], profile: str | None) -> dict[str, Any]:
    version = str(secret.get("version", "2c"))
    if version == "3":
        credential: dict[str, Any] = {
            "version": "3", "user": secret.get("user") or "",
            "auth_proto": secret.get("auth_protocol", "none"), "auth_key": secret.get("auth_key"),
            "priv_proto": secret.get("priv_protocol", "none"), "priv_key": secret.get("priv_key"),
            "context": secret.get("context") or "",
        }
    else:
        credential = {"version": version, "community": secret.get("community") or ""}
    block: dict[str, Any] = {"credential": credential, "port": int(secret.get("port", 161))}
    if profile:
        block["profile"] = profile
    return block


def _ssh_block(db: Session, device: Device, secret: dict[str, Any]) -> dict[str, Any]:
    keys = db.scalars(select(SshHostKey).where(SshHostKey.device_id == device.id, SshHostKey.status == "approved"))
    policy = "trust_on_first_use" if device.ssh_host_key_policy in TOFU_POLICIES else "pinned"
    return {
        "user": secret.get("username") or "", "password": secret.get("password"),
        "private_key": secret.get("private_key"), "port": int(secret.get("port", 22)),
        "platform": secret.get("platform") or "linux",
        "known_host_keys": [f"{k.key_type} {k.key_base64}" for k in keys], "host_key_policy": policy,
    }


def devices_for_collector(db: Session, box: SecretBox, node: NodeIdentity) -> list[dict[str, Any]]:
    require_collector(node)
    devices = db.scalars(
        select(Device)
        .where(Device.node_id == node.node_id, Device.customer_id == node.customer_id)
        .order_by(Device.name)
    )
    answer = []
    for device in devices:
        if not device.mgmt_address:
            continue
        secrets: dict[str, dict[str, Any]] = {}
        for row in db.scalars(select(DeviceCredential).where(DeviceCredential.device_id == device.id)):
            try:
                secrets[row.kind] = box.decrypt(row.secret)
            except SecretDecryptError:
                continue  # said in the server log by the caller; the device is still pinged
        entry: dict[str, Any] = {"name": device.name, "address": device.mgmt_address, "ping": {"icmp": True}}
        if "snmp" in secrets:
            entry["snmp"] = _snmp_block(secrets["snmp"], device.profile)
        if "ssh" in secrets:
            entry["ssh"] = _ssh_block(db, device, secrets["ssh"])
        answer.append(entry)
    return answer


# ---- SSH host keys ----

def _polled_device(db: Session, node: NodeIdentity, name: str) -> Device:
    device = db.scalar(select(Device).where(Device.customer_id == node.customer_id, Device.name == name,
                                            Device.node_id == node.node_id))
    if device is None:
        raise NotFound(f"device {name[:60]!r} is not polled by this collector")
    return device


def report_host_key(db: Session, node: NodeIdentity, device_name: str, status: str, key_type: str,
                    key_base64: str, fingerprint: str) -> SshHostKey:
    """Store what a collector saw. Unknown and changed keys wait for an engineer; a changed key
    also becomes a collection event (an alert); a key learned on first use is pinned at once,
    but only when the device's policy allows it and no key is pinned yet."""
    require_collector(node)
    if status not in ("unknown", "changed", "learned"):
        raise InvalidInput("status must be unknown, changed or learned")
    device = _polled_device(db, node, device_name)
    row = db.scalar(select(SshHostKey).where(SshHostKey.device_id == device.id, SshHostKey.key_type == key_type,
                                             SshHostKey.key_base64 == key_base64))
    approved = list(db.scalars(select(SshHostKey).where(SshHostKey.device_id == device.id,
                                                        SshHostKey.status == "approved")))
    if row is None:
        row = SshHostKey(customer_id=device.customer_id, device_id=device.id, key_type=key_type,
                         key_base64=key_base64, fingerprint_sha256=fingerprint, status="pending", reported_as=status)
        db.add(row)
    row.last_seen_at = utcnow()
    if status == "learned" and row.status == "pending":
        if device.ssh_host_key_policy in TOFU_POLICIES and not approved:
            row.status, row.decided_by, row.decided_at = "approved", f"tofu:{node.name}", utcnow()
        else:
            row.reported_as = "unknown"  # the policy does not allow it: an engineer decides
    if status == "changed" or (approved and row.status == "pending"):
        row.reported_as = "changed"
        db.add(CollectionEvent(
            customer_id=device.customer_id, device_id=device.id, node_id=node.node_id,
            kind="ssh_host_key_changed", severity="critical",
            summary=f"SSH host key of {device.name} changed; polling refused until an engineer approves it",
            detail={"key_type": key_type, "fingerprint_sha256": fingerprint,
                    "pinned": [k.fingerprint_sha256 for k in approved], "collector": node.name},
        ))
    db.flush()
    return row


def list_host_keys(db: Session, principal: Principal, device_id: int) -> list[SshHostKey]:
    device = db.get(Device, device_id)
    if device is None or not principal.can_see(device.customer_id):
        raise NotFound("device not found")
    return list(db.scalars(select(SshHostKey).where(SshHostKey.device_id == device_id).order_by(SshHostKey.id)))


def decide_host_key(db: Session, principal: Principal, key_id: int, approve: bool) -> SshHostKey:
    principal.require_role(*EDITORS)
    row = db.get(SshHostKey, key_id)
    if row is None or not principal.can_see(row.customer_id):
        raise NotFound("host key not found")
    if approve:
        for other in db.scalars(select(SshHostKey).where(SshHostKey.device_id == row.device_id,
                                                         SshHostKey.status == "approved", SshHostKey.id != row.id)):
            other.status = "replaced"
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at = principal.actor, utcnow()
    db.flush()
    return row


def list_events(db: Session, principal: Principal, unhandled_only: bool = True) -> list[CollectionEvent]:
    query = select(CollectionEvent).where(customer_filter(principal, CollectionEvent.customer_id))
    if unhandled_only:
        query = query.where(CollectionEvent.handled_at.is_(None))
    return list(db.scalars(query.order_by(CollectionEvent.id)))


# ---- discovery ----

def store_proposals(db: Session, box: SecretBox, node: NodeIdentity,
                    proposals: list[dict[str, Any]]) -> tuple[int, list[int]]:
    """Keep new proposals pending; one pending proposal per address and port. Returns how many
    were new and the ids of all the proposals the request names."""
    require_collector(node)
    stored = 0
    rows: list[DiscoveryProposal] = []
    for item in proposals:
        address = str(item["address"])
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InvalidInput(f"not an IP address: {address[:60]!r}") from None
        port = int(item.get("port", 161))
        pending = db.scalar(select(DiscoveryProposal).where(
            DiscoveryProposal.customer_id == node.customer_id, DiscoveryProposal.address == address,
            DiscoveryProposal.port == port, DiscoveryProposal.status == "pending"))
        row = pending or DiscoveryProposal(customer_id=node.customer_id, site_id=node.site_id, node_id=node.node_id,
                                           address=address, port=port)
        for key in ("sys_name", "sys_descr", "sys_object_id", "vendor", "profile", "model", "serial"):
            limit = getattr(DiscoveryProposal.__table__.c[key].type, "length", None) or 4000
            setattr(row, key, str(item.get(key, ""))[:limit])
        row.interfaces_count = int(item.get("interfaces_count", 0))
        row.snmp_secret = box.encrypt(dict(item["snmp"]))
        if pending is None:
            db.add(row)
            stored += 1
        db.flush()
        rows.append(row)
    return stored, sorted({r.id for r in rows})


def list_proposals(db: Session, principal: Principal, status: str = "pending") -> list[DiscoveryProposal]:
    principal.require_staff()
    query = select(DiscoveryProposal).where(customer_filter(principal, DiscoveryProposal.customer_id),
                                            DiscoveryProposal.status == status)
    return list(db.scalars(query.order_by(DiscoveryProposal.id)))


def _kind_for(proposal: DiscoveryProposal) -> DeviceKind:
    if proposal.profile in ("apc",) or "ups" in proposal.sys_descr.lower():
        return DeviceKind.ups
    if proposal.profile in ("cisco", "huawei", "h3c", "juniper", "ruijie", "zte"):
        return DeviceKind.switch
    return DeviceKind.other


def approve_proposal(db: Session, principal: Principal, box: SecretBox, proposal_id: int, name: str | None,
                     kind: DeviceKind | None) -> Device:
    principal.require_role(*EDITORS)
    proposal = db.get(DiscoveryProposal, proposal_id)
    if proposal is None or not principal.can_see(proposal.customer_id):
        raise NotFound("proposal not found")
    if proposal.status != "pending":
        raise Conflict(f"proposal already {proposal.status}")
    secret = box.decrypt(proposal.snmp_secret)
    server_secret = {
        "version": secret.get("version", "2c"), "port": proposal.port, "community": secret.get("community"),
        "user": secret.get("user"), "auth_protocol": secret.get("auth_proto", "none"),
        "auth_key": secret.get("auth_key"), "priv_protocol": secret.get("priv_proto", "none"),
        "priv_key": secret.get("priv_key"), "context": secret.get("context") or None,
    }
    device = Device(
        customer_id=proposal.customer_id, site_id=proposal.site_id,
        name=(name or proposal.sys_name or proposal.address)[:128], kind=kind or _kind_for(proposal),
        vendor=proposal.vendor or None, model=proposal.model or None, serial=proposal.serial or None,
        mgmt_address=proposal.address, node_id=proposal.node_id,
        profile=proposal.profile if proposal.profile and proposal.profile != "standard" else None,
    )
    db.add(device)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"device {device.name!r} already exists for this customer; give another name") from None
    db.add(DeviceCredential(customer_id=device.customer_id, device_id=device.id, kind="snmp",
                            secret=box.encrypt({k: v for k, v in server_secret.items() if v is not None})))
    proposal.status, proposal.device_id = "approved", device.id
    proposal.decided_by, proposal.decided_at = principal.actor, utcnow()
    db.flush()
    return device


def reject_proposal(db: Session, principal: Principal, proposal_id: int) -> DiscoveryProposal:
    principal.require_role(*EDITORS)
    proposal = db.get(DiscoveryProposal, proposal_id)
    if proposal is None or not principal.can_see(proposal.customer_id):
        raise NotFound("proposal not found")
    if proposal.status != "pending":
        raise Conflict(f"proposal already {proposal.status}")
    proposal.status, proposal.decided_by, proposal.decided_at = "rejected", principal.actor, utcnow()
    db.flush()
    return proposal


# ---- discovery requested from the server ----

MAX_SWEEP_ADDRESSES = 4096


def _check_range(text: str) -> str:
    text = text.strip()
    try:
        if "-" in text:
            first, last = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            count = int(last) - int(first) + 1
            if first.version != last.version or count < 1:
                raise ValueError("the range must go up within one IP version")
        else:
            count = ipaddress.ip_network(text, strict=False).num_addresses
    except ValueError as exc:
        raise InvalidInput(f"bad address range {text[:60]!r}: {exc}") from None
    if count > MAX_SWEEP_ADDRESSES:
        raise InvalidInput(f"{count} addresses; at most {MAX_SWEEP_ADDRESSES} per sweep")
    return text


def request_discovery(db: Session, principal: Principal, box: SecretBox, node_id: int, address_range: str,
                      port: int, credentials: list[dict[str, Any]]) -> DiscoveryRequest:
    principal.require_role(*EDITORS)
    node = db.get(Node, node_id)
    if node is None or not principal.can_see(node.customer_id) or node.kind != NodeKind.collector:
        raise NotFound("collector not found")
    if not credentials:
        raise InvalidInput("give at least one SNMP credential to try")
    checked = []
    for index, credential in enumerate(credentials):
        try:
            checked.append(SnmpCredential.model_validate(credential).model_dump())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"credentials.{index}{'.' + where if where else ''}: {first['msg']}") from None
    row = DiscoveryRequest(customer_id=node.customer_id, node_id=node.id, address_range=_check_range(address_range),
                           port=port, snmp_secrets=box.encrypt({"credentials": checked}),
                           requested_by=principal.actor)
    db.add(row)
    db.flush()
    return row


def list_discovery_requests(db: Session, principal: Principal) -> list[DiscoveryRequest]:
    principal.require_staff()
    query = select(DiscoveryRequest).where(customer_filter(principal, DiscoveryRequest.customer_id))
    return list(db.scalars(query.order_by(DiscoveryRequest.id)))


def take_discovery_requests(db: Session, box: SecretBox, node: NodeIdentity) -> list[dict[str, Any]]:
    """Pending sweeps for this collector, in its credential format; they become ``running``."""
    require_collector(node)
    rows = db.scalars(select(DiscoveryRequest).where(DiscoveryRequest.node_id == node.node_id,
                                                     DiscoveryRequest.status == "pending"))
    answer = []
    for row in rows:
        secrets = box.decrypt(row.snmp_secrets).get("credentials", [])
        answer.append({"id": row.id, "range": row.address_range, "port": row.port,
                       "credentials": [_snmp_block(s, None)["credential"] for s in secrets]})
        row.status = "running"
    db.flush()
    return answer


def finish_discovery_request(db: Session, node: NodeIdentity, request_id: int, found: int) -> None:
    row = db.get(DiscoveryRequest, request_id)
    if row is None or row.node_id != node.node_id:
        raise NotFound("discovery request not found")
    row.status, row.found_count, row.finished_at = "done", found, utcnow()
    db.flush()
