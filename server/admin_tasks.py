"""Administrative tasks behind the command line (and the demo): no HTTP, the system as caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
from vigil.server.config import Settings
from vigil.server.db.migrate import upgrade
from vigil.server.db.models import Customer, EnrollmentToken, NodeKind, Role, User
from vigil.server.db.session import make_engine, make_sessionmaker
from vigil.server.errors import InvalidInput
from vigil.server.schemas.customers import CustomerCreate, SiteCreate
from vigil.server.schemas.nodes import EnrollmentTokenCreate
from vigil.server.schemas.users import UserCreate
from vigil.server.services import customers, enrollment, users
from vigil.server.services.principal import system_principal


@contextmanager
def session(settings: Settings) -> Iterator[Session]:
    """A committed-on-success session on an up-to-date database."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db, db.begin():
            yield db
    finally:
        engine.dispose()


def add_customer(
    db: Session, slug: str, name: str, sites: list[str], language: str = "zh", timezone: str = "Asia/Shanghai"
) -> Customer:
    system = system_principal()
    customer = customers.create_customer(
        db, system, CustomerCreate(slug=slug, name=name, language=language, timezone=timezone)
    )
    for site in sites:
        customers.create_site(db, system, customer.id, SiteCreate(slug=site, name=site))
    return customer


def add_user(db: Session, email: str, name: str, role: str, customer_slugs: list[str], password: str) -> User:
    try:
        user_role = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}") from None
    system = system_principal()
    ids = [customers.get_customer_by_slug(db, system, slug).id for slug in customer_slugs]
    return users.create_user(
        db, None, UserCreate(email=email, name=name, role=user_role, password=password, customer_ids=ids)
    )


def create_enrollment_token(
    db: Session, settings: Settings, customer_slug: str, site_slug: str, kind: str, hours: int | None
) -> tuple[str, EnrollmentToken]:
    system = system_principal()
    customer = customers.get_customer_by_slug(db, system, customer_slug)
    site = customers.get_site_by_slug(db, system, customer.id, site_slug)
    data = EnrollmentTokenCreate(customer_id=customer.id, site_id=site.id, kind=NodeKind(kind), hours=hours)
    return enrollment.create_enrollment_token(db, system, data, settings.auth.enrollment_token_hours)
