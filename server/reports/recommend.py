"""Key findings and recommendations derived from the month's figures and rules.

Each recommendation is a dict ``{id, text, severity, source, device}``: ``source`` names the rule
that produced it (``rule:disk_forecast`` ...) or ``engineer`` for one written by hand. The
engineer edits, adds and removes them before approval (vigil.server.reports.service), so they
are stored on the report, not recomputed from the figures afterwards.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from vigil.server.reports.figures import ReportData
from vigil.server.reports.health import LOAD_LIMIT_PERCENT
from vigil.server.reports.i18n import fmt_duration, fmt_percent, text

TEMPERATURE_LIMIT_CELSIUS = 70.0
ERRORS_LIMIT_COUNT = 1000.0
MAX_FINDINGS = 5


def _id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:10]


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in version.replace("-", ".").split("."))


def recommendations(data: ReportData) -> list[dict[str, Any]]:
    lang = data.language
    found: list[dict[str, Any]] = []

    def add(rule: str, severity: str, about: str, phrase: str, **values: object) -> None:
        found.append({"id": _id(rule, about, *values.values()), "text": text(lang, phrase, **values),
                      "severity": severity, "source": f"rule:{rule}", "device": about})

    for volume in data.volumes:
        days = volume.days_until_full
        if days is not None and days < data.forecast_warn_days:
            add("disk_forecast", "high" if days < 7 else "medium", volume.device, "r_disk",
                where=f"{volume.device} {volume.name}", used=fmt_percent(volume.used_percent, 1), days=f"{days:.0f}")
    for device in data.devices:
        if (device.memory.p95 or 0) > LOAD_LIMIT_PERCENT:
            add("memory_high", "medium", device.name, "r_memory", device=device.name,
                p95=fmt_percent(device.memory.p95, 1))
        if (device.cpu.p95 or 0) > LOAD_LIMIT_PERCENT:
            add("cpu_high", "medium", device.name, "r_cpu", device=device.name, p95=fmt_percent(device.cpu.p95, 1))
        if device.battery_replace:
            add("ups_battery", "high", device.name, "r_battery", device=device.name)
        if (device.temperature_max_celsius or 0) > TEMPERATURE_LIMIT_CELSIUS:
            add("temperature_high", "medium", device.name, "r_temperature", device=device.name,
                celsius=f"{device.temperature_max_celsius:.0f} °C")
        if (device.errors_count or 0) > ERRORS_LIMIT_COUNT:
            add("interface_errors", "low", device.name, "r_errors", device=device.name,
                count=f"{device.errors_count:,.0f}")
    # Firmware: a unit behind the newest firmware seen on the same vendor and model.
    by_model: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for device in data.devices:
        if device.model and device.firmware:
            by_model[(device.vendor, device.model)].append((device.name, device.firmware))
    for (_vendor, model), units in by_model.items():
        newest = max((fw for _n, fw in units), key=_version_key)
        for name, firmware in units:
            if firmware != newest:
                add("firmware_behind", "low", name, "r_firmware", device=name, model=model, old=firmware, new=newest)
    for inspection in data.inspections:
        for item in inspection.items:
            if item.status in ("fault", "attention"):
                add("inspection", "high" if item.status == "fault" else "low", inspection.device, "r_inspection",
                    device=inspection.device, label=item.label, note=item.note or text(lang, f"status_{item.status}"))
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(found, key=lambda r: order.get(r["severity"], 3))


def findings(data: ReportData) -> list[str]:
    """Three to five lines for the summary page."""
    lang = data.language
    lines = []
    if data.availability is not None:
        lines.append(text(lang, "f_availability", percent=fmt_percent(data.availability.percent),
                          unplanned=fmt_duration(data.availability.unplanned_seconds, lang),
                          planned=fmt_duration(data.availability.planned_seconds, lang)))
    warn = [v for v in data.volumes if v.days_until_full is not None and v.days_until_full < data.forecast_warn_days]
    if warn:
        first = min(warn, key=lambda v: v.days_until_full or 0.0)
        lines.append(text(lang, "f_capacity", count=len(warn), days=f"{data.forecast_warn_days:.0f}",
                          where=f"{first.device} {first.name}", left=f"{first.days_until_full:.1f}"))
    else:
        lines.append(text(lang, "f_capacity_ok", days=f"{data.forecast_warn_days:.0f}"))
    service = data.service
    lines.append(text(lang, "f_tickets", opened=service.opened, closed=service.closed,
                      attainment=fmt_percent(service.sla_attainment_percent, 1), breaches=len(service.breaches)))
    loaded = [d.name for d in data.devices
              if (d.cpu.p95 or 0) > LOAD_LIMIT_PERCENT or (d.memory.p95 or 0) > LOAD_LIMIT_PERCENT]
    if loaded:
        lines.append(text(lang, "f_load", count=len(loaded), names=", ".join(loaded[:5])))
    faults = sum(1 for i in data.inspections for item in i.items if item.status == "fault")
    attention = sum(1 for i in data.inspections for item in i.items if item.status == "attention")
    if faults or attention:
        lines.append(text(lang, "f_inspection", faults=faults, attention=attention))
    rebooted = [d.name for d in data.devices if d.reboots]
    if rebooted and len(lines) < MAX_FINDINGS:
        lines.append(text(lang, "f_reboots", count=len(rebooted), names=", ".join(rebooted[:5])))
    return lines[:MAX_FINDINGS]
