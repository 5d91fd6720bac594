"""Two tenants for tests: customer A and customer B, with everything a route may touch.

Built through the services (not raw SQL), so the seed is what the product would create.
Every user's password is ``PASSWORD``; each user also has an API token in ``tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from vigil.server.context import AppContext
from vigil.server.db.models import DeviceKind, NodeKind, Role, User, UserCustomer
from vigil.server.schemas.customers import CustomerCreate, SiteCreate
from vigil.server.schemas.devices import CredentialsIn, DeviceCreate, SnmpCredential
from vigil.server.schemas.nodes import EnrollIn, EnrollmentTokenCreate
from vigil.server.security.passwords import hash_password
from vigil.server.services import customers, devices, enrollment, users
from vigil.server.services.principal import system_principal

PASSWORD = "correct horse battery"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Tenant:
    customer_id: int
    slug: str
    site_id: int
    host_id: int = 0
    switch_id: int = 0
    agent_credential: str = ""
    collector_credential: str = ""
    agent_node_id: int = 0
    collector_node_id: int = 0


@dataclass
class Seed:
    a: Tenant
    b: Tenant
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _tenant(ctx: AppContext, slug: str, name: str) -> Tenant:
    system = system_principal()
    with ctx.sessions() as db, db.begin():
        customer = customers.create_customer(db, system, CustomerCreate(slug=slug, name=name))
        site = customers.create_site(db, system, customer.id, SiteCreate(slug="main", name="Main site"))
        customers.create_site(db, system, customer.id, SiteCreate(slug="branch", name="Branch office"))
        tenant = Tenant(customer.id, slug, site.id)
        for kind, attr in ((NodeKind.agent, "agent"), (NodeKind.collector, "collector")):
            token, _ = enrollment.create_enrollment_token(
                db, system, EnrollmentTokenCreate(customer_id=customer.id, site_id=site.id, kind=kind), 24
            )
            credential, node = enrollment.enroll(db, EnrollIn(token=token, name=f"{slug}-{attr}", kind=kind))
            setattr(tenant, f"{attr}_credential", credential)
            setattr(tenant, f"{attr}_node_id", node.id)
        host = devices.list_devices(db, system, customer.id)[0]
        tenant.host_id = host.id
        switch = devices.create_device(
            db,
            system,
            DeviceCreate(
                customer_id=customer.id,
                site_id=site.id,
                name=f"{slug}-switch",
                kind=DeviceKind.switch,
                node_id=tenant.collector_node_id,
                mgmt_address="127.0.0.1",
            ),
        )
        devices.set_credentials(
            db, system, ctx.secrets, switch.id, CredentialsIn(snmp=SnmpCredential(community=f"{slug}-secret"))
        )
        tenant.switch_id = switch.id
    return tenant


def seed_tenants(ctx: AppContext) -> Seed:
    seed = Seed(_tenant(ctx, "acme", "ACME 制造"), _tenant(ctx, "bravo", "Bravo Bank"))
    people = {
        "admin": (Role.admin, []),
        "dispatcher_a": (Role.dispatcher, [seed.a.customer_id]),
        "engineer_a": (Role.engineer, [seed.a.customer_id]),
        "expert_a": (Role.expert, [seed.a.customer_id]),
        "viewer_a": (Role.customer_viewer, [seed.a.customer_id]),
        "dispatcher_b": (Role.dispatcher, [seed.b.customer_id]),
        "viewer_b": (Role.customer_viewer, [seed.b.customer_id]),
    }
    with ctx.sessions() as db, db.begin():
        for who, (role, customer_ids) in people.items():
            # Rows made directly with one cached hash: Argon2 takes ~0.2 s a hash by design.
            # users.create_user itself is tested through the API (tests/server/test_users.py).
            user = User(
                email=f"{who}@example.com",
                name=who,
                role=role,
                password_hash=_password_hash(),
                all_customers=role is Role.admin,
            )
            db.add(user)
            db.flush()
            db.add_all(UserCustomer(user_id=user.id, customer_id=cid) for cid in customer_ids)
            token, _ = users.issue_token(db, user, "api", name="tests")
            seed.tokens[who] = token
            seed.user_ids[who] = user.id
    return seed
