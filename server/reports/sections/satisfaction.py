"""Satisfaction: the month's survey results (the desk's surveys, scores 1 to 5)."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 80
TITLE = "satisfaction"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"s": context.data.satisfaction}
