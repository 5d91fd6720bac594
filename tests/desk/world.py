"""Desk test data on top of tests/seed.py: customer contacts and languages, contracts (A gold
7x24, B silver business hours), staff tiers with team lead and manager, through the models."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.server.context import AppContext
from vigil.server.db.models import Contract, Customer, Role, User, UserCustomer
from vigil.server.tickets.models import DeskStaff

from tests.seed import Seed, _password_hash


@dataclass
class DeskWorld:
    seed: Seed
    contract_a: int
    contract_b: int
    lead_id: int
    manager_id: int


def prepare_desk(ctx: AppContext, seed: Seed) -> DeskWorld:
    with ctx.sessions() as db, db.begin():
        a = db.get(Customer, seed.a.customer_id)
        b = db.get(Customer, seed.b.customer_id)
        assert a is not None and b is not None
        a.notice_contacts = ["it@acme.example"]
        a.language = "zh"
        b.notice_contacts = ["ops@bravo.example"]
        b.language = "en"
        gold = Contract(customer_id=a.id, number="A-2026", sla_level="gold", terms={}, active=True)
        silver = Contract(customer_id=b.id, number="B-2026", sla_level="silver", terms={}, active=True)
        db.add_all([gold, silver])
        lead = User(email="lead@example.com", name="lead", role=Role.engineer, password_hash=_password_hash(),
                    phone="+8613900000001")
        manager = User(email="manager@example.com", name="manager", role=Role.admin,
                       password_hash=_password_hash(), all_customers=True, phone="+8613900000002")
        db.add_all([lead, manager])
        db.flush()
        db.add(UserCustomer(user_id=lead.id, customer_id=a.id))
        engineer = db.get(User, seed.user_ids["engineer_a"])
        assert engineer is not None
        engineer.phone = "+8613800000003"
        db.add(DeskStaff(user_id=engineer.id, tier=2, skills=["network", "storage"], team_lead_id=lead.id,
                         manager_id=manager.id))
        db.add(DeskStaff(user_id=lead.id, tier=2, skills=["network"], team_lead_id=lead.id, manager_id=manager.id))
        db.add(DeskStaff(user_id=seed.user_ids["expert_a"], tier=3, skills=["storage"], manager_id=manager.id))
        db.add(DeskStaff(user_id=seed.user_ids["dispatcher_a"], tier=1, manager_id=manager.id))
        db.flush()
        return DeskWorld(seed, gold.id, silver.id, lead.id, manager.id)
