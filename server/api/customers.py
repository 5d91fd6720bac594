"""Customers, their sites and contracts."""

from __future__ import annotations

from fastapi import APIRouter
from vigil.server.api.deps import CurrentUser, Db
from vigil.server.schemas.customers import (
    ContractCreate,
    ContractPublic,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    SiteCreate,
    SitePublic,
)
from vigil.server.services import customers

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.get("", response_model=list[CustomerPublic])
def list_customers(principal: CurrentUser, db: Db) -> list[CustomerPublic]:
    return [CustomerPublic.model_validate(c) for c in customers.list_customers(db, principal)]


@router.post("", response_model=CustomerPublic, status_code=201)
def create_customer(data: CustomerCreate, principal: CurrentUser, db: Db) -> CustomerPublic:
    return CustomerPublic.model_validate(customers.create_customer(db, principal, data))


@router.get("/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: int, principal: CurrentUser, db: Db) -> CustomerPublic:
    return CustomerPublic.model_validate(customers.get_customer(db, principal, customer_id))


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update_customer(customer_id: int, data: CustomerUpdate, principal: CurrentUser, db: Db) -> CustomerPublic:
    return CustomerPublic.model_validate(customers.update_customer(db, principal, customer_id, data))


@router.get("/{customer_id}/sites", response_model=list[SitePublic])
def list_sites(customer_id: int, principal: CurrentUser, db: Db) -> list[SitePublic]:
    return [SitePublic.model_validate(s) for s in customers.list_sites(db, principal, customer_id)]


@router.post("/{customer_id}/sites", response_model=SitePublic, status_code=201)
def create_site(customer_id: int, data: SiteCreate, principal: CurrentUser, db: Db) -> SitePublic:
    return SitePublic.model_validate(customers.create_site(db, principal, customer_id, data))


@router.get("/{customer_id}/contracts", response_model=list[ContractPublic])
def list_contracts(customer_id: int, principal: CurrentUser, db: Db) -> list[ContractPublic]:
    return [ContractPublic.model_validate(c) for c in customers.list_contracts(db, principal, customer_id)]


@router.post("/{customer_id}/contracts", response_model=ContractPublic, status_code=201)
def create_contract(customer_id: int, data: ContractCreate, principal: CurrentUser, db: Db) -> ContractPublic:
    return ContractPublic.model_validate(customers.create_contract(db, principal, customer_id, data))
