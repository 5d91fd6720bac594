"""Availability per device and overall, split into planned and unplanned downtime
(vigil.server.reports.availability)."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 30
TITLE = "availability"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"overall": context.data.availability, "devices": context.data.devices}
