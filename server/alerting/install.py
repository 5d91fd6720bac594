"""Wiring into the server: the ingest hook, the arrival worker and the scheduler.

- Ingest calls :meth:`ArrivalQueue.hook` after a batch is stored; it only notes which devices
  sent data (a set, so a busy device is evaluated once per pass), never evaluates in the
  request, so a slow rule never slows ingest.
- The arrival worker takes the noted devices as soon as there are any and evaluates their
  threshold, rate, availability, state-change and composite rules.
- The scheduler evaluates absence rules every ``schedule_interval_seconds`` and forecasts every
  ``forecast_interval_seconds`` for every device, and re-decides held alerts (a maintenance
  window that ended, a root cause that cleared).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from vigil.checks.engine import DeviceKey
from vigil.checks.errors import ChecksError
from vigil.server.alerting.driver import ARRIVAL_TYPES, AlertDriver
from vigil.server.alerting.recent import RecentSamples
from vigil.server.alerting.source import MetricStoreSource
from vigil.server.config import section_settings
from vigil.server.context import AppContext
from vigil.server.db.models import NodeKind
from vigil.server.errors import VigilError
from vigil.server.services.enrollment import NodeIdentity
from vigil.server.services.ingest_check import AcceptedBatch

log = logging.getLogger(__name__)


class AlertingSettings(BaseModel):
    """The ``[extra_sections.alerting]`` table of the server's config file."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    schedule_interval_seconds: float = Field(default=30.0, gt=0)
    forecast_interval_seconds: float = Field(default=3600.0, gt=0)
    inventory_ttl_seconds: float = Field(default=10.0, ge=0)
    # Recent samples in memory for arrival rules (see recent.py); off for replicas without
    # sticky routing of nodes.
    recent_samples: bool = True
    # How long the arrival worker gathers devices before a round: one transaction for many.
    linger_seconds: float = Field(default=0.05, ge=0, le=1)


def alerting_settings(raw: dict[str, Any] | None) -> AlertingSettings:
    """AlertingSettings from the config section; InvalidInput names the key and the reason."""
    return section_settings(AlertingSettings, raw, "alerting")


def devices_in_batch(node: NodeIdentity, batch: AcceptedBatch) -> set[DeviceKey]:
    if node.kind is NodeKind.agent:
        return {(node.customer_slug, node.name)}
    return {(node.customer_slug, device if device is not None else node.name) for device in batch.devices}


class ArrivalQueue:
    """Devices with new data, with the arrival time of the oldest unevaluated batch."""

    def __init__(self) -> None:
        self._pending: dict[DeviceKey, int] = {}
        self._ready = threading.Condition()

    def hook(self, node: NodeIdentity, batch: AcceptedBatch) -> None:
        if batch:
            self.put(devices_in_batch(node, batch), time.time_ns())

    def put(self, keys: Iterable[DeviceKey], arrived_ns: int) -> None:
        with self._ready:
            for key in keys:
                self._pending.setdefault(key, arrived_ns)
            self._ready.notify()

    def take(self, timeout_seconds: float, linger_seconds: float = 0.0) -> dict[DeviceKey, int]:
        """What is pending; waits up to ``timeout_seconds`` for a first device, then lingers a
        little for more, so one round (one transaction) serves many devices."""
        with self._ready:
            if not self._pending:
                self._ready.wait(timeout_seconds)
        if linger_seconds > 0 and self._pending:
            time.sleep(linger_seconds)
        with self._ready:
            taken, self._pending = self._pending, {}
            return taken


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


def install(app: FastAPI, ctx: AppContext, settings: AlertingSettings | None = None) -> AlertDriver:
    settings = settings or alerting_settings(ctx.settings.extra_sections.get("alerting"))
    store_source = MetricStoreSource(ctx.metrics)
    recent = RecentSamples(store_source) if settings.recent_samples else None
    driver = AlertDriver(ctx.sessions, recent or store_source, inventory_ttl_seconds=settings.inventory_ttl_seconds)
    app.state.alerting = driver
    if not settings.enabled:
        return driver
    queue = ArrivalQueue()
    if recent is not None:
        # Parsed while the batch is being stored; the hook then finds them ready.
        wanted = recent.fields_wanted
        ctx.ingest.prepares.append(lambda batch: batch.points(wanted))
        ctx.ingest.hooks.append(lambda _node, batch: recent.add(batch.points(wanted)))
        driver.inventory()  # plans what the memory keeps, before the first batch arrives
    ctx.ingest.hooks.append(queue.hook)
    ctx.workers["alerting-arrival"] = lambda stop: arrival_worker(driver, queue, stop, settings.linger_seconds)
    ctx.workers["alerting-schedule"] = lambda stop: schedule_worker(driver, settings, stop)
    return driver
