"""Tables of the collection part (migration 0004_collection).

- ``ssh_host_keys``: every SSH host key a collector has seen for a device. ``approved`` keys are
  the pinned ones handed to the collector; ``pending`` wait for an engineer; a key replaced by
  a newer approval becomes ``replaced``; ``rejected`` keys are never pinned.
- ``collection_events``: things a collector reported that rules and tickets should see (a
  changed SSH host key first); ``handled_at`` marks the ones taken up.
- ``discovery_proposals``: devices a discovery sweep found, waiting for approval; the SNMP
  credential that worked is kept encrypted, like device credentials.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from vigil.server.db.base import Base, UtcDateTime, utcnow


class SshHostKey(Base):
    __tablename__ = "ssh_host_keys"
    __table_args__ = (UniqueConstraint("device_id", "key_type", "key_base64"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    key_type: Mapped[str] = mapped_column(String(64))
    key_base64: Mapped[str] = mapped_column(String(4096))
    fingerprint_sha256: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected|replaced
    reported_as: Mapped[str] = mapped_column(String(16))  # unknown|changed|learned
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CollectionEvent(Base):
    __tablename__ = "collection_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(64))  # ssh_host_key_changed
    severity: Mapped[str] = mapped_column(String(16), default="critical")
    summary: Mapped[str] = mapped_column(String(512))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DiscoveryProposal(Base):
    __tablename__ = "discovery_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer, default=161)
    sys_name: Mapped[str] = mapped_column(String(256), default="")
    sys_descr: Mapped[str] = mapped_column(Text, default="")
    sys_object_id: Mapped[str] = mapped_column(String(256), default="")
    vendor: Mapped[str] = mapped_column(String(128), default="")
    profile: Mapped[str] = mapped_column(String(64), default="")
    model: Mapped[str] = mapped_column(String(256), default="")
    serial: Mapped[str] = mapped_column(String(256), default="")
    interfaces_count: Mapped[int] = mapped_column(Integer, default=0)
    snmp_secret: Mapped[str] = mapped_column(Text)  # encrypted with the server's SecretBox
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DiscoveryRequest(Base):
    """An engineer's request that a collector sweep an address range (``discovery from the
    server``); the collector picks it up on its next cycle and answers with proposals."""

    __tablename__ = "discovery_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    address_range: Mapped[str] = mapped_column(String(128))
    port: Mapped[int] = mapped_column(Integer, default=161)
    snmp_secrets: Mapped[str] = mapped_column(Text)  # encrypted JSON list of SNMP credentials
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done
    requested_by: Mapped[str] = mapped_column(String(64))
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
