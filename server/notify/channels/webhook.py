"""A generic webhook: JSON POST signed with HMAC-SHA256.

Headers: ``X-Vigil-Timestamp`` (Unix seconds), ``X-Vigil-Signature: sha256=<hex>`` over
``f"{timestamp}.{body}"`` with the shared secret, and ``X-Vigil-Idempotency-Key``. A receiver
checks the signature, rejects stale timestamps, and drops a key it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from pydantic import Field, SecretStr, field_validator
from vigil.server.notify import httpdelivery
from vigil.server.notify.base import ChannelConfig, Delivery, Message


class Config(ChannelConfig):
    url: str
    secret: SecretStr
    timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def signature(secret: str, timestamp_s: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def send(config: Config, message: Message, *, timestamp_s: int | None = None) -> Delivery:
    stamp = timestamp_s if timestamp_s is not None else int(time.time())
    body = json.dumps(
        {
            "idempotency_key": message.idempotency_key,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "data": message.data,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Vigil-Timestamp": str(stamp),
        "X-Vigil-Signature": signature(config.secret.get_secret_value(), stamp, body),
        "X-Vigil-Idempotency-Key": message.idempotency_key,
    }
    answer = httpdelivery.post(config.url, content=body, headers=headers, timeout_seconds=config.timeout_seconds)
    if isinstance(answer, Delivery):
        return answer
    problem = httpdelivery.classify_status(answer)
    return problem if problem is not None else Delivery.delivered(f"HTTP {answer.status}")
