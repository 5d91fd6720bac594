"""Availability per device and overall, split into planned and unplanned downtime
(vigil.server.reports.availability). A customer with many devices gets rows for the devices with
any downtime and one line naming those up all month (vigil.server.reports.detail)."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.detail import availability_rows
from vigil.server.reports.sections import SectionContext

ORDER = 30
TITLE = "availability"


def build(context: SectionContext) -> dict[str, Any] | None:
    devices, fully_up = availability_rows(context.data)
    return {"overall": context.data.availability, "devices": devices, "fully_up": fully_up}
