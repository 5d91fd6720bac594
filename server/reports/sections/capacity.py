"""Capacity: storage used and its growth, days until full (vigil.checks.rules.forecast's
Theil-Sen projection) with the volumes where the forecast warns, and traffic growth."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 40
TITLE = "capacity"
MAX_ROWS = 40


def build(context: SectionContext) -> dict[str, Any] | None:
    data = context.data
    traffic = [d for d in data.devices if d.traffic_in_bytes_per_second is not None]
    traffic.sort(key=lambda d: -((d.traffic_in_bytes_per_second or 0) + (d.traffic_out_bytes_per_second or 0)))
    return {
        "volumes": data.volumes[:MAX_ROWS],
        "warn_days": data.forecast_warn_days,
        "traffic": traffic[:MAX_ROWS],
    }
