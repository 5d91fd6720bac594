"""Incidents and service: tickets opened and closed by priority and source, response and
resolution times against the contract's SLA, breaches, top incidents with cause and fix, and the
spare parts used (vigil.server.reports.desk_figures)."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 50
TITLE = "incidents"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"service": context.data.service}
