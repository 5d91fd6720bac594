"""Replays a scenario file through the server's alerting: a real database, a real metric store.

The inventory (customers, sites, agents, polled devices, parents, windows) is created through
the server's services. Time is shifted by whole weeks to just before now, so the metric stores
take the points and weekdays and wall-clock times of windows stay the same. Samples are written
tick by tick, as ingest would, and each tick runs :meth:`AlertDriver.evaluate` at that time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from vigil.agent.wire import Point
from vigil.checks.engine import DeviceKey
from vigil.checks.ruleset import RuleResolver, default_rule_dicts
from vigil.checks.scenario import Outcome, Scenario, ScenarioDevice
from vigil.server.alerting import service
from vigil.server.alerting.driver import AlertDriver
from vigil.server.alerting.service import WindowIn, WindowScopeIn
from vigil.server.alerting.source import MetricStoreSource
from vigil.server.db.models import DeviceKind, NodeKind, Ticket
from vigil.server.metrics.base import MetricStore
from vigil.server.schemas.customers import CustomerCreate, SiteCreate
from vigil.server.schemas.devices import DeviceCreate, DeviceUpdate
from vigil.server.schemas.nodes import EnrollIn, EnrollmentTokenCreate
from vigil.server.services import customers, devices, enrollment
from vigil.server.services.principal import system_principal

NS = 1_000_000_000
WEEK = dt.timedelta(days=7)


def shifted(scenario: Scenario) -> Scenario:
    """The scenario moved by whole weeks so that it ends at least an hour before now."""
    latest_start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=scenario.duration_seconds) - dt.timedelta(hours=1)
    weeks = (latest_start - scenario.start) // WEEK
    delta = weeks * WEEK
    windows = [w.model_copy(update={"start": w.start + delta}) for w in scenario.windows]
    return scenario.model_copy(update={"start": scenario.start + delta, "windows": windows})


@dataclass
class ServerInventory:
    customer_ids: dict[str, int] = field(default_factory=dict)
    device_ids: dict[DeviceKey, int] = field(default_factory=dict)
    window_names: dict[str, str] = field(default_factory=dict)  # server id -> scenario id
    collector_nodes: dict[DeviceKey, int] = field(default_factory=dict)


def _ordered(found: list[ScenarioDevice]) -> list[ScenarioDevice]:
    """Parents before children."""
    names = {d.device for d in found}
    placed: set[str] = set()
    ordered: list[ScenarioDevice] = []
    while len(ordered) < len(found):
        for device in found:
            if device.device not in placed and all(p in placed or p not in names for p in device.parents):
                ordered.append(device)
                placed.add(device.device)
    return ordered


def build_inventory(sessions: sessionmaker[Session], scenario: Scenario) -> ServerInventory:
    system = system_principal()
    inventory = ServerInventory()
    sites: dict[tuple[str, str], int] = {}
    with sessions() as db, db.begin():
        for device in _ordered(scenario.expanded_devices()):
            assert len(device.parents) <= 1, "the server keeps one declared parent per device"
            if device.customer not in inventory.customer_ids:
                made = customers.create_customer(db, system, CustomerCreate(slug=device.customer, name=device.customer))
                inventory.customer_ids[device.customer] = made.id
            customer_id = inventory.customer_ids[device.customer]
            site_slug = device.site or "main"
            if (device.customer, site_slug) not in sites:
                site = customers.create_site(db, system, customer_id, SiteCreate(slug=site_slug, name=site_slug))
                sites[(device.customer, site_slug)] = site.id
            site_id = sites[(device.customer, site_slug)]
            if device.identity_tag in ("host", "collector"):
                kind = NodeKind.agent if device.identity_tag == "host" else NodeKind.collector
                token, _ = enrollment.create_enrollment_token(
                    db, system, EnrollmentTokenCreate(customer_id=customer_id, site_id=site_id, kind=kind), 24)
                _credential, node = enrollment.enroll(db, EnrollIn(token=token, name=device.device, kind=kind))
                if kind is NodeKind.collector:
                    inventory.collector_nodes[(device.customer, device.device)] = node.id
                if kind is NodeKind.agent:
                    host = next(d for d in devices.list_devices(db, system, customer_id) if d.name == device.device)
                    if device.tags:
                        devices.update_device(db, system, host.id, DeviceUpdate(tags=device.tags))
                    inventory.device_ids[(device.customer, device.device)] = host.id
                continue
            # A parent is a device in front of this one, or the collector that polls it.
            parent_key = (device.customer, device.parents[0]) if device.parents else None
            parent = inventory.device_ids.get(parent_key) if parent_key else None
            poller = inventory.collector_nodes.get(parent_key) if parent_key else None
            made_device = devices.create_device(db, system, DeviceCreate(
                customer_id=customer_id, site_id=site_id, name=device.device, kind=DeviceKind.other,
                tags=device.tags, parent_device_id=parent, node_id=poller,
            ))
            inventory.device_ids[(device.customer, device.device)] = made_device.id
        for window in scenario.windows:
            scope = window.scope
            row, _model = service.create_window(db, system, WindowIn(
                customer_id=inventory.customer_ids[scope.customer or ""], description=window.description,
                timezone=window.timezone,
                scope=WindowScopeIn(site=scope.site, device=scope.device, tag=scope.tag, rule=scope.rule),
                start=window.start, duration=window.duration_seconds,
                recurrence=window.recurrence.model_dump(mode="json") if window.recurrence else None,
            ))
            inventory.window_names[str(row.id)] = window.id
    return inventory


def resolver_for(scenario: Scenario) -> RuleResolver:
    if scenario.rules:
        return RuleResolver(scenario.rules)
    by_name = {r["name"]: r for r in default_rule_dicts()}
    return RuleResolver([by_name[n] for n in scenario.default_rules])


def replay(sessions: sessionmaker[Session], store: MetricStore, original: Scenario) -> tuple[Scenario, Outcome]:
    """Runs ``original`` (shifted) through the server; returns the shifted scenario and its outcome."""
    assert not original.overrides, "scenario overrides are replayed on the pure engine only"
    scenario = shifted(original)
    inventory = build_inventory(sessions, scenario)
    resolver = resolver_for(scenario)

    def new_driver() -> AlertDriver:
        return AlertDriver(sessions, MetricStoreSource(store), resolver=resolver, inventory_ttl_seconds=3600)

    driver = new_driver()
    samples = sorted(scenario.samples(), key=lambda s: s[3])
    restarts = sorted(scenario.start_ns + int(s * NS) for s in scenario.restart_at_seconds)
    outcome = Outcome()
    cursor = 0
    for now_ns in scenario.tick_times_ns():
        while restarts and restarts[0] <= now_ns:
            restarts.pop(0)
            driver = new_driver()  # nothing carried over but the database
        batch = []
        while cursor < len(samples) and samples[cursor][3] <= now_ns:
            measurement, tags, field_name, time_ns, value = samples[cursor]
            batch.append(Point(measurement, tags, {field_name: value}, time_ns))
            cursor += 1
        if batch:
            store.write(batch)
        for event in driver.evaluate(None, now_ns=now_ns).events:
            if event.window_id is not None:
                event = dataclasses.replace(event, window_id=inventory.window_names.get(event.window_id))
            outcome.events.append(event)
    system = system_principal()
    end = dt.datetime.fromtimestamp(scenario.start_ns / NS, dt.UTC) + dt.timedelta(seconds=scenario.duration_seconds)
    with sessions() as db:
        outcome.tickets_opened = db.scalar(select(func.count()).select_from(Ticket))
        for want in scenario.expect.planned_downtime:
            device_id = inventory.device_ids[(want.customer, want.device)]
            seconds, _spans = service.downtime_seconds(db, system, device_id, scenario.start, end)
            outcome.downtime_seconds[(want.customer, want.device, want.rule)] = seconds
    return scenario, outcome
