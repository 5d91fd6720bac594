"""The health score and how it is derived (vigil.server.reports.health), with the key findings."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 5
TITLE = "how_derived"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"health": context.health, "findings": context.findings}
