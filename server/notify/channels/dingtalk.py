"""DingTalk (钉钉) group robot with signed requests.

Signing (DingTalk's "加签"): ``sign = base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}"))``,
sent URL-encoded as the ``timestamp`` and ``sign`` query parameters. Error 130101 is the rate limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from pydantic import Field, SecretStr
from vigil.server.notify import robotanswer
from vigil.server.notify.base import ChannelConfig, Delivery, Message

RATE_LIMIT = frozenset({130101})


class Config(ChannelConfig):
    webhook_url: SecretStr
    secret: SecretStr
    at_mobiles: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=10.0, gt=0)


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send(config: Config, message: Message, *, timestamp_ms: int | None = None) -> Delivery:
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    signature = quote_plus(sign(config.secret.get_secret_value(), stamp))
    base = config.webhook_url.get_secret_value()
    url = f"{base}{'&' if '?' in base else '?'}timestamp={stamp}&sign={signature}"
    mobiles = list(config.at_mobiles) + ([message.recipient] if message.recipient else [])
    payload: dict[str, object] = {
        "msgtype": "text",
        "text": {"content": f"{message.subject}\n{message.body}".strip()},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }
    body = robotanswer.post_json(url, payload, config.timeout_seconds, message.idempotency_key)
    if isinstance(body, Delivery):
        return body
    return robotanswer.judge(body.get("errcode"), body.get("errmsg"), RATE_LIMIT)
