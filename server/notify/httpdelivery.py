"""One HTTP POST for the HTTP-based channels, with the status classified once.

2xx delivered; 408, 425, 429 and 5xx retryable (429's Retry-After kept); other statuses failed;
connection problems and timeouts retryable. httpx's exception text can carry the URL, and robot
URLs carry their access key, so only the exception's class name reaches ``detail``.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from vigil.server.notify.base import Delivery

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    text: str
    retry_after_seconds: float | None


def post(
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    verify_tls: bool = True,
    method: str = "POST",
) -> HttpAnswer | Delivery:
    """POST (or another method) ``content``; a Delivery when the exchange itself failed."""
    try:
        with httpx.Client(timeout=timeout_seconds, verify=verify_tls, trust_env=False) as client:
            response = client.request(method, url, content=content, headers=headers)
    except httpx.TimeoutException as exc:
        return Delivery.retryable(f"timeout ({type(exc).__name__})")
    except httpx.TransportError as exc:
        return Delivery.retryable(f"connection problem ({type(exc).__name__})")
    retry_after: float | None = None
    raw = response.headers.get("retry-after")
    if raw is not None and raw.strip().isdigit():
        retry_after = float(raw.strip())
    return HttpAnswer(response.status_code, response.text[:2000], retry_after)


def classify_status(answer: HttpAnswer) -> Delivery | None:
    """A Delivery for a non-2xx answer; None when the status says the request went through."""
    if 200 <= answer.status < 300:
        return None
    if answer.status in RETRYABLE_STATUS or answer.status >= 500:
        return Delivery.retryable(f"HTTP {answer.status}", answer.retry_after_seconds)
    return Delivery.failed(f"HTTP {answer.status}: {answer.text[:200]}")
