"""WeCom (企业微信) group robot: POST a text message to the robot's webhook URL.

The URL carries the robot's key, so it is a secret. Error 45009 is WeCom's rate limit.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from vigil.server.notify import robotanswer
from vigil.server.notify.base import ChannelConfig, Delivery, Message

RATE_LIMIT = frozenset({45009})


class Config(ChannelConfig):
    webhook_url: SecretStr
    mentioned_mobiles: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=10.0, gt=0)


def send(config: Config, message: Message) -> Delivery:
    text: dict[str, object] = {"content": f"{message.subject}\n{message.body}".strip()}
    mentions = list(config.mentioned_mobiles) + ([message.recipient] if message.recipient else [])
    if mentions:
        text["mentioned_mobile_list"] = mentions
    body = robotanswer.post_json(
        config.webhook_url.get_secret_value(),
        {"msgtype": "text", "text": text},
        config.timeout_seconds,
        message.idempotency_key,
    )
    if isinstance(body, Delivery):
        return body
    return robotanswer.judge(body.get("errcode"), body.get("errmsg"), RATE_LIMIT)
