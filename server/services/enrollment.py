"""Enrolment of agents and collectors, and the node credentials they then present.

An enrolment token is one-time, expiring, bound to a customer and site, and stored hashed.
``enroll`` exchanges it for a node credential in one transaction: an expired, used, revoked or
unknown token raises Unauthorized and creates nothing. A revoked node credential stops at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session
from vigil.server.db.base import utcnow
from vigil.server.db.models import (
    Customer,
    Device,
    DeviceKind,
    EnrollmentToken,
    Node,
    NodeKind,
    Role,
    Site,
)
from vigil.server.errors import Conflict, NotFound, Unauthorized
from vigil.server.schemas.nodes import EnrollIn, EnrollmentTokenCreate
from vigil.server.security import tokens
from vigil.server.services.principal import Principal, customer_filter


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """What the server knows about an authenticated node: the source of identity tags."""

    node_id: int
    public_id: str
    kind: NodeKind
    name: str
    customer_id: int
    customer_slug: str
    site_id: int
    site_slug: str


def create_enrollment_token(
    db: Session, principal: Principal, data: EnrollmentTokenCreate, default_hours: int
) -> tuple[str, EnrollmentToken]:
    principal.require_role(Role.admin, Role.dispatcher, Role.engineer)
    principal.require_customer(data.customer_id, "customer")
    site = db.get(Site, data.site_id)
    if site is None or site.customer_id != data.customer_id:
        raise NotFound("site not found")
    token = tokens.new_token(tokens.ENROLL)
    row = EnrollmentToken(
        customer_id=data.customer_id,
        site_id=site.id,
        kind=data.kind,
        token_hash=tokens.token_hash(token),
        expires_at=utcnow() + timedelta(hours=data.hours or default_hours),
        created_by=principal.user_id or None,
    )
    db.add(row)
    db.flush()
    return token, row


def revoke_enrollment_token(db: Session, principal: Principal, token_id: int) -> None:
    principal.require_role(Role.admin, Role.dispatcher, Role.engineer)
    row = db.get(EnrollmentToken, token_id)
    if row is None or not principal.can_see(row.customer_id):
        raise NotFound("enrolment token not found")
    row.revoked_at = row.revoked_at or utcnow()
    db.flush()


def enroll(db: Session, data: EnrollIn, now: datetime | None = None) -> tuple[str, Node]:
    now = now or utcnow()
    # Claim the token atomically: only one of two racing enrolments can flip used_at.
    claimed = db.execute(
        update(EnrollmentToken)
        .where(
            EnrollmentToken.token_hash == tokens.token_hash(data.token),
            EnrollmentToken.used_at.is_(None),
            EnrollmentToken.revoked_at.is_(None),
            EnrollmentToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Unauthorized("enrolment token is invalid, expired, used or revoked")
    row = db.scalar(select(EnrollmentToken).where(EnrollmentToken.token_hash == tokens.token_hash(data.token)))
    assert row is not None
    if row.kind != data.kind:
        raise Unauthorized(f"this enrolment token is for a {row.kind.value}, not a {data.kind.value}")
    existing = db.scalar(
        select(Node).where(
            Node.customer_id == row.customer_id,
            Node.site_id == row.site_id,
            Node.kind == data.kind,
            Node.name == data.name,
        )
    )
    if existing is not None:
        if existing.revoked_at is None:
            raise Conflict(f"a {data.kind.value} named {data.name!r} is enrolled already; revoke it first")
        db.delete(existing)
        db.flush()
    credential = tokens.new_token(tokens.NODE)
    node = Node(
        public_id=tokens.new_public_id(),
        customer_id=row.customer_id,
        site_id=row.site_id,
        kind=data.kind,
        name=data.name,
        credential_hash=tokens.token_hash(credential),
        version=data.version or None,
    )
    db.add(node)
    db.flush()
    row.node_id = node.id
    if data.kind is NodeKind.agent:
        _attach_host_device(db, node)
    db.flush()
    return credential, node


def _attach_host_device(db: Session, node: Node) -> None:
    device = db.scalar(select(Device).where(Device.customer_id == node.customer_id, Device.name == node.name))
    if device is None:
        device = Device(customer_id=node.customer_id, site_id=node.site_id, name=node.name, kind=DeviceKind.host)
        db.add(device)
    device.node_id = node.id


def authenticate_node(db: Session, credential: str) -> NodeIdentity:
    # Columns, not a Node entity: this runs for every ingest request.
    row = db.execute(
        select(
            Node.id, Node.public_id, Node.kind, Node.name, Node.customer_id, Customer.slug, Node.site_id, Site.slug
        )
        .join(Customer, Customer.id == Node.customer_id)
        .join(Site, Site.id == Node.site_id)
        .where(Node.credential_hash == tokens.token_hash(credential), Node.revoked_at.is_(None))
    ).first()
    if row is None:
        raise Unauthorized("node credential is invalid or revoked")
    return NodeIdentity(*row)


def touch_node(
    db: Session | Connection, node_id: int, version: str | None = None, now: datetime | None = None
) -> None:
    values: dict[str, object] = {"last_seen_at": now or utcnow()}
    if version:
        values["version"] = version
    db.execute(update(Node).where(Node.id == node_id).values(**values))


def list_nodes(db: Session, principal: Principal, customer_id: int | None = None) -> list[Node]:
    principal.require_staff()
    query = select(Node).where(customer_filter(principal, Node.customer_id)).order_by(Node.name)
    if customer_id is not None:
        query = query.where(Node.customer_id == customer_id)
    return list(db.scalars(query))


def revoke_node(db: Session, principal: Principal, node_id: int) -> Node:
    principal.require_role(Role.admin, Role.dispatcher, Role.engineer)
    node = db.get(Node, node_id)
    if node is None or not principal.can_see(node.customer_id):
        raise NotFound("node not found")
    node.revoked_at = node.revoked_at or utcnow()
    db.flush()
    return node
