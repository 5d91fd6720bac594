"""The rules engine's settings: the ``[extra_sections.alerting]`` table of the server's config
file (server/alerting/install.py wires the engine in with them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from vigil.server.config import section_settings


class AlertingSettings(BaseModel):
    """The ``[extra_sections.alerting]`` table of the server's config file."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    schedule_interval_seconds: float = Field(default=30.0, gt=0)
    forecast_interval_seconds: float = Field(default=3600.0, gt=0)
    inventory_ttl_seconds: float = Field(default=10.0, ge=0)
    # Recent samples in memory for arrival rules (see recent.py); off for replicas without
    # sticky routing of nodes.
    recent_samples: bool = True
    # How long the arrival worker gathers devices before a round: one transaction for many.
    linger_seconds: float = Field(default=0.05, ge=0, le=1)
    # A device is evaluated on arrival at most this often; batches in between wait for it.
    device_interval_seconds: float = Field(default=1.0, ge=0, le=60)


def alerting_settings(raw: dict[str, Any] | None) -> AlertingSettings:
    """AlertingSettings from the config section; InvalidInput names the key and the reason."""
    return section_settings(AlertingSettings, raw, "alerting")
