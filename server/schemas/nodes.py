"""Enrolment tokens, nodes and what nodes send besides metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from vigil.server.db.models import NodeKind
from vigil.server.schemas.base import Out, StrictIn

NODE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
# An agent's version as it reports it (semver or PEP 440: "0.1.0", "1.2.0-rc.1+g3f2a"); it is
# shown to people, so nothing that could be markup or a second header.
AGENT_VERSION = r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$"


class EnrollmentTokenCreate(StrictIn):
    customer_id: int
    site_id: int
    kind: NodeKind = NodeKind.agent
    hours: int | None = Field(default=None, ge=1, le=24 * 30)


class EnrollmentTokenOut(Out):
    id: int  # for POST /api/v1/enrollment-tokens/{id}/revoke
    token: str
    expires_at: datetime
    customer_id: int
    site_id: int
    kind: NodeKind


class EnrollIn(StrictIn):
    token: str = Field(min_length=8, max_length=128)
    name: str = Field(pattern=NODE_NAME)
    kind: NodeKind = NodeKind.agent
    version: str = Field(default="", max_length=64, pattern=AGENT_VERSION)


class EnrollOut(Out):
    node_id: str
    credential: str
    customer: str
    site: str
    name: str


class NodePublic(Out):
    id: int
    public_id: str
    customer_id: int
    site_id: int
    kind: NodeKind
    name: str
    version: str | None
    last_seen_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InventoryIn(StrictIn):
    """Host inventory from an agent; every part is optional and bounded."""

    os: str | None = Field(default=None, max_length=256)
    kernel: str | None = Field(default=None, max_length=256)
    hostname: str | None = Field(default=None, max_length=256)
    cpu_model: str | None = Field(default=None, max_length=256)
    cpu_cores: int | None = Field(default=None, ge=0, le=100_000)
    cpu_threads: int | None = Field(default=None, ge=0, le=100_000)
    memory_bytes: int | None = Field(default=None, ge=0)
    vendor: str | None = Field(default=None, max_length=256)
    model: str | None = Field(default=None, max_length=256)
    serial: str | None = Field(default=None, max_length=256)
    agent_version: str | None = Field(default=None, max_length=64, pattern=AGENT_VERSION)
    disks: list[dict[str, Any]] = Field(default_factory=list, max_length=256)
    interfaces: list[dict[str, Any]] = Field(default_factory=list, max_length=512)
    extra: dict[str, Any] = Field(default_factory=dict)
