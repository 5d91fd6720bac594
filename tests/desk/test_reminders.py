"""Reminders and escalation by time with a controlled clock, on SQLite and PostgreSQL: shares
of the response and resolution targets up the ladder (assignee, team lead, manager), breach to
the robots, business hours over a weekend, quiet hours held except for P1, a catch-up after a
pause in scanning, the on-call engineer out of hours, late spare parts, and L1 -> L2 -> L3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from vigil.server.context import AppContext
from vigil.server.db.models import Contract, Ticket, TicketEvent, TicketStatus
from vigil.server.errors import InvalidInput
from vigil.server.notify.models import OutboxMessage
from vigil.server.tickets import assignment, parts, reminders, service
from vigil.server.tickets.config import DeskSettings
from vigil.server.tickets.models import TicketDesk, TicketReminder

from tests.desk.world import DeskWorld

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tuesday 09:00 Shanghai
SETTINGS = DeskSettings(breach_robot_channels=["wecom"])


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def staff_messages(ctx: AppContext, ticket_id: int, since_id: int = 0) -> list[tuple[str, str, str | None]]:
    with ctx.sessions() as db:
        rows = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.id > since_id,
                   OutboxMessage.purpose.in_(["reminder", "breach"]))
            .order_by(OutboxMessage.id)
        )
        return [(r.purpose, r.channel, r.recipient) for r in rows]


def last_outbox_id(ctx: AppContext) -> int:
    with ctx.sessions() as db:
        return max([0, *db.scalars(select(OutboxMessage.id))])


def scan(ctx: AppContext, when: datetime, settings: DeskSettings = SETTINGS) -> int:
    with ctx.sessions() as db, db.begin():
        return reminders.scan(db, settings, when)


def test_p1_reminders_climb_the_ladder_at_the_right_instants(ctx: AppContext, desk: DeskWorld) -> None:
    seed = desk.seed
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=seed.a.customer_id, title="Core switch down", source="phone",
                                     priority="P1", notify=False, now=T0)
        assignment.assign(db, ticket, seed.user_ids["engineer_a"], actor="user:1", channels=[], now=T0)
        ticket_id = ticket.id
    engineer, lead, manager = "engineer_a@example.com", "lead@example.com", "manager@example.com"
    # gold P1: response 15 min -> 50% at 7.5, 75% at 11.25, 90% at 13.5, breach at 15
    expected = [
        (7.49, []),
        (7.5, [engineer]),
        (11.2, []),
        (11.25, [engineer, lead]),
        (13.5, [engineer, lead, manager]),
        (14.99, []),
        (15, [engineer, lead, manager]),
        (15.5, []),
    ]
    for minute, people in expected:
        mark = last_outbox_id(ctx)
        scan(ctx, at(minute))
        got = staff_messages(ctx, ticket_id, mark)
        emails = [r for p, c, r in got if c == "email"]
        assert emails == people, f"at {minute} min"
        phones = [r for p, c, r in got if c == "sms"]
        assert len(phones) == len(people)  # everyone here has a phone; P1 ignores quiet hours
    with ctx.sessions() as db:
        robot = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "wecom")).all()
        assert len(robot) == 1 and robot[0].purpose == "breach"
        fired = db.scalars(select(TicketReminder).where(TicketReminder.ticket_id == ticket_id)).all()
        assert sorted((r.clock, r.share_percent, r.fired_at) for r in fired) == [
            ("response", 50, at(7.5)), ("response", 75, at(11.25)), ("response", 90, at(13.5)),
            ("response", 100, at(15)),
        ]
        breach = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                      TicketEvent.action == "breach")).one()
        assert breach.field == "response" and breach.at == at(15)


def test_business_hours_clock_sleeps_over_the_weekend(ctx: AppContext, desk: DeskWorld) -> None:
    start = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)  # Friday 17:30 Shanghai; silver = business hours
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.b.customer_id, title="Printer queue stuck",
                                     source="email", priority="P2", notify=False, now=start)
        ticket_id = ticket.id
        row = db.get(TicketDesk, ticket_id)
        assert row is not None and row.response_due_at == datetime(2026, 3, 9, 1, 30, tzinfo=UTC)  # Mon 09:30

    def fired() -> list[int]:
        with ctx.sessions() as db:
            return sorted(r.share_percent for r in db.scalars(
                select(TicketReminder).where(TicketReminder.ticket_id == ticket_id, TicketReminder.clock == "response")
            ))

    scan(ctx, datetime(2026, 3, 6, 9, 59, tzinfo=UTC))
    assert fired() == []
    scan(ctx, datetime(2026, 3, 6, 10, 0, tzinfo=UTC))  # Friday 18:00: 30 of 60 min
    assert fired() == [50]
    scan(ctx, datetime(2026, 3, 7, 4, 0, tzinfo=UTC))  # Saturday noon: the clock sleeps
    scan(ctx, datetime(2026, 3, 9, 1, 14, 59, tzinfo=UTC))  # Monday 09:14:59
    assert fired() == [50]
    scan(ctx, datetime(2026, 3, 9, 1, 15, tzinfo=UTC))  # Monday 09:15: 30 Friday + 15 Monday = 75%
    assert fired() == [50, 75]
    scan(ctx, datetime(2026, 3, 9, 1, 24, tzinfo=UTC))
    assert fired() == [50, 75, 90]
    scan(ctx, datetime(2026, 3, 9, 1, 30, tzinfo=UTC))
    assert fired() == [50, 75, 90, 100]


def test_quiet_hours_hold_sms_except_p1(ctx: AppContext, desk: DeskWorld) -> None:
    seed = desk.seed
    night = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # 22:00 Shanghai
    with ctx.sessions() as db, db.begin():
        p2 = service.open_ticket(db, customer_id=seed.a.customer_id, title="Fan failure", source="rule",
                                 priority="P2", notify=False, now=night)
        p1 = service.open_ticket(db, customer_id=seed.a.customer_id, title="Site offline", source="rule",
                                 priority="P1", notify=False, now=night)
        for t in (p1, p2):
            assignment.assign(db, t, seed.user_ids["engineer_a"], actor="user:1", channels=[], now=night)
        ids = (p1.id, p2.id)
    scan(ctx, night + timedelta(minutes=30))  # both responses breached at 22:15 / 22:30
    morning = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    with ctx.sessions() as db:
        for ticket_id, held in zip(ids, (False, True), strict=True):
            sms = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id,
                                                         OutboxMessage.channel == "sms")).all()
            mail = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id,
                                                          OutboxMessage.channel == "email")).all()
            assert sms and mail
            assert all(m.next_attempt_at == night + timedelta(minutes=30) for m in mail)
            assert all(s.next_attempt_at == (morning if held else night + timedelta(minutes=30)) for s in sms)


def test_catch_up_sends_only_the_highest_share(ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="Late scan", source="web",
                                     priority="P2", notify=False, now=T0)
        assignment.assign(db, ticket, desk.seed.user_ids["engineer_a"], actor="user:1", channels=[], now=T0)
        ticket_id = ticket.id
    scan(ctx, at(40))  # 30-min response: 50/75/90 and breach all passed
    got = staff_messages(ctx, ticket_id)
    assert {p for p, _, _ in got} == {"breach"}
    with ctx.sessions() as db:
        assert len(db.scalars(select(TicketReminder).where(TicketReminder.ticket_id == ticket_id)).all()) == 4


def test_on_call_engineer_takes_out_of_hours_p1(ctx: AppContext, desk: DeskWorld) -> None:
    night = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 23:00 Shanghai, desk closed
    engineer = desk.seed.user_ids["engineer_a"]
    with ctx.sessions() as db, db.begin():
        assignment.add_shift(db, engineer, 2, night - timedelta(hours=3), night + timedelta(hours=9))
        p1 = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="Firewall down", source="rule",
                                 priority="P1", notify=False, now=night)
        p3 = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="Log disk 80%", source="rule",
                                 priority="P3", notify=False, now=night)
        ids = (p1.id, p3.id)
    scan(ctx, night + timedelta(minutes=1))
    with ctx.sessions() as db:
        first, second = (db.get(Ticket, i) for i in ids)
        assert first is not None and second is not None
        assert first.assignee_id == engineer and first.status is TicketStatus.assigned
        assert second.assignee_id is None
        assigned = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ids[0],
                                                          OutboxMessage.purpose == "assigned")).all()
        assert {m.channel for m in assigned} == {"email", "sms"}


def test_escalation_keeps_history_and_vendor_case(ctx: AppContext, desk: DeskWorld) -> None:
    seed = desk.seed
    deadline = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=seed.a.customer_id, title="RAID rebuild fails",
                                     source="phone", priority="P2", notify=False, now=T0)
        assignment.escalate(db, ticket, to_tier=2, actor="user:1", assignee_id=seed.user_ids["engineer_a"], now=at(5))
        with pytest.raises(InvalidInput):
            assignment.escalate(db, ticket, to_tier=2, actor="user:1", now=at(6))
        with pytest.raises(InvalidInput):
            assignment.escalate(db, ticket, to_tier=3, actor="user:1", vendor_deadline=datetime(2026, 3, 5), now=at(6))
        assignment.escalate(db, ticket, to_tier=3, actor="user:2", vendor_name="NetApp",
                            vendor_case_number="NA-2026-0042", vendor_deadline=deadline,
                            assignee_id=seed.user_ids["expert_a"], now=at(30))
        row = db.get(TicketDesk, ticket.id)
        assert row is not None and row.tier == 3 and row.vendor_case_number == "NA-2026-0042"
        assert row.vendor_deadline == deadline
        steps = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                     TicketEvent.action == "escalate").order_by(TicketEvent.id)).all()
        assert [(s.old_value, s.new_value) for s in steps] == [("L1", "L2"), ("L2", "L3")]
        assert ticket.assignee_id == seed.user_ids["expert_a"]
        with pytest.raises(InvalidInput):
            assignment.assign(db, ticket, seed.user_ids["dispatcher_b"], actor="user:1", now=at(31))
        ticket_id = ticket.id
    scan(ctx, deadline - timedelta(seconds=1))
    scan(ctx, deadline)
    scan(ctx, deadline + timedelta(hours=1))
    with ctx.sessions() as db:
        overdue = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                       TicketEvent.action == "vendor_overdue")).all()
        assert len(overdue) == 1 and overdue[0].at == deadline and overdue[0].note == "NetApp NA-2026-0042"
        told = db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id,
                                                      OutboxMessage.subject.contains("厂商期限"))).all()
        assert {m.recipient for m in told} == {"expert_a@example.com"}


def test_late_spare_part_is_flagged_once(ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="PSU failed", source="phone",
                                     priority="P3", notify=False, now=T0)
        assignment.assign(db, ticket, desk.seed.user_ids["engineer_a"], actor="user:1", channels=[], now=T0)
        local = parts.request_part(db, ticket, part="PSU 750W", quantity=1, origin="domestic", actor="user:1", now=T0)
        far = parts.request_part(db, ticket, part="Controller", quantity=2, origin="abroad", actor="user:1", now=T0)
        assert local.promised_at == T0 + timedelta(days=7) and far.promised_at == T0 + timedelta(days=21)
        with pytest.raises(InvalidInput):
            parts.request_part(db, ticket, part="x", quantity=0, origin="domestic", actor="user:1", now=T0)
        ticket_id, far_id = ticket.id, far.id
    scan(ctx, T0 + timedelta(days=7, minutes=1))
    scan(ctx, T0 + timedelta(days=8))
    with ctx.sessions() as db, db.begin():
        late = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                    TicketEvent.action == "part_late")).all()
        assert [e.note for e in late] == ["PSU 750W x1"]
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        done = parts.mark_part(db, ticket, far_id, "delivered", actor="user:1", now=T0 + timedelta(days=20))
        assert done.delivered_at is not None and not parts.is_late(done, T0 + timedelta(days=30))


def test_candidates_by_customer_skill_and_load(ctx: AppContext, desk: DeskWorld) -> None:
    seed = desk.seed
    with ctx.sessions() as db, db.begin():
        storage = service.open_ticket(db, customer_id=seed.a.customer_id, title="LUN offline", source="phone",
                                      skill="storage", notify=False, now=T0)
        network = service.open_ticket(db, customer_id=seed.a.customer_id, title="BGP flap", source="phone",
                                      skill="network", notify=False, now=T0)
        other = service.open_ticket(db, customer_id=seed.b.customer_id, title="B's", source="phone",
                                    notify=False, now=T0)
        assert [u.name for u in assignment.candidates(db, storage)] == ["engineer_a"]
        assert [u.name for u in assignment.candidates(db, storage, tier=3)] == ["expert_a"]
        assert [u.name for u in assignment.candidates(db, network)] == ["engineer_a", "lead"]
        assignment.assign(db, network, seed.user_ids["engineer_a"], actor="user:1", channels=[], now=T0)
        assert [u.name for u in assignment.candidates(db, network)] == ["lead", "engineer_a"]  # least loaded first
        assert assignment.candidates(db, other) == []  # nobody of the desk serves customer B


def test_broken_contract_terms_fall_back_to_the_level(ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        good = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="ok", source="web",
                                   priority="P1", notify=False, now=T0)
        broken = service.open_ticket(db, customer_id=desk.seed.b.customer_id, title="bad terms", source="web",
                                     priority="P1", notify=False, now=T0)
        contract = db.get(Contract, desk.contract_b)
        assert contract is not None
        contract.terms = {"targets": {"P1": {"response_minutes": -5}}}  # stored before validation existed
        good_id, broken_id = good.id, broken.id
    scan(ctx, at(20))
    with ctx.sessions() as db:
        # gold P1 (15 min): 50, 75 and 90% passed; silver's own P1 (30 min): 50%
        good_fired = db.scalars(select(TicketReminder.share_percent).where(TicketReminder.ticket_id == good_id))
        broken_fired = db.scalars(select(TicketReminder.share_percent).where(TicketReminder.ticket_id == broken_id))
        assert sorted(good_fired) == [50, 75, 90, 100] and list(broken_fired) == [50]
        ticket = db.get(Ticket, broken_id)
        assert ticket is not None
        assert service.clocks(db, ticket, at(20))[0].target_seconds == 30 * 60
