"""The parts' own tables in the server's config file, ``[extra_sections.NAME]``: each name and
the settings model of the part that reads it.

Each part reads its table where it is wired in (``alerting_settings``, ``desk_settings``,
``report_settings``); this registry lets every ``vigil`` command, and ``vigil config check``,
refuse an unknown table or a bad key before anything starts. A part with a table of its own
adds it here.
"""

from __future__ import annotations

from pydantic import BaseModel
from vigil.server.alerting.config import AlertingSettings
from vigil.server.reports.config import ReportSettings
from vigil.server.tickets.config import DeskSettings

SECTIONS: dict[str, type[BaseModel]] = {
    "alerting": AlertingSettings,
    "desk": DeskSettings,
    "reports": ReportSettings,
}
