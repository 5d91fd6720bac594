"""The ticket service on SQLite and PostgreSQL: open (rule and phone), occurrences by fingerprint,
status machine with SLA pauses, resolve and reopen, priority and contract changes, the log, and
bad input refused with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from vigil.server.context import AppContext
from vigil.server.db.models import Ticket, TicketEvent, TicketSource, TicketStatus
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.notify.models import OutboxMessage
from vigil.server.tickets import service
from vigil.server.tickets.models import TicketDesk, TicketPause

from tests.desk.world import DeskWorld

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_rule_ticket_opens_acks_and_counts_occurrences(ctx: AppContext, desk: DeskWorld) -> None:
    a = desk.seed.a
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(
            db, customer_id=a.customer_id, title="CPU high on acme-host", source="rule", priority="P2",
            severity="major", device_id=a.host_id, rule_id="cpu_high", fingerprint="fp-1", actor="rule:cpu_high",
            now=T0,
        )
        again = service.open_ticket(
            db, customer_id=a.customer_id, title="CPU high on acme-host", source=TicketSource.rule, priority="P2",
            device_id=a.host_id, rule_id="cpu_high", fingerprint="fp-1", actor="rule:cpu_high", now=minutes(5),
        )
        assert again.id == ticket.id and ticket.occurrences == 2
        assert ticket.number == f"T-{ticket.id:06d}" and ticket.site_id == a.site_id
        desk_row = db.get(TicketDesk, ticket.id)
        assert desk_row is not None and desk_row.contract_id == desk.contract_a
        # gold, P2: 30 min response, 480 min resolution, 7x24
        assert desk_row.response_due_at == minutes(30)
        assert desk_row.resolution_due_at == minutes(480)
        [ack] = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        assert ack.recipient == "it@acme.example" and ack.purpose == "customer_ack"
        assert "工单已受理" in ack.subject and ticket.number in ack.subject
        actions = [e.action for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))]
        assert actions == ["open", "notification_queued", "occurrence"]


def test_phone_ticket_priority_from_matrix_and_english_notice(ctx: AppContext, desk: DeskWorld) -> None:
    b = desk.seed.b
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(
            db, customer_id=b.customer_id, title="Core switch down", source="phone", urgency="high",
            impact="high", reporter_email="caller@bravo.example", actor="user:1", now=T0,
        )
        assert ticket.priority == "P1"
        rows = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        assert sorted(r.recipient or "" for r in rows) == ["caller@bravo.example", "ops@bravo.example"]
        assert all(r.subject.startswith(f"[{ticket.number}] Ticket received") for r in rows)


def test_waiting_pauses_and_reopen_keeps_the_clock(ctx: AppContext, desk: DeskWorld) -> None:
    a = desk.seed.a
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=a.customer_id, title="Disk errors", source="web",
                                     priority="P3", notify=False, now=T0)
        service.change_status(db, ticket, "in_progress", actor="user:2", now=minutes(10))
        service.change_status(db, ticket, TicketStatus.waiting_customer, actor="user:2", now=minutes(20))
        response, resolution = service.clocks(db, ticket, minutes(100))
        assert response.stopped and response.elapsed_seconds == 600
        assert resolution.paused and resolution.elapsed_seconds == 20 * 60 and resolution.due_at is None
        service.change_status(db, ticket, "in_progress", actor="user:2", now=minutes(80))
        service.resolve_ticket(db, ticket, actor="user:2", note="replaced disk", now=minutes(90))
        service.reopen_ticket(db, ticket, actor="rule:disk", now=minutes(200))
        _, resolution = service.clocks(db, ticket, minutes(210))
        # 20 before the wait, 10 after it, 10 after the reopen; the 60-minute wait and the
        # 110 minutes resolved do not count
        assert resolution.elapsed_seconds == 40 * 60
        assert resolution.due_at == minutes(210) + timedelta(minutes=1440 - 40)
        service.change_priority(db, ticket, actor="user:2", priority="P1", now=minutes(210))
        _, resolution = service.clocks(db, ticket, minutes(210))
        assert resolution.elapsed_seconds == 40 * 60 and resolution.target_seconds == 240 * 60
        service.change_contract(db, ticket, desk.contract_a, actor="user:2", now=minutes(211))
        pauses = db.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)).all()
        assert [(p.reason, p.started_at, p.ended_at) for p in pauses] == [
            ("waiting_customer", minutes(20), minutes(80)),
            ("resolved", minutes(90), minutes(200)),
        ]
        assert ticket.status is TicketStatus.new and ticket.resolved_at is None
        log = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))
        changes = [(e.action, e.old_value, e.new_value) for e in log if e.action != "notification_queued"]
        assert changes[1:6] == [
            ("status", "new", "in_progress"),
            ("status", "in_progress", "waiting_customer"),
            ("status", "waiting_customer", "in_progress"),
            ("resolve", "in_progress", "resolved"),
            ("reopen", "resolved", "new"),
        ]


def test_resolve_again_after_reopen_sends_a_second_notice(ctx: AppContext, desk: DeskWorld) -> None:
    a = desk.seed.a
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=a.customer_id, title="Link flap", source="rule",
                                     fingerprint="fp-2", notify=False, now=T0)
        service.resolve_ticket(db, ticket, actor="rule:x", now=minutes(5))
        service.reopen_ticket(db, ticket, actor="rule:x", now=minutes(6))
        service.resolve_ticket(db, ticket, actor="rule:x", now=minutes(7))
        service.close_ticket(db, ticket, actor="user:1", now=minutes(8))
        notices = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "customer_resolved")).all()
        assert len(notices) == 2
        # a closed ticket's fingerprint opens a new ticket
        fresh = service.open_ticket(db, customer_id=a.customer_id, title="Link flap", source="rule",
                                    fingerprint="fp-2", notify=False, now=minutes(9))
        assert fresh.id != ticket.id


def _count(ctx: AppContext) -> tuple[int, int, int]:
    with ctx.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(Ticket)) or 0,
            db.scalar(select(func.count()).select_from(TicketEvent)) or 0,
            db.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": "  "}, InvalidInput),
        ({"title": "x" * 301}, InvalidInput),
        ({"source": "pigeon"}, InvalidInput),
        ({"priority": "P9"}, InvalidInput),
        ({"urgency": "extreme", "impact": "high", "priority": None}, InvalidInput),
        ({"device_id": "other"}, InvalidInput),
        ({"customer_id": 999999}, NotFound),
        ({"now": datetime(2026, 3, 3, 9, 0)}, InvalidInput),
    ],
)
def test_bad_open_is_refused_and_stores_nothing(
    ctx: AppContext, desk: DeskWorld, changes: dict[str, object], error: type[Exception]
) -> None:
    a, b = desk.seed.a, desk.seed.b
    with ctx.sessions() as db, db.begin():
        service.open_ticket(db, customer_id=a.customer_id, title="kept", source="web", now=T0)
    before = _count(ctx)
    args: dict[str, object] = {"customer_id": a.customer_id, "title": "t", "source": "web", "priority": "P3",
                               "now": T0}
    args.update(changes)
    if args.get("device_id") == "other":
        args["device_id"] = b.host_id
    with pytest.raises(error), ctx.sessions() as db, db.begin():
        service.open_ticket(db, **args)  # type: ignore[arg-type]
    assert _count(ctx) == before


def test_wrong_transitions_are_conflicts(ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="t", source="web",
                                     notify=False, now=T0)
        with pytest.raises(Conflict):
            service.reopen_ticket(db, ticket, actor="x", now=minutes(1))
        with pytest.raises(Conflict):
            service.close_ticket(db, ticket, actor="x", now=minutes(1))
        with pytest.raises(InvalidInput):
            service.change_status(db, ticket, "sleeping", actor="x", now=minutes(1))
        service.resolve_ticket(db, ticket, actor="x", notify=False, now=minutes(2))
        with pytest.raises(Conflict):
            service.change_status(db, ticket, "in_progress", actor="x", now=minutes(3))
        with pytest.raises(InvalidInput):
            service.comment(db, ticket, "   ", actor="x")


def test_the_log_is_append_only(ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="t", source="web",
                                     notify=False, now=T0)
        event_id = db.scalars(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id)).one()
    with pytest.raises(Conflict), ctx.sessions() as db, db.begin():
        entry = db.get(TicketEvent, event_id)
        assert entry is not None
        entry.note = "rewritten history"
    with ctx.sessions() as db:
        entry = db.get(TicketEvent, event_id)
        assert entry is not None and entry.note is None
