"""The report settings: the ``[extra_sections.reports]`` table of the server's config file.

Checked once at start-up (a bad value fails then, naming its key): when drafts are made, the
provider's branding, customers' logos, which channel mails the approved PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from vigil.server.config import section_settings


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Drafts for month M are made on this day of month M+1, from this hour, in each customer's
    # time zone (the scheduler checks every ``poll_seconds``).
    enabled: bool = True
    draft_day: int = Field(default=1, ge=1, le=28)
    draft_hour: int = Field(default=6, ge=0, le=23)
    poll_seconds: float = Field(default=300.0, gt=0)
    # The first look waits this long after start-up, so a starting server serves first.
    startup_delay_seconds: float = Field(default=60.0, ge=0)
    provider_name: str = Field(default="vigil", min_length=1, max_length=200)
    provider_logo: Path | None = None
    accent_colour: str = Field(default="#1f5fa8", pattern=r"^#[0-9a-fA-F]{6}$")
    # customer slug -> logo file (PNG, JPEG or SVG)
    customer_logos: dict[str, Path] = Field(default_factory=dict)
    # The outbox channel that mails the approved PDF (a channel of the desk's settings).
    email_channel: str = "email"
    # How many devices get trend charts ("the devices that matter", by importance and load).
    chart_devices: int = Field(default=6, ge=0, le=30)
    # Forecasts warn when a volume is full within this many days (the forecast rule's default).
    forecast_warn_days: float = Field(default=30.0, gt=0)

    @field_validator("provider_logo")
    @classmethod
    def _logo_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file {value}")
        return value

    @field_validator("customer_logos")
    @classmethod
    def _logos_exist(cls, value: dict[str, Path]) -> dict[str, Path]:
        for slug, path in value.items():
            if not path.is_file():
                raise ValueError(f"{slug}: no such file {path}")
        return value


def report_settings(raw: dict[str, Any] | None) -> ReportSettings:
    """ReportSettings from the config section; InvalidInput names the key and the reason."""
    return section_settings(ReportSettings, raw, "reports")
