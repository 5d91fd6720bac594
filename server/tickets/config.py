"""The desk's settings: the ``[extra_sections.desk]`` table of the server's config file.

Checked once when the server starts (a bad channel config fails then, naming its key). Channel
names are what the outbox stores; the dispatcher resolves them at delivery time, so a ticket
changed by the rule engine needs no settings to queue its notices.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from vigil.server.config import section_settings
from vigil.server.errors import InvalidInput
from vigil.server.notify.registry import Channel, build_channel
from vigil.server.tickets.sla import ServiceHours


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DispatchSettings(_Strict):
    poll_seconds: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=20, ge=1)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0)


class IntakeSettings(_Strict):
    """The SMTP intake for the support mailbox (off unless ``enabled``)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=1, le=65535)
    # Mail to these addresses opens or threads tickets; anything else is refused.
    mailboxes: list[str] = Field(default_factory=lambda: ["support@vigil.local"])
    max_message_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)


class DeskSettings(_Strict):
    # name -> raw channel config ({"type": "email", ...}); see vigil.server.notify.channels
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)
    notice_channel: str = "email"
    reminder_channels: list[str] = Field(default_factory=lambda: ["email", "sms"])
    # Group robots told of every breach (e.g. ["wecom"]).
    breach_robot_channels: list[str] = Field(default_factory=list)
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    quiet_hours_timezone: str = "Asia/Shanghai"
    # The desk's own working hours: outside them P1/P2 go to the on-call engineer.
    desk_hours: ServiceHours = ServiceHours(kind="business")
    survey_valid_days: int = Field(default=14, ge=1)
    reminder_poll_seconds: float = Field(default=30.0, gt=0)
    base_url: str = "http://127.0.0.1:8000"
    # Run the outbox dispatcher, the reminder scan and the intake in this process (off for a
    # replica that only serves pages, or for tests that drive them with a controlled clock).
    workers: bool = True
    dispatch: DispatchSettings = DispatchSettings()
    intake: IntakeSettings = IntakeSettings()

    @model_validator(mode="after")
    def _channels_valid(self) -> DeskSettings:
        for name, raw in self.channels.items():
            build_channel(name, raw)
        return self

    def built_channels(self) -> dict[str, Channel]:
        return {name: build_channel(name, raw) for name, raw in self.channels.items()}


def desk_settings(raw: dict[str, Any] | None) -> DeskSettings:
    """DeskSettings from the config section; InvalidInput names the key and the reason."""
    try:
        return section_settings(DeskSettings, raw, "desk")
    except InvalidInput as exc:
        if exc.message.startswith("extra_sections.desk."):
            raise
        raise InvalidInput(f"extra_sections.desk.channels: {exc.message}") from exc
