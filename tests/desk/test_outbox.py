"""The transactional outbox end to end, on SQLite and PostgreSQL, against a real SMTP server
(aiosmtpd) and a real HTTP receiver: one delivery per message through failures, restarts and
expired leases; the notification rolls back with its change; every attempt is on the ticket's log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context
from vigil.server.db.models import Ticket, TicketEvent
from vigil.server.notify import outbox
from vigil.server.notify.dispatcher import Dispatcher, DispatchPolicy
from vigil.server.notify.models import OutboxMessage
from vigil.server.notify.registry import Channel, build_channel
from vigil.server.tickets import service

from tests.desk.receivers import HttpReceiver, SmtpServers
from tests.desk.world import DeskWorld

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
POLICY = DispatchPolicy(backoff_base_seconds=30, max_attempts=3, lease_seconds=120)


def channels(mailbox: SmtpServers, http: HttpReceiver) -> dict[str, Channel]:
    return {
        "email": build_channel("email", {"type": "email", "host": "127.0.0.1", "port": mailbox.plain_port,
                                         "security": "none", "from_address": "desk@vigil.example"}),
        "sms": build_channel("sms", {"type": "sms", "url": f"{http.url}/sms"}),
    }


def open_ticket(ctx: AppContext, desk: DeskWorld) -> int:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="UPS on battery",
                                     source="rule", priority="P2", fingerprint="ups-1", now=T0)
        return ticket.id


def deliveries(ctx: AppContext, ticket_id: int) -> list[tuple[str | None, int]]:
    with ctx.sessions() as db:
        events = db.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "notification")
            .order_by(TicketEvent.id)
        )
        return [(e.new_value, e.data["attempt"]) for e in events]


def test_delivered_once_with_its_key_and_logged(
    ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    ticket_id = open_ticket(ctx, desk)
    dispatcher = Dispatcher(ctx.sessions, channels(mailbox, http_receiver), POLICY)
    assert dispatcher.run_once(T0) == 1
    assert dispatcher.run_once(T0 + timedelta(minutes=5)) == 0
    [mail] = mailbox.box.to("it@acme.example")
    with ctx.sessions() as db:
        row = db.scalars(select(OutboxMessage)).one()
        assert row.status == "delivered" and row.attempts == 1
        assert mail.message["Message-ID"] == f"<{row.idempotency_key}@vigil>"
    assert deliveries(ctx, ticket_id) == [("delivered", 1)]


def test_channel_failing_then_recovering_delivers_once(
    ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    ticket_id = open_ticket(ctx, desk)
    with ctx.sessions() as db, db.begin():
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        outbox.enqueue(db, key="sms-1", channel="sms", purpose="reminder", subject="P2", body="due",
                       recipient="+8613800000003", customer_id=ticket.customer_id, ticket_id=ticket.id, now=T0)
    mailbox.box.refuse("it@acme.example", "451 4.3.0 mailbox busy")
    http_receiver.script("/sms", (503, "gateway busy", {}))
    dispatcher = Dispatcher(ctx.sessions, channels(mailbox, http_receiver), POLICY)
    assert dispatcher.run_once(T0) == 2
    assert dispatcher.run_once(T0 + timedelta(seconds=20)) == 0  # backing off
    assert dispatcher.run_once(T0 + timedelta(seconds=31)) == 2
    assert dispatcher.run_once(T0 + timedelta(hours=1)) == 0
    assert len(mailbox.box.to("it@acme.example")) == 1
    answered_ok = http_receiver.on("/sms")[1:]
    assert len(answered_ok) == 1 and answered_ok[0].headers["x-idempotency-key"] == "sms-1"
    assert sorted(deliveries(ctx, ticket_id)) == [("delivered", 2), ("delivered", 2), ("retryable", 1),
                                                  ("retryable", 1)]


def test_restart_between_commit_and_delivery_delivers_once(
    settings: Settings, ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    ticket_id = open_ticket(ctx, desk)
    ctx.engine.dispose()  # the first server goes away before its dispatcher ran
    for _ in range(2):  # two restarts in a row
        restarted = build_context(settings)
        try:
            Dispatcher(restarted.sessions, channels(mailbox, http_receiver), POLICY).run_once(T0 + timedelta(seconds=1))
        finally:
            restarted.close()
    assert len(mailbox.box.to("it@acme.example")) == 1
    assert deliveries(ctx, ticket_id) == [("delivered", 1)]


def test_crash_after_lease_waits_for_the_lease_then_delivers_once(
    ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    open_ticket(ctx, desk)
    crashed = Dispatcher(ctx.sessions, channels(mailbox, http_receiver), POLICY, owner="crashed")
    assert len(crashed.lease(T0)) == 1  # leased, then the process died before sending
    other = Dispatcher(ctx.sessions, channels(mailbox, http_receiver), POLICY, owner="other")
    assert other.run_once(T0 + timedelta(seconds=60)) == 0
    assert other.run_once(T0 + timedelta(seconds=121)) == 1
    assert len(mailbox.box.to("it@acme.example")) == 1


def test_failed_and_unconfigured_channels_stop_and_are_logged(
    ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    ticket_id = open_ticket(ctx, desk)
    dispatcher = Dispatcher(ctx.sessions, {}, POLICY)
    dispatcher.run_once(T0)
    with ctx.sessions() as db:
        row = db.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and "not configured" in (row.last_detail or "")
    assert deliveries(ctx, ticket_id) == [("failed", 1)]


def test_retryable_gives_up_after_max_attempts(
    ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    ticket_id = open_ticket(ctx, desk)
    mailbox.box.refuse("it@acme.example", *["451 later"] * 5)
    dispatcher = Dispatcher(ctx.sessions, channels(mailbox, http_receiver), POLICY)
    at = T0
    for _ in range(5):
        dispatcher.run_once(at)
        at += timedelta(hours=2)
    assert [d[0] for d in deliveries(ctx, ticket_id)] == ["retryable", "retryable", "gave_up"]
    assert not mailbox.box.to("it@acme.example")


def test_notification_rolls_back_with_its_change(ctx: AppContext, desk: DeskWorld) -> None:
    with pytest.raises(RuntimeError), ctx.sessions() as db, db.begin():
        service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="doomed", source="web", now=T0)
        raise RuntimeError("the request failed after the change")
    with ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.scalar(select(func.count()).select_from(Ticket)) == 0
