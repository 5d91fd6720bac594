"""Which devices the per-device tables of the report show row by row, once a customer has many.

Up to ``FULL_TABLES_UP_TO`` devices every table lists every device. Beyond that a table of a
hundred rows of unremarkable figures hides the few rows that matter (and most of the PDF's
layout time went into such tables), so:

- health per device details the devices with a finding of the kind that table shows (CPU or
  memory p95 above the load limit, a reboot, interface errors or a temperature above the
  recommendations' limits, a UPS battery to replace), then the most loaded ones, at least
  ``DETAIL_ROWS`` and at most ``MAX_DETAIL_ROWS`` rows; the other devices are named in one line
  under the table with the highest of their figures (so what the line says is true of each of
  them). Volumes have their own table (capacity, sorted by days until full);
- availability details every device with any downtime, planned or unplanned, or without data;
  the others, up the whole monitored time, are named in one line.

The inventory section still lists every device, so every device is in the report by name,
figures and all; the figures the tests' known answers read are never summarised away.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.server.reports.figures import DeviceFigure, ReportData
from vigil.server.reports.health import LOAD_LIMIT_PERCENT
from vigil.server.reports.recommend import ERRORS_LIMIT_COUNT, TEMPERATURE_LIMIT_CELSIUS

FULL_TABLES_UP_TO = 30
DETAIL_ROWS = 25
MAX_DETAIL_ROWS = 50


@dataclass(frozen=True, slots=True)
class HealthSummary:
    """The devices left out of the health table and the highest of their figures."""

    names: list[str]
    all_clear: bool  # none of them has a finding (false only past MAX_DETAIL_ROWS)
    cpu_p95_max: float | None
    memory_p95_max: float | None
    temperature_max_celsius: float | None
    reboots: int


def _worst(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def load(device: DeviceFigure) -> float:
    """How loaded a device was: its higher CPU or memory p95."""
    return max(device.cpu.p95 or 0.0, device.memory.p95 or 0.0)


def has_finding(device: DeviceFigure) -> bool:
    """A finding the health table shows (volumes are the capacity section's)."""
    return (
        (device.cpu.p95 or 0.0) > LOAD_LIMIT_PERCENT
        or (device.memory.p95 or 0.0) > LOAD_LIMIT_PERCENT
        or device.reboots > 0
        or (device.errors_count or 0.0) > ERRORS_LIMIT_COUNT
        or (device.temperature_max_celsius or 0.0) > TEMPERATURE_LIMIT_CELSIUS
        or device.battery_replace
    )


def health_rows(data: ReportData) -> tuple[list[DeviceFigure], HealthSummary | None]:
    """The devices of the health table (in inventory order) and the summary of the rest."""
    devices = data.devices
    if len(devices) <= FULL_TABLES_UP_TO:
        return devices, None
    flagged = [d for d in devices if has_finding(d)]
    ranked = sorted(devices, key=lambda d: (not has_finding(d), -load(d)))
    chosen = {d.id for d in ranked[: min(MAX_DETAIL_ROWS, max(DETAIL_ROWS, len(flagged)))]}
    rest = [d for d in devices if d.id not in chosen]
    summary = HealthSummary(
        names=[d.name for d in rest],
        all_clear=not any(has_finding(d) for d in rest),
        cpu_p95_max=_worst([d.cpu.p95 for d in rest]),
        memory_p95_max=_worst([d.memory.p95 for d in rest]),
        temperature_max_celsius=_worst([d.temperature_max_celsius for d in rest]),
        reboots=sum(d.reboots for d in rest),
    )
    return [d for d in devices if d.id in chosen], summary if rest else None


def _fully_up(device: DeviceFigure) -> bool:
    a = device.availability
    return a is not None and a.monitored_seconds > 0 and a.unplanned_seconds == 0 and a.planned_seconds == 0


def availability_rows(data: ReportData) -> tuple[list[DeviceFigure], list[str]]:
    """The devices of the availability table and the names of those up all their monitored time."""
    devices = data.devices
    if len(devices) <= FULL_TABLES_UP_TO:
        return devices, []
    return [d for d in devices if not _fully_up(d)], [d.name for d in devices if _fully_up(d)]
