"""The outbox dispatcher: leases due rows, sends them, records every attempt.

One round (``run_once``):

1. In one short transaction, lease up to ``batch_size`` due rows (status pending, due, lease
   free or expired): ``lease_until = now + lease_seconds``, ``lease_owner`` = this dispatcher.
   On PostgreSQL the rows are selected ``FOR UPDATE SKIP LOCKED``, so replicas never pick the
   same row at once; SQLite serialises writers anyway.
2. Send each row through its named channel, outside any transaction.
3. In a transaction per row: count the attempt; delivered rows are done, retryable rows come
   back after an exponential backoff (or the channel's Retry-After, if longer) until
   ``max_attempts``, failed rows stop. The attempt goes onto the ticket's log.

Restart safety: a row commits with the change that made it, so a restart loses nothing; a row
is marked delivered in the transaction right after the send, so a restart between commit and
delivery sends it exactly once. Only a crash in the instant between a peer's acceptance and that
transaction can send twice, after the lease runs out; the idempotency key (the mail's
Message-ID, the ``X-Idempotency-Key`` header) lets the peer drop that copy.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.db.base import utcnow
from vigil.server.db.models import TicketEvent
from vigil.server.notify.base import Delivery, Message, Outcome
from vigil.server.notify.models import OutboxMessage
from vigil.server.notify.registry import Channel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    batch_size: int = 20
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0
    poll_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class Leased:
    id: int
    channel: str
    message: Message


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: dict[str, Channel],
        policy: DispatchPolicy | None = None,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.policy = policy or DispatchPolicy()
        self.owner = owner or f"dispatcher-{secrets.token_hex(4)}"

    def backoff_seconds(self, attempts: int, retry_after: float | None) -> float:
        wait = min(self.policy.backoff_max_seconds, self.policy.backoff_base_seconds * 2 ** max(attempts - 1, 0))
        return max(wait, retry_after or 0.0)

    def lease(self, now: datetime) -> list[Leased]:
        with self.sessions() as db, db.begin():
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self.policy.batch_size)
            )
            if db.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            leased = []
            for row in db.scalars(query):
                row.lease_until = now + timedelta(seconds=self.policy.lease_seconds)
                row.lease_owner = self.owner
                leased.append(
                    Leased(
                        row.id,
                        row.channel,
                        Message(row.idempotency_key, row.subject, row.body, row.recipient, dict(row.headers),
                                dict(row.data)),
                    )
                )
            return leased

    def send(self, item: Leased) -> Delivery:
        channel = self.channels.get(item.channel)
        if channel is None:
            return Delivery.failed(f"channel {item.channel!r} is not configured")
        try:
            return channel.send(item.message)
        except Exception as exc:  # a channel bug must not stop the dispatcher; retried later
            log.exception("channel %s raised", item.channel)
            return Delivery.retryable(f"channel error ({type(exc).__name__})")

    def record(self, item: Leased, result: Delivery, now: datetime) -> None:
        with self.sessions() as db, db.begin():
            row = db.get(OutboxMessage, item.id)
            if row is None:
                return
            row.attempts += 1
            row.last_detail = result.detail[:2000]
            row.lease_until = None
            row.lease_owner = None
            status = result.outcome.value
            if result.outcome is Outcome.delivered:
                row.status = "delivered"
                row.delivered_at = now
            elif result.outcome is Outcome.retryable and row.attempts < self.policy.max_attempts:
                row.status = "pending"
                row.next_attempt_at = now + timedelta(
                    seconds=self.backoff_seconds(row.attempts, result.retry_after_seconds)
                )
            else:
                row.status = "failed"
                status = "failed" if result.outcome is Outcome.failed else "gave_up"
            if row.ticket_id is not None and row.customer_id is not None:
                db.add(
                    TicketEvent(
                        ticket_id=row.ticket_id,
                        customer_id=row.customer_id,
                        at=now,
                        actor=f"notify:{row.channel}",
                        action="notification",
                        field="delivery",
                        new_value=status,
                        note=f"{row.purpose} to {row.recipient or row.channel}: {result.detail}"[:2000],
                        data={
                            "outbox_id": row.id,
                            "idempotency_key": row.idempotency_key,
                            "channel": row.channel,
                            "recipient": row.recipient,
                            "attempt": row.attempts,
                            "outcome": result.outcome.value,
                            "next_attempt_at": row.next_attempt_at.isoformat() if row.status == "pending" else None,
                        },
                    )
                )

    def run_once(self, now: datetime | None = None) -> int:
        """Deliver what is due at ``now``; returns the number of attempts made."""
        now = now or utcnow()
        leased = self.lease(now)
        for item in leased:
            result = self.send(item)
            self.record(item, result, now)
        return len(leased)

    def run(self, stop: threading.Event) -> None:
        """The background loop for the app's lifespan."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly away; the next round retries
                log.exception("outbox round failed")
                busy = 0
            if not busy:
                stop.wait(self.policy.poll_seconds)
