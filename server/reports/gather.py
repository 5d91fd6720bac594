"""The month's figures for one customer: inventory, health, availability, capacity, service.

Metrics are read as aggregates for the whole customer (:class:`~vigil.server.reports.readings.Readings`),
relational data from the tables; the result is a :class:`~vigil.server.reports.figures.ReportData`
the sections turn into pages. Nothing here writes.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.checks.rules.forecast import days_until_full
from vigil.server.alerting.service import downtime_seconds
from vigil.server.db.models import Customer, Device, Site
from vigil.server.errors import NotFound
from vigil.server.metrics.base import MetricStore, MetricStoreError
from vigil.server.reports import sources
from vigil.server.reports.availability import HOUR_NS, NS, availability, reboots
from vigil.server.reports.desk_figures import satisfaction_figures, service_figures
from vigil.server.reports.figures import (
    DeviceFigure,
    InspectionFigure,
    InspectionItemFigure,
    InterfaceFigure,
    InventoryChange,
    ReportData,
    Stat,
    VolumeFigure,
)
from vigil.server.reports.models import Inspection, InspectionItem, Report
from vigil.server.reports.period import Period, previous_label
from vigil.server.reports.readings import Key, Readings, Rows
from vigil.server.services.principal import system_principal

# Forecast points: 6-hour means (a multiple of the hourly rollup).
FORECAST_STEP_SECONDS = 6 * 3600
TREND_STEP_SECONDS = 3 * 3600
DAY_SECONDS = 86400


def _stat(readings: Readings, srcs: tuple[sources.Source, ...]) -> dict[str, Stat]:
    # Whole-month aggregates: the embedded store reads the month's daily rollups for them.
    mean = readings.per_device(srcs, "mean")
    p95 = readings.per_device(srcs, "p95")
    high = readings.per_device(srcs, "max")
    return {name: Stat(mean.get(name), p95.get(name), high.get(name)) for name in mean.keys() | high.keys()}


def _by_device(values: dict[Key, Any]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = defaultdict(dict)
    for (name, instance), value in values.items():
        grouped[name][instance] = value
    return grouped


def _midpoints(rows: list[tuple[int, float | None]], step_seconds: int, end_ns: int) -> list[tuple[float, float]]:
    """(seconds relative to end, value) at each bucket's middle: a mean belongs to its middle."""
    half = step_seconds * NS // 2
    return [((t + half - end_ns) / NS, v) for t, v in rows if v is not None]


def _volumes(readings: Readings, end_ns: int) -> dict[str, list[VolumeFigure]]:
    # One query: 6-hour means give the level at the end, the peak level and the trend.
    trend = readings.series(sources.DISK, "mean", FORECAST_STEP_SECONDS)
    found: dict[str, list[VolumeFigure]] = defaultdict(list)
    for key in sorted(trend):
        points = _midpoints(trend[key], FORECAST_STEP_SECONDS, end_ns)
        days = growth = None
        if len(points) >= 2 and points[-1][0] - points[0][0] >= 2 * DAY_SECONDS:
            days = days_until_full(points, 0.0, 100.0)
            growth = points[-1][1] - points[0][1]
        last = points[-1][1] if points else None
        high = max((v for _x, v in points), default=None)
        found[key[0]].append(VolumeFigure(key[0], key[1], last, high, growth, days))
    return found


def _interfaces(readings: Readings) -> dict[str, list[InterfaceFigure]]:
    stats = {
        direction: {agg: readings.whole(srcs, agg) for agg in ("mean", "p95", "max")}
        for direction, srcs in (("in", sources.IF_IN_UTIL), ("out", sources.IF_OUT_UTIL))
    }
    keys = stats["in"]["mean"].keys() | stats["out"]["mean"].keys()
    found: dict[str, list[InterfaceFigure]] = defaultdict(list)
    for key in sorted(keys):
        def stat(direction: str, key: Key = key) -> Stat:
            return Stat(*(stats[direction][agg].get(key) for agg in ("mean", "p95", "max")))

        found[key[0]].append(InterfaceFigure(key[1], stat("in"), stat("out")))
    return found


def _traffic(readings: Readings) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Mean traffic in and out per device (interfaces summed) and its growth, last week vs first."""
    totals = []
    for srcs in (sources.TRAFFIC_IN, sources.TRAFFIC_OUT):
        # The month's mean from the daily means the growth needs anyway (one query per source).
        per: dict[str, float] = defaultdict(float)
        for (name, instance), rows in readings.series(srcs, "mean", DAY_SECONDS).items():
            values = [v for _t, v in rows if v is not None]
            if instance not in sources.IGNORED_INTERFACES and values:
                per[name] += fmean(values)
        totals.append(dict(per))
    daily: dict[str, list[float]] = {}
    for (name, instance), rows in readings.series(sources.TRAFFIC_IN, "mean", DAY_SECONDS).items():
        if instance in sources.IGNORED_INTERFACES:
            continue
        values = [v or 0.0 for _t, v in rows]
        daily[name] = [a + b for a, b in zip(daily.get(name, [0.0] * len(values)), values, strict=False)]
    growth = {}
    for name, values in daily.items():
        first, last = values[:7], values[-7:]
        if len(values) >= 14 and sum(first) > 0:
            growth[name] = 100.0 * (sum(last) - sum(first)) / sum(first)
    return totals[0], totals[1], growth


def _errors(readings: Readings, seconds: float) -> dict[str, float]:
    per: dict[str, float] = defaultdict(float)
    for (name, _instance), rate in readings.whole(sources.ERRORS, "mean").items():
        per[name] += rate * seconds
    return dict(per)


def _liveness(readings: Readings, device: DeviceFigure) -> tuple[Rows, Rows | None]:
    if device.kind == "host":
        counts = readings.series((sources.LIVENESS_HOST,), "count", 3600).get((device.name, ""))
        if counts:
            return counts, None
    for source in sources.LIVENESS_DEVICE:
        counts = readings.series((source,), "count", 3600).get((device.name, ""))
        if counts:
            return counts, readings.series((source,), "mean", 3600).get((device.name, ""))
    counts = readings.series((sources.LIVENESS_HOST,), "count", 3600).get((device.name, ""))
    return counts or [], None


def _planned_spans(db: Session, device_id: int, period: Period, until: datetime) -> list[tuple[int, int]]:
    _seconds, spans = downtime_seconds(db, system_principal(), device_id, period.start, until)
    return [(int(b.timestamp()) * NS, int(e.timestamp()) * NS) for b, e in spans]


def _devices(db: Session, customer: Customer, period: Period) -> list[DeviceFigure]:
    query_sites = select(Site.id, Site.slug).where(Site.customer_id == customer.id)
    sites: dict[int, str] = {row[0]: row[1] for row in db.execute(query_sites)}
    rows = db.scalars(
        select(Device)
        .where(Device.customer_id == customer.id, Device.created_at < period.end)
        .order_by(Device.importance, Device.name)
    )
    found = []
    for device in rows:
        inventory = device.inventory or {}
        found.append(
            DeviceFigure(
                id=device.id,
                name=device.name,
                kind=device.kind.value,
                site=sites.get(device.site_id, ""),
                vendor=device.vendor or str(inventory.get("vendor") or ""),
                model=device.model or str(inventory.get("model") or ""),
                serial=device.serial or str(inventory.get("serial") or ""),
                firmware=device.firmware or "",
                os=str(inventory.get("os") or ""),
                description="",
                importance=device.importance,
                tags=list(device.tags or []),
            )
        )
    return found


def _descriptions(store: MetricStore, slug: str) -> dict[str, str]:
    try:
        latest = store.latest("device_info", "sys_descr", {"customer": slug}, ("device",))
    except MetricStoreError:
        return {}
    return {v.tags.get("device", ""): str(v.value) for v in latest}


def _changes(db: Session, customer_id: int, period: Period, devices: list[DeviceFigure]) -> list[InventoryChange]:
    """Against the previous month's report snapshot; without one, what was added in the month."""
    label = previous_label(period)
    previous = db.scalar(
        select(Report).where(Report.customer_id == customer_id, Report.period_kind == "month", Report.period == label)
    )
    before: dict[str, dict[str, str]] | None = (previous.data or {}).get("inventory") if previous else None
    query_created = select(Device.name, Device.created_at).where(Device.customer_id == customer_id)
    created: dict[str, datetime] = {row[0]: row[1] for row in db.execute(query_created)}
    changes = []
    now_names = {d.name for d in devices}
    for device in devices:
        snap = device.snapshot()
        if before is None:
            added_at = created.get(device.name)
            if added_at is not None and added_at >= period.start:
                changes.append(InventoryChange(device.name, "added", []))
            continue
        old = before.get(device.name)
        if old is None:
            changes.append(InventoryChange(device.name, "added", []))
            continue
        details = [(k, old.get(k, ""), v) for k, v in snap.items() if old.get(k, "") != v]
        if details:
            changes.append(InventoryChange(device.name, "changed", details))
    for name in sorted((before or {}).keys() - now_names):
        changes.append(InventoryChange(name, "removed", []))
    return changes


def _inspections(db: Session, customer_id: int, period: Period) -> list[InspectionFigure]:
    rows = db.execute(
        select(Inspection, Device.name, Device.kind)
        .join(Device, Device.id == Inspection.device_id)
        .where(Inspection.customer_id == customer_id, Inspection.period == period.label)
        .order_by(Device.name)
    ).all()
    found = []
    for inspection, name, kind in rows:
        items = db.scalars(
            select(InspectionItem).where(InspectionItem.inspection_id == inspection.id).order_by(InspectionItem.id)
        )
        found.append(
            InspectionFigure(
                device=name,
                kind=kind.value,
                engineer=inspection.engineer_name,
                performed_at=inspection.performed_at,
                items=[
                    InspectionItemFigure(
                        item.label,
                        item.status,
                        item.note,
                        f"data:{item.photo_type};base64,{base64.b64encode(item.photo).decode()}"
                        if item.photo and item.photo_type
                        else None,
                    )
                    for item in items
                ],
            )
        )
    return found


def gather(
    db: Session, store: MetricStore, customer_id: int, period: Period, *, now: datetime | None = None,
    chart_devices: int = 6, forecast_warn_days: float = 30.0,
) -> ReportData:
    """Every figure of one customer's report for ``period``."""
    now = now or datetime.now(UTC)
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer not found")
    until = min(now, period.end)
    end_ns = int(until.timestamp()) * NS
    readings = Readings(store, customer.slug, period.start_ns, max(end_ns, period.start_ns + HOUR_NS))
    devices = _devices(db, customer, period)
    cpu, memory = _stat(readings, sources.CPU), _stat(readings, sources.MEMORY)
    volumes = _volumes(readings, end_ns)
    interfaces = _interfaces(readings)
    traffic_in, traffic_out, traffic_growth = _traffic(readings)
    temperatures = readings.per_device(sources.TEMPERATURE, "max")
    errors = _errors(readings, (until - period.start).total_seconds())
    uptime_lasts = readings.series(sources.UPTIME, "last", 3600)
    battery = readings.per_device(sources.UPS_BATTERY_REPLACE, "max")
    descriptions = _descriptions(store, customer.slug)
    total = None
    for device in devices:
        name = device.name
        device.description = descriptions.get(name, "")
        device.cpu = cpu.get(name, device.cpu)
        device.memory = memory.get(name, device.memory)
        device.volumes = volumes.get(name, [])
        device.interfaces = interfaces.get(name, [])
        device.traffic_in_bytes_per_second = traffic_in.get(name)
        device.traffic_out_bytes_per_second = traffic_out.get(name)
        device.traffic_growth_percent = traffic_growth.get(name)
        device.temperature_max_celsius = temperatures.get(name)
        device.errors_count = errors.get(name)
        lasts = uptime_lasts.get((name, ""), [])
        device.uptime_seconds = next((v for _t, v in reversed(lasts) if v is not None), None)
        device.reboots = reboots(lasts)
        device.battery_replace = bool(battery.get(name))
        counts, ups = _liveness(readings, device)
        created = db.scalar(select(Device.created_at).where(Device.id == device.id))
        lo_ns = max(period.start_ns, int(created.timestamp()) * NS) if created else period.start_ns
        planned = _planned_spans(db, device.id, period, until) if counts else []
        device.availability = availability(counts, ups, planned, lo_ns, end_ns)
        if device.availability is not None:
            total = device.availability if total is None else total + device.availability
    data = ReportData(
        customer_id=customer.id,
        customer_name=customer.name,
        customer_slug=customer.slug,
        language=customer.language,
        period=period,
        generated_at=now,
        devices=devices,
        changes=_changes(db, customer.id, period, devices),
        availability=total,
        volumes=sorted(
            (v for d in devices for v in d.volumes),
            key=lambda v: (v.days_until_full is None, v.days_until_full or 0.0, -(v.used_percent or 0.0)),
        ),
        service=service_figures(db, customer.id, period, now),
        inspections=_inspections(db, customer.id, period),
        satisfaction=satisfaction_figures(db, customer.id, period),
        forecast_warn_days=forecast_warn_days,
    )
    data.trends = _trends(readings, devices, chart_devices)
    data.query_seconds, data.query_count = readings.seconds, readings.queries
    data.query_cpu_seconds = readings.cpu_seconds
    return data


def _trends(
    readings: Readings, devices: list[DeviceFigure], limit: int
) -> dict[str, dict[str, list[tuple[int, float | None]]]]:
    """Trend lines for the devices that matter: the most important, then the most loaded."""
    if limit <= 0:
        return {}

    def load(d: DeviceFigure) -> float:
        return max(d.cpu.p95 or 0.0, d.memory.p95 or 0.0, *(v.used_percent or 0.0 for v in d.volumes))

    measured = [d for d in devices if d.cpu.mean is not None or d.memory.mean is not None]
    chosen = sorted(measured, key=lambda d: (d.importance, -load(d)))[:limit]
    return {
        d.name: {
            "cpu": readings.device_series(sources.CPU, "mean", TREND_STEP_SECONDS, d.name),
            "memory": readings.device_series(sources.MEMORY, "mean", TREND_STEP_SECONDS, d.name),
        }
        for d in chosen
    }
