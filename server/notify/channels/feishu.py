"""Feishu / Lark (飞书) group robot with signature verification.

Feishu's signature: ``base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))`` with the
timestamp in seconds, both sent in the JSON body. Code 11232 is the rate limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from pydantic import Field, SecretStr
from vigil.server.notify import robotanswer
from vigil.server.notify.base import ChannelConfig, Delivery, Message

RATE_LIMIT = frozenset({11232})


class Config(ChannelConfig):
    webhook_url: SecretStr
    secret: SecretStr
    timeout_seconds: float = Field(default=10.0, gt=0)


def sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send(config: Config, message: Message, *, timestamp_s: int | None = None) -> Delivery:
    stamp = timestamp_s if timestamp_s is not None else int(time.time())
    payload: dict[str, object] = {
        "timestamp": str(stamp),
        "sign": sign(config.secret.get_secret_value(), stamp),
        "msg_type": "text",
        "content": {"text": f"{message.subject}\n{message.body}".strip()},
    }
    body = robotanswer.post_json(
        config.webhook_url.get_secret_value(), payload, config.timeout_seconds, message.idempotency_key
    )
    if isinstance(body, Delivery):
        return body
    code = body.get("code", body.get("StatusCode"))
    return robotanswer.judge(code, body.get("msg", body.get("StatusMessage")), RATE_LIMIT)
