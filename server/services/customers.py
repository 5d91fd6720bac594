"""Customers (the tenants), their sites and contracts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from vigil.server.db.models import Contract, Customer, Role, Site
from vigil.server.errors import Conflict, NotFound
from vigil.server.schemas.customers import ContractCreate, CustomerCreate, CustomerUpdate, SiteCreate
from vigil.server.services.patching import apply_patch
from vigil.server.services.principal import Principal, customer_filter


def create_customer(db: Session, principal: Principal, data: CustomerCreate) -> Customer:
    principal.require_role(Role.admin)
    if db.scalar(select(Customer.id).where(Customer.slug == data.slug)) is not None:
        raise Conflict(f"customer {data.slug!r} already exists")
    customer = Customer(**data.model_dump())
    db.add(customer)
    db.flush()
    return customer


def list_customers(db: Session, principal: Principal) -> list[Customer]:
    query = select(Customer).where(customer_filter(principal, Customer.id)).order_by(Customer.slug)
    return list(db.scalars(query))


def get_customer(db: Session, principal: Principal, customer_id: int) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None or not principal.can_see(customer.id):
        raise NotFound("customer not found")
    return customer


def get_customer_by_slug(db: Session, principal: Principal, slug: str) -> Customer:
    customer = db.scalar(select(Customer).where(Customer.slug == slug))
    if customer is None or not principal.can_see(customer.id):
        raise NotFound(f"customer {slug!r} not found")
    return customer


def update_customer(db: Session, principal: Principal, customer_id: int, data: CustomerUpdate) -> Customer:
    principal.require_role(Role.admin, Role.dispatcher)
    customer = get_customer(db, principal, customer_id)
    apply_patch(customer, data.model_dump(exclude_unset=True))
    db.flush()
    return customer


def create_site(db: Session, principal: Principal, customer_id: int, data: SiteCreate) -> Site:
    principal.require_role(Role.admin, Role.dispatcher)
    customer = get_customer(db, principal, customer_id)
    site = Site(customer_id=customer.id, **data.model_dump())
    db.add(site)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"site {data.slug!r} already exists for this customer") from None
    return site


def list_sites(db: Session, principal: Principal, customer_id: int) -> list[Site]:
    get_customer(db, principal, customer_id)
    return list(db.scalars(select(Site).where(Site.customer_id == customer_id).order_by(Site.slug)))


def get_site(db: Session, principal: Principal, site_id: int) -> Site:
    site = db.get(Site, site_id)
    if site is None or not principal.can_see(site.customer_id):
        raise NotFound("site not found")
    return site


def get_site_by_slug(db: Session, principal: Principal, customer_id: int, slug: str) -> Site:
    site = db.scalar(select(Site).where(Site.customer_id == customer_id, Site.slug == slug))
    if site is None or not principal.can_see(site.customer_id):
        raise NotFound(f"site {slug!r} not found")
    return site


def create_contract(db: Session, principal: Principal, customer_id: int, data: ContractCreate) -> Contract:
    principal.require_role(Role.admin)
    customer = get_customer(db, principal, customer_id)
    contract = Contract(customer_id=customer.id, **data.model_dump())
    db.add(contract)
    db.flush()
    return contract


def list_contracts(db: Session, principal: Principal, customer_id: int) -> list[Contract]:
    principal.require_staff()
    get_customer(db, principal, customer_id)
    return list(db.scalars(select(Contract).where(Contract.customer_id == customer_id).order_by(Contract.id)))
