"""One evaluation round against the database: load states, run the engine, save, act on events.

The database is the engine's memory: each round loads the alert states of the devices it
evaluates (and every alert that marks a device down, for dependencies), runs a fresh
:class:`~vigil.checks.engine.Engine` over them, writes back what changed and turns the events
into ticket changes, all in one transaction. A restart or a second replica therefore carries on
the same incidents: the states and the tickets are found by fingerprint. On PostgreSQL the
loaded rows are locked (``FOR UPDATE``) for the round; a fingerprint two replicas create at once
fails one round's insert, which is retried once on fresh state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from vigil.checks.engine import AlertEvent, DeviceKey, Engine, EngineState, RoundError
from vigil.checks.model import Query
from vigil.checks.ruleset import RuleResolver
from vigil.checks.source import SeriesSource
from vigil.checks.state import AlertState
from vigil.server.alerting.inventory import Inventory, load_inventory
from vigil.server.alerting.models import AlertStateRow
from vigil.server.alerting.recent import RecentSamples
from vigil.server.alerting.ticketing import apply_event, utc_from_ns

log = logging.getLogger(__name__)

ARRIVAL_TYPES = frozenset({"threshold", "rate_of_change", "availability", "state_change", "composite"})
SCHEDULE_TYPES = frozenset({"absence", "forecast"})

EventListener = Callable[[list[AlertEvent]], None]


@dataclass
class RoundSummary:
    events: list[AlertEvent] = field(default_factory=list)
    errors: list[RoundError] = field(default_factory=list)
    evaluations: int = 0


class AlertDriver:
    """Evaluates rules for devices and keeps states and tickets in step. Thread-safe."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        source: SeriesSource,
        *,
        resolver: RuleResolver | None = None,
        inventory_ttl_seconds: float = 10.0,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.sessions = sessions
        self.source = source
        self.resolver = resolver or RuleResolver()
        self.inventory_ttl_seconds = inventory_ttl_seconds
        self.clock = clock
        self.listeners: list[EventListener] = []
        self._lock = threading.Lock()
        self._inventory: Inventory | None = None
        self._inventory_at = 0.0

    # ---- inventory ----

    def invalidate(self) -> None:
        """Forget the inventory snapshot (devices, overrides or windows changed)."""
        self._inventory = None

    def inventory(self) -> Inventory:
        snapshot = self._inventory
        if snapshot is None or time.monotonic() - self._inventory_at > self.inventory_ttl_seconds:
            with self.sessions() as db:
                snapshot = load_inventory(db)
            for problem in snapshot.broken:
                log.warning("alerting: %s", problem)
            if isinstance(self.source, RecentSamples):
                self.source.plan(self._arrival_queries(snapshot))
            self._inventory, self._inventory_at = snapshot, time.monotonic()
        return snapshot

    def _arrival_queries(self, inventory: Inventory) -> set[Query]:
        found: set[Query] = set()
        for target in inventory.targets(self.resolver, want=ARRIVAL_TYPES):
            for rule in target.rules:
                if rule.enabled and rule.applies(target.identity_tag):
                    found.update(rule.queries())
        return found

    # ---- rounds ----

    def evaluate(
        self,
        keys: Iterable[DeviceKey] | None = None,
        *,
        types: Collection[str] | None = None,
        now_ns: int | None = None,
        reconcile_all: bool = False,
    ) -> RoundSummary:
        """Evaluate the rules of ``types`` (all when None) for ``keys`` (every device when None).

        ``reconcile_all`` also re-decides every held alert (a window that ended, a root cause
        that cleared), as the scheduler does on each tick.
        """
        now_ns = self.clock() if now_ns is None else now_ns
        wanted = None if keys is None else list(dict.fromkeys(keys))
        with self._lock:
            try:
                return self._round(wanted, types, now_ns, reconcile_all)
            except IntegrityError:
                log.info("alerting: another replica created an alert state at the same time; retrying")
                return self._round(wanted, types, now_ns, reconcile_all)

    def _round(
        self, keys: list[DeviceKey] | None, types: Collection[str] | None, now_ns: int, reconcile_all: bool
    ) -> RoundSummary:
        inventory = self.inventory()
        targets = inventory.targets(self.resolver, keys, want=types)
        customers = {t.customer for t in targets}
        customer_ids = [inventory.customer_ids[c] for c in customers if c in inventory.customer_ids]
        summary = RoundSummary()
        with self.sessions() as db, db.begin():
            rows = self._load(db, inventory, keys, customer_ids, everything=reconcile_all or keys is None)
            engine = Engine(EngineState(AlertState.from_dict(r.state) for r in rows.values()))
            before = {fp: dict(r.state) for fp, r in rows.items()}
            windows = inventory.all_windows(customers if not reconcile_all else None)
            parents = inventory.parents()
            result = engine.evaluate(self.source, now_ns, targets, windows=windows, parents=parents,
                                     bulk=len(targets) > 50)
            events = list(result.events)
            if reconcile_all:
                everyone = inventory.targets(self.resolver)
                events += engine.reconcile(now_ns, everyone, windows=windows, parents=parents)
            self._save(db, inventory, engine, rows, before, now_ns)
            for event in events:
                row = rows.get(event.fingerprint) or db.get(AlertStateRow, event.fingerprint)
                if row is None:
                    continue  # an alert both opened and forgotten within the round cannot happen; be safe
                device = inventory.devices.get((event.customer, event.device))
                apply_event(db, event, row, device, self._description(inventory, event))
            summary.events, summary.errors, summary.evaluations = events, result.errors, result.evaluations
        for listener in self.listeners:
            listener(summary.events)
        for error in summary.errors:
            log.warning("alerting: %s/%s rule %s skipped: %s", error.customer, error.device, error.rule, error.reason)
        return summary

    def _description(self, inventory: Inventory, event: AlertEvent) -> str:
        device = inventory.devices.get((event.customer, event.device))
        rules = self.resolver.rules_for(inventory.layers_for(device) if device else [])
        return next((r.description for r in rules if r.name == event.rule), "")

    def _load(
        self, db: Session, inventory: Inventory, keys: list[DeviceKey] | None, customer_ids: list[int],
        everything: bool,
    ) -> dict[str, AlertStateRow]:
        query = select(AlertStateRow)
        if not everything and keys is not None:
            devices = sorted({device for customer, device in keys if customer in inventory.customer_ids})
            if not devices or not customer_ids:
                return {}
            # Names may repeat across customers; the rows of other customers' namesakes are
            # harmless here (the engine only touches the targets' own fingerprints).
            query = query.where(
                AlertStateRow.customer_id.in_(customer_ids),
                AlertStateRow.device.in_(devices) | AlertStateRow.marks_down.is_(True),
            )
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return {row.fingerprint: row for row in db.scalars(query)}

    def _save(
        self, db: Session, inventory: Inventory, engine: Engine, rows: dict[str, AlertStateRow],
        before: dict[str, dict[str, object]], now_ns: int,
    ) -> None:
        now = utc_from_ns(now_ns)
        for fp, gone in list(rows.items()):
            if fp not in engine.state.alerts:
                db.delete(gone)
                del rows[fp]
        for fp, alert in engine.state.alerts.items():
            data = alert.to_dict()
            row = rows.get(fp)
            if row is None:
                customer_id = inventory.customer_ids.get(alert.customer)
                if customer_id is None:
                    continue
                row = AlertStateRow(fingerprint=fp, customer_id=customer_id, device=alert.device, rule=alert.rule,
                                    instance=alert.instance)
                db.add(row)
                rows[fp] = row
            elif before.get(fp) == data:
                continue
            row.state, row.status, row.marks_down = data, alert.status.value, alert.marks_down
            row.incident_open, row.root_fingerprint, row.updated_at = (
                alert.incident_open, alert.root_fingerprint, now)
        db.flush()

