"""What every channel receives and answers.

A channel module under ``vigil.server.notify.channels`` holds a pydantic ``Config`` (strict,
checked when the notification settings load) and ``send(config, message) -> Delivery``. A channel
never raises for a delivery problem: it answers ``delivered``, ``retryable`` (try again later:
timeouts, 4xx-temporary SMTP codes, HTTP 429/5xx, robot rate limits) or ``failed`` (retrying
cannot help: a refused recipient, a bad key, HTTP 4xx). The retry policy lives once, in the
dispatcher. ``detail`` is written to the ticket's log, so it never carries a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    delivered = "delivered"
    retryable = "retryable"
    failed = "failed"


@dataclass(frozen=True, slots=True)
class Message:
    """One notification to one recipient. ``idempotency_key`` travels with it on the wire."""

    idempotency_key: str
    subject: str
    body: str
    # An e-mail address or a phone number; robots and webhooks post to their configured URL.
    recipient: str | None = None
    # Extra e-mail headers (threading: In-Reply-To/References) and webhook payload data.
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    detail: str = ""
    retry_after_seconds: float | None = None

    @classmethod
    def delivered(cls, detail: str = "") -> Delivery:
        return cls(Outcome.delivered, detail)

    @classmethod
    def retryable(cls, detail: str, retry_after_seconds: float | None = None) -> Delivery:
        return cls(Outcome.retryable, detail, retry_after_seconds)

    @classmethod
    def failed(cls, detail: str) -> Delivery:
        return cls(Outcome.failed, detail)


class ChannelConfig(BaseModel):
    """Base of every channel's typed config."""

    model_config = ConfigDict(extra="forbid", frozen=True)
