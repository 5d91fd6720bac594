"""Routes for the site collector: its device list, host keys, discovery; and their approval.

Node-authenticated (``Authorization: Bearer vgn_…`` of a collector):
``GET /api/v1/node/devices``, ``POST /api/v1/node/host-keys``, ``POST /api/v1/node/discoveries``.
User-authenticated: host keys of a device and their approval, collection events, discovery
proposals and their approval (which creates the device with its SNMP credential).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from vigil.server.api.deps import Ctx, CurrentNode, CurrentUser, Db
from vigil.server.collection import service
from vigil.server.db.models import DeviceKind
from vigil.server.schemas.base import Out, StrictIn

router = APIRouter(prefix="/api/v1", tags=["collection"])

# Row ids are 32-bit on PostgreSQL: a larger number names nothing and must not reach the database.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


class _In(StrictIn):
    """Unknown keys refused; text the databases cannot store (NUL, lone surrogates) refused."""


class _Out(Out):
    pass


class NodeDevices(BaseModel):
    devices: list[dict[str, Any]]


class HostKeyReport(_In):
    device: str = Field(min_length=1, max_length=128)
    status: Literal["unknown", "changed", "learned"]
    key_type: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9@._-]+$")
    key_base64: str = Field(min_length=16, max_length=4096, pattern=r"^[A-Za-z0-9+/=]+$")
    fingerprint_sha256: str = Field(min_length=1, max_length=128)


class HostKeyPublic(_Out):
    id: int
    device_id: int
    key_type: str
    fingerprint_sha256: str
    status: str
    reported_as: str
    first_seen_at: datetime
    last_seen_at: datetime
    decided_by: str | None


class ProposalIn(_In):
    address: str = Field(max_length=64)
    port: int = Field(default=161, ge=1, le=65535)
    credential_index: int = Field(default=0, ge=0, le=1000)
    sys_name: str = Field(default="", max_length=512)
    sys_descr: str = Field(default="", max_length=4096)
    sys_object_id: str = Field(default="", max_length=256)
    vendor: str = Field(default="", max_length=128)
    profile: str = Field(default="", max_length=64)
    model: str = Field(default="", max_length=256)
    serial: str = Field(default="", max_length=256)
    interfaces_count: int = Field(default=0, ge=0, le=MAX_ID)
    snmp: dict[str, Any]


class ProposalsIn(_In):
    proposals: list[ProposalIn] = Field(max_length=4096)
    request_id: int | None = Field(default=None, ge=1, le=MAX_ID)  # the discovery request answered


class DiscoveryRequestIn(_In):
    node_id: int = Field(ge=1, le=MAX_ID)
    range: str = Field(min_length=1, max_length=128)
    port: int = Field(default=161, ge=1, le=65535)
    # Checked against the device credential schema after the collector is found (so a caller
    # learns nothing about another customer's collectors from validation errors).
    credentials: list[dict[str, Any]] = Field(min_length=1, max_length=16)


class DiscoveryRequestPublic(_Out):
    id: int
    customer_id: int
    node_id: int
    address_range: str
    port: int
    status: str
    requested_by: str
    found_count: int
    created_at: datetime
    finished_at: datetime | None


class ProposalPublic(_Out):
    id: int
    customer_id: int
    site_id: int
    address: str
    port: int
    sys_name: str
    sys_descr: str
    sys_object_id: str
    vendor: str
    profile: str
    model: str
    serial: str
    interfaces_count: int
    status: str
    device_id: int | None
    created_at: datetime


class ApproveIn(_In):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    kind: DeviceKind | None = None


class EventPublic(_Out):
    id: int
    customer_id: int
    device_id: int | None
    kind: str
    severity: str
    summary: str
    detail: dict[str, Any]
    created_at: datetime


@router.get("/node/devices", response_model=NodeDevices)
def node_devices(node: CurrentNode, db: Db, ctx: Ctx) -> NodeDevices:
    return NodeDevices(devices=service.devices_for_collector(db, ctx.secrets, node))


@router.post("/node/host-keys", response_model=HostKeyPublic, status_code=202)
def node_host_key(data: HostKeyReport, node: CurrentNode, db: Db) -> HostKeyPublic:
    row = service.report_host_key(db, node, data.device, data.status, data.key_type, data.key_base64,
                                  data.fingerprint_sha256)
    return HostKeyPublic.model_validate(row)


@router.post("/node/discoveries", status_code=202)
def node_discoveries(data: ProposalsIn, node: CurrentNode, db: Db, ctx: Ctx) -> dict[str, Any]:
    stored, ids = service.store_proposals(db, ctx.secrets, node, [p.model_dump() for p in data.proposals])
    if data.request_id is not None:
        service.finish_discovery_request(db, node, data.request_id, len(data.proposals))
    return {"stored": stored, "received": len(data.proposals), "ids": ids}


@router.get("/node/discovery-requests")
def node_discovery_requests(node: CurrentNode, db: Db, ctx: Ctx) -> dict[str, list[dict[str, Any]]]:
    return {"requests": service.take_discovery_requests(db, ctx.secrets, node)}


@router.post("/discovery-requests", response_model=DiscoveryRequestPublic, status_code=201)
def request_discovery(data: DiscoveryRequestIn, principal: CurrentUser, db: Db, ctx: Ctx) -> DiscoveryRequestPublic:
    row = service.request_discovery(db, principal, ctx.secrets, data.node_id, data.range, data.port,
                                    data.credentials)
    return DiscoveryRequestPublic.model_validate(row)


@router.get("/discovery-requests", response_model=list[DiscoveryRequestPublic])
def discovery_requests(principal: CurrentUser, db: Db) -> list[DiscoveryRequestPublic]:
    return [DiscoveryRequestPublic.model_validate(r) for r in service.list_discovery_requests(db, principal)]


@router.get("/devices/{device_id}/host-keys", response_model=list[HostKeyPublic])
def device_host_keys(device_id: RowId, principal: CurrentUser, db: Db) -> list[HostKeyPublic]:
    return [HostKeyPublic.model_validate(k) for k in service.list_host_keys(db, principal, device_id)]


@router.post("/host-keys/{key_id}/approve", response_model=HostKeyPublic)
def approve_host_key(key_id: RowId, principal: CurrentUser, db: Db) -> HostKeyPublic:
    return HostKeyPublic.model_validate(service.decide_host_key(db, principal, key_id, approve=True))


@router.post("/host-keys/{key_id}/reject", response_model=HostKeyPublic)
def reject_host_key(key_id: RowId, principal: CurrentUser, db: Db) -> HostKeyPublic:
    return HostKeyPublic.model_validate(service.decide_host_key(db, principal, key_id, approve=False))


@router.get("/collection-events", response_model=list[EventPublic])
def collection_events(principal: CurrentUser, db: Db, unhandled_only: bool = True) -> list[EventPublic]:
    return [EventPublic.model_validate(e) for e in service.list_events(db, principal, unhandled_only)]


@router.get("/discoveries", response_model=list[ProposalPublic])
def discoveries(principal: CurrentUser, db: Db,
                status: Literal["pending", "approved", "rejected"] = "pending") -> list[ProposalPublic]:
    return [ProposalPublic.model_validate(p) for p in service.list_proposals(db, principal, status)]


@router.post("/discoveries/{proposal_id}/approve", status_code=201)
def approve_discovery(proposal_id: RowId, data: ApproveIn, principal: CurrentUser, db: Db, ctx: Ctx) -> dict[str, Any]:
    device = service.approve_proposal(db, principal, ctx.secrets, proposal_id, data.name, data.kind)
    return {"device_id": device.id, "name": device.name}


@router.post("/discoveries/{proposal_id}/reject", response_model=ProposalPublic)
def reject_discovery(proposal_id: RowId, principal: CurrentUser, db: Db) -> ProposalPublic:
    return ProposalPublic.model_validate(service.reject_proposal(db, principal, proposal_id))
