"""The dashboards' exception tree; library exceptions are translated into it at the boundary.

::

    DashboardsError
    ├── RulesFileError        a default rule file cannot be read as thresholds
    ├── CustomerSourceError   the customer list (``--customers`` or vigil's API) is unusable
    ├── ExportError           the export folder cannot be written
    └── ProvisionError        Grafana refused a call or could not be reached
        └── GrafanaUnavailable   connection failure, timeout or 5xx
"""

from __future__ import annotations


class DashboardsError(Exception):
    """Base of every error vigil.dashboards raises on purpose."""


class RulesFileError(DashboardsError):
    pass


class CustomerSourceError(DashboardsError):
    pass


class ExportError(DashboardsError):
    pass


class ProvisionError(DashboardsError):
    pass


class GrafanaUnavailable(ProvisionError):
    pass
