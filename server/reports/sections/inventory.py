"""Inventory: the devices and hosts monitored, and what was added, removed or changed."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.sections import SectionContext

ORDER = 10
TITLE = "inventory"


def build(context: SectionContext) -> dict[str, Any] | None:
    return {"devices": context.data.devices, "changes": context.data.changes}
