"""SMS through an HTTP gateway, with a configurable request template.

The template is a ``string.Template`` body with ``$phone``, ``$text`` and ``$key`` (the
idempotency key); values are escaped for the body's content type (JSON string escaping or form
URL-encoding), so a message text cannot break out of its field. ``success_contains`` lets a
gateway that answers 200 with an error code in its body be read correctly.
"""

from __future__ import annotations

import json
import string
from typing import Literal
from urllib.parse import quote_plus

from pydantic import Field, SecretStr, field_validator
from vigil.server.notify import httpdelivery
from vigil.server.notify.base import ChannelConfig, Delivery, Message


class Config(ChannelConfig):
    url: str
    method: Literal["POST", "PUT", "GET"] = "POST"
    content_type: Literal["application/json", "application/x-www-form-urlencoded"] = "application/json"
    body_template: str = '{"to": "$phone", "text": "$text", "id": "$key"}'
    headers: dict[str, str] = Field(default_factory=dict)
    # e.g. an API key header; kept apart so it is never printed with the config.
    auth_header: str | None = None
    auth_value: SecretStr | None = None
    success_contains: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_text_chars: int = Field(default=300, ge=10)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("body_template")
    @classmethod
    def _template(cls, value: str) -> str:
        names = set(string.Template(value).get_identifiers())
        unknown = names - {"phone", "text", "key"}
        if unknown:
            raise ValueError(f"unknown placeholders: {', '.join(sorted(unknown))}")
        return value


def _escape(config: Config, value: str) -> str:
    if config.content_type == "application/json":
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return quote_plus(value)


def render(config: Config, message: Message) -> bytes:
    text = f"{message.subject}: {message.body}" if message.body else message.subject
    values = {
        "phone": _escape(config, message.recipient or ""),
        "text": _escape(config, text[: config.max_text_chars]),
        "key": _escape(config, message.idempotency_key),
    }
    return string.Template(config.body_template).substitute(values).encode("utf-8")


def send(config: Config, message: Message) -> Delivery:
    if not message.recipient:
        return Delivery.failed("SMS needs a phone number")
    headers = {"Content-Type": f"{config.content_type}; charset=utf-8", **config.headers}
    headers["X-Idempotency-Key"] = message.idempotency_key
    if config.auth_header and config.auth_value:
        headers[config.auth_header] = config.auth_value.get_secret_value()
    answer = httpdelivery.post(
        config.url,
        content=render(config, message),
        headers=headers,
        timeout_seconds=config.timeout_seconds,
        method=config.method,
    )
    if isinstance(answer, Delivery):
        return answer
    problem = httpdelivery.classify_status(answer)
    if problem is not None:
        return problem
    if config.success_contains is not None and config.success_contains not in answer.text:
        return Delivery.failed(f"gateway answered without {config.success_contains!r}: {answer.text[:200]}")
    return Delivery.delivered(f"gateway HTTP {answer.status}")
