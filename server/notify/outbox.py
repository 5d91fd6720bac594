"""The transactional outbox: a notification is a row written in the caller's transaction.

``enqueue`` only adds a row to the session it is given, so the notification commits or rolls
back with the change that caused it. A key already present is not queued again, which makes
every producer (reminders, notices) safe to run twice. The dispatcher
(vigil.server.notify.dispatcher) delivers the rows.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.base import utcnow
from vigil.server.notify.models import OutboxMessage


def make_key(*parts: object) -> str:
    """A stable idempotency key: readable prefix plus a digest of every part (no '@' or spaces)."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    prefix = "".join(ch for ch in str(parts[0]) if ch.isalnum() or ch in "-_.")[:40]
    return f"{prefix}.{digest}"


def enqueue(
    db: Session,
    *,
    key: str,
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    recipient: str | None = None,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    headers: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one message; None when a message with this key is already queued or sent."""
    if db.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
        return None
    now = now or utcnow()
    row = OutboxMessage(
        idempotency_key=key,
        customer_id=customer_id,
        ticket_id=ticket_id,
        channel=channel,
        purpose=purpose,
        recipient=recipient,
        subject=subject[:400],
        body=body,
        headers=headers or {},
        data=data or {},
        status="pending",
        attempts=0,
        next_attempt_at=max(not_before or now, now),
        created_at=now,
    )
    db.add(row)
    db.flush()
    return row
