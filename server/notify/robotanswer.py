"""Reading a group robot's JSON answer (WeCom, DingTalk, Feishu all answer 200 with a code).

A zero code is delivered; a rate-limit code is retryable; any other code is failed.
"""

from __future__ import annotations

import json

from vigil.server.notify import httpdelivery
from vigil.server.notify.base import Delivery


def post_json(url: str, payload: dict[str, object], timeout_seconds: float, key: str) -> Delivery | dict[str, object]:
    answer = httpdelivery.post(
        url,
        content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "X-Idempotency-Key": key},
        timeout_seconds=timeout_seconds,
    )
    if isinstance(answer, Delivery):
        return answer
    problem = httpdelivery.classify_status(answer)
    if problem is not None:
        return problem
    try:
        body = json.loads(answer.text)
    except ValueError:
        return Delivery.failed(f"robot answered with no JSON: {answer.text[:200]}")
    if not isinstance(body, dict):
        return Delivery.failed("robot answered with an unexpected JSON shape")
    return body


def judge(code: object, message: object, rate_limit_codes: frozenset[int]) -> Delivery:
    if code == 0:
        return Delivery.delivered("robot accepted")
    if isinstance(code, int) and code in rate_limit_codes:
        return Delivery.retryable(f"robot rate limit ({code})", 60.0)
    return Delivery.failed(f"robot refused ({code}: {message})")
