"""Recommendations: derived from rules and findings (vigil.server.reports.recommend) and edited
by the engineer before approval."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 70
TITLE = "recommendations"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"recommendations": context.recommendations}
