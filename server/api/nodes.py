"""Enrolment of agents and collectors, the nodes themselves, and host inventory from agents."""

from __future__ import annotations

from fastapi import APIRouter
from vigil.server.api.deps import Ctx, CurrentNode, CurrentUser, Db
from vigil.server.schemas.nodes import (
    EnrollIn,
    EnrollmentTokenCreate,
    EnrollmentTokenOut,
    EnrollOut,
    InventoryIn,
    NodePublic,
)
from vigil.server.services import devices, enrollment
from vigil.server.services.customers import get_customer, get_site
from vigil.server.services.principal import system_principal

router = APIRouter(prefix="/api/v1", tags=["nodes"])


@router.post("/enrollment-tokens", response_model=EnrollmentTokenOut, status_code=201)
def create_enrollment_token(
    data: EnrollmentTokenCreate, principal: CurrentUser, db: Db, ctx: Ctx
) -> EnrollmentTokenOut:
    token, row = enrollment.create_enrollment_token(db, principal, data, ctx.settings.auth.enrollment_token_hours)
    return EnrollmentTokenOut(
        id=row.id,
        token=token,
        expires_at=row.expires_at,
        customer_id=row.customer_id,
        site_id=row.site_id,
        kind=row.kind,
    )


@router.post("/enrollment-tokens/{token_id}/revoke", status_code=204)
def revoke_enrollment_token(token_id: int, principal: CurrentUser, db: Db) -> None:
    enrollment.revoke_enrollment_token(db, principal, token_id)


@router.post("/enroll", response_model=EnrollOut, responses={401: {"description": "token not valid"}})
def enroll(data: EnrollIn, db: Db) -> EnrollOut:
    credential, node = enrollment.enroll(db, data)
    # Enrolment has no user: the token itself is the authorisation.
    customer = get_customer(db, system_principal(), node.customer_id)
    site = get_site(db, system_principal(), node.site_id)
    return EnrollOut(
        node_id=node.public_id, credential=credential, customer=customer.slug, site=site.slug, name=node.name
    )


@router.get("/nodes", response_model=list[NodePublic])
def list_nodes(principal: CurrentUser, db: Db, customer_id: int | None = None) -> list[NodePublic]:
    return [NodePublic.model_validate(n) for n in enrollment.list_nodes(db, principal, customer_id)]


@router.post("/nodes/{node_id}/revoke", response_model=NodePublic)
def revoke_node(node_id: int, principal: CurrentUser, db: Db) -> NodePublic:
    return NodePublic.model_validate(enrollment.revoke_node(db, principal, node_id))


@router.put("/node/inventory", status_code=204)
def put_inventory(data: InventoryIn, node: CurrentNode, db: Db) -> None:
    devices.record_inventory(db, node, data)
