"""The alerting inventory: identity tags, parents, and stored rows that no longer validate."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from vigil.checks.ruleset import RuleResolver
from vigil.checks.scenario import load_scenario
from vigil.server.alerting.inventory import load_inventory
from vigil.server.alerting.models import MaintenanceWindowRow, RuleOverrideRow

from tests.alerting.replay import build_inventory

LAYOUT = """
name: layout
evaluation_interval: 1m
duration: 1m
default_rules: [cpu_high]
devices:
  - {customer: acme, device: web1, identity_tag: host, site: hq, tags: [production]}
  - {customer: acme, device: col1, identity_tag: collector, site: hq}
  - {customer: acme, device: core1, identity_tag: device, site: hq}
  - {customer: acme, device: sw1, identity_tag: device, site: hq, parents: [core1]}
series: []
expect: {}
"""


def test_identity_parents_and_broken_rows(sessions: sessionmaker[Session]) -> None:
    made = build_inventory(sessions, load_scenario(LAYOUT))
    customer_id = made.customer_ids["acme"]
    with sessions() as db, db.begin():
        db.add(RuleOverrideRow(scope_key=f"device:{made.device_ids[('acme', 'web1')]}", level="device",
                               customer_id=customer_id, device_id=made.device_ids[("acme", "web1")],
                               rules={"cpu_high": {"threshold": "very"}}))
        db.add(MaintenanceWindowRow(customer_id=customer_id, definition={"start": "yesterday"}))
        db.add(MaintenanceWindowRow(customer_id=customer_id, definition={
            "start": "2026-03-01T02:00:00", "duration": "1h", "scope": {"site": "hq"}}))
    with sessions() as db:
        inventory = load_inventory(db)
    identity = {name: info.identity_tag for (_c, name), info in inventory.devices.items()}
    assert identity == {"web1": "host", "col1": "collector", "core1": "device", "sw1": "device"}
    assert inventory.devices[("acme", "web1")].tags == frozenset({"production"})
    assert inventory.parents() == {("acme", "sw1"): [("acme", "core1")]}
    assert len(inventory.all_windows()) == 1  # the valid one; the broken one is reported
    assert any("maintenance window" in problem for problem in inventory.broken)
    (target,) = inventory.targets(RuleResolver(), [("acme", "web1")])
    cpu = next(r for r in target.rules if r.name == "cpu_high")
    assert cpu.model_dump()["threshold"] == 90  # the stored override no longer validates: defaults run
    assert any("web1" in problem and "threshold" in problem for problem in inventory.broken)
