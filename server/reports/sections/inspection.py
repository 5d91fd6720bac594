"""On-site inspection: the checklists the engineer filled in during the monthly visit."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 60
TITLE = "inspection"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"inspections": context.data.inspections}
