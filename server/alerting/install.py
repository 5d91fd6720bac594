"""Wiring into the server: the ingest hook, the arrival worker and the scheduler.

- Ingest calls :meth:`ArrivalQueue.hook` after a batch is stored; it only notes which devices
  sent data (a set, so a busy device is evaluated once per pass), never evaluates in the
  request, so a slow rule never slows ingest.
- The arrival worker takes the noted devices as soon as there are any and evaluates their
  threshold, rate, availability, state-change and composite rules. A device that keeps
  sending (an agent flushing its spool after an outage, a collector's flood of batches) is
  evaluated at most once per ``device_interval_seconds``: its later batches wait in the queue
  and are evaluated together, so the rules cost per device, not per batch.
- The scheduler evaluates absence rules every ``schedule_interval_seconds`` and forecasts every
  ``forecast_interval_seconds`` for every device, and re-decides held alerts (a maintenance
  window that ended, a root cause that cleared).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from vigil.agent.wire import Point
from vigil.checks.engine import DeviceKey
from vigil.checks.errors import ChecksError
from vigil.server.alerting.config import AlertingSettings, alerting_settings
from vigil.server.alerting.driver import ARRIVAL_TYPES, AlertDriver
from vigil.server.alerting.recent import RecentSamples
from vigil.server.alerting.source import MetricStoreSource
from vigil.server.context import AppContext
from vigil.server.db.models import NodeKind
from vigil.server.errors import VigilError
from vigil.server.services.enrollment import NodeIdentity
from vigil.server.services.ingest import IngestService
from vigil.server.services.ingest_check import AcceptedBatch

log = logging.getLogger(__name__)


def devices_in_batch(node: NodeIdentity, batch: AcceptedBatch) -> set[DeviceKey]:
    if node.kind is NodeKind.agent:
        return {(node.customer_slug, node.name)}
    return {(node.customer_slug, device if device is not None else node.name) for device in batch.devices}


class ArrivalQueue:
    """Devices with new data, with the arrival time of the oldest unevaluated batch.

    A device taken for a round is not taken again until ``min_interval_seconds`` later: what it
    sends meanwhile waits (deferred) and is taken once the interval has passed.
    """

    def __init__(self, min_interval_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_interval_seconds = min_interval_seconds
        self.clock = clock
        self._due: dict[DeviceKey, int] = {}
        self._deferred: dict[DeviceKey, int] = {}
        # Devices taken within the interval, oldest first (taken in clock order, so sorted).
        self._taken_at: dict[DeviceKey, float] = {}
        self._ready = threading.Condition()

    def hook(self, node: NodeIdentity, batch: AcceptedBatch) -> None:
        if batch:
            self.put(devices_in_batch(node, batch), time.time_ns())

    def put(self, keys: Iterable[DeviceKey], arrived_ns: int) -> None:
        with self._ready:
            for key in keys:
                (self._deferred if key in self._taken_at else self._due).setdefault(key, arrived_ns)
            self._ready.notify()

    def take(self, timeout_seconds: float, linger_seconds: float = 0.0) -> dict[DeviceKey, int]:
        """The devices that are due; waits up to ``timeout_seconds`` for a first one, then
        lingers a little for more, so one round (one transaction) serves many devices."""
        deadline = self.clock() + timeout_seconds
        with self._ready:
            while (wait := self._seconds_until_due(self.clock())) > 0:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return {}
                self._ready.wait(min(wait, remaining))
        if linger_seconds > 0:
            time.sleep(linger_seconds)
        with self._ready:
            now = self.clock()
            self._release(now)
            taken, self._due = self._due, {}
            for key in taken:
                self._taken_at[key] = now
            return taken

    def _seconds_until_due(self, now: float) -> float:
        """0 when a device is due; else how long until a deferred one may be (inf: none)."""
        self._release(now)
        if self._due:
            return 0.0
        if self._deferred:
            return next(iter(self._taken_at.values())) + self.min_interval_seconds - now
        return math.inf

    def _release(self, now: float) -> None:
        """Forget the devices taken an interval ago or more; their deferred data is due."""
        oldest = now - self.min_interval_seconds
        while self._taken_at:
            key, taken = next(iter(self._taken_at.items()))
            if taken > oldest:
                break
            del self._taken_at[key]
            arrived = self._deferred.pop(key, None)
            if arrived is not None:
                self._due[key] = arrived


def arrival_worker(driver: AlertDriver, queue: ArrivalQueue, stop: threading.Event, linger_seconds: float) -> None:
    while not stop.is_set():
        keys = queue.take(0.5, linger_seconds)
        if not keys:
            continue
        try:
            driver.evaluate(keys, types=ARRIVAL_TYPES)
        except (SQLAlchemyError, VigilError, ChecksError) as exc:
            log.error("alerting: arrival round for %d devices failed: %s", len(keys), exc)


def schedule_worker(driver: AlertDriver, settings: AlertingSettings, stop: threading.Event) -> None:
    last_forecast = 0.0
    while not stop.wait(settings.schedule_interval_seconds):
        types = {"absence"}
        if time.monotonic() - last_forecast >= settings.forecast_interval_seconds:
            types.add("forecast")
            last_forecast = time.monotonic()
        try:
            driver.evaluate(None, types=types, reconcile_all=True)
        except (SQLAlchemyError, VigilError, ChecksError) as exc:
            log.error("alerting: scheduled round failed: %s", exc)


def attach_to_ingest(ingest: IngestService, recent: RecentSamples | None, queue: ArrivalQueue) -> None:
    """Each stored batch feeds the recent-samples memory (when there is one) and notes its
    devices for the arrival worker."""
    if recent is not None:
        # Parsed while the batch is being stored; the hook then finds them ready. Samples
        # older than any arrival rule reads (a backlog's) are not even parsed.
        wanted = recent.fields_wanted

        def kept_points(batch: AcceptedBatch) -> list[Point]:
            return batch.points(wanted, oldest_ns=recent.oldest_read_ns())

        ingest.prepares.append(kept_points)
        ingest.hooks.append(lambda _node, batch: recent.add(kept_points(batch)))
    ingest.hooks.append(queue.hook)


def install(app: FastAPI, ctx: AppContext, settings: AlertingSettings | None = None) -> AlertDriver:
    settings = settings or alerting_settings(ctx.settings.extra_sections.get("alerting"))
    store_source = MetricStoreSource(ctx.metrics)
    recent = RecentSamples(store_source) if settings.recent_samples else None
    driver = AlertDriver(ctx.sessions, recent or store_source, inventory_ttl_seconds=settings.inventory_ttl_seconds)
    app.state.alerting = driver
    if not settings.enabled:
        return driver
    queue = ArrivalQueue(settings.device_interval_seconds)
    if recent is not None:
        driver.inventory()  # plans what the memory keeps, before the first batch arrives
    attach_to_ingest(ctx.ingest, recent, queue)
    ctx.workers["alerting-arrival"] = lambda stop: arrival_worker(driver, queue, stop, settings.linger_seconds)
    ctx.workers["alerting-schedule"] = lambda stop: schedule_worker(driver, settings, stop)
    return driver
