"""Reminders and escalation by time: one scan over the open tickets, run by a background worker
with the wall clock or by a test with a controlled ``now``.

For each clock (response, resolution) that runs, each configured share of the target (e.g. 50%,
75%, 90%) and the breach fire once (``ticket_reminders`` is unique per ticket, clock and share).
The ladder: the first share reminds the assignee; the second adds the team lead; the third and
the breach add the manager. Without an assignee, the L1 dispatchers serving the customer stand
in for the assignee. When a scan finds several shares crossed at once (after a restart), only the
highest is sent; the lower ones are marked without a message.

Quiet hours (default 22:00-08:00) hold SMS back until they end, except for P1; e-mail goes at
once. A breach also goes to the configured group robots.

The same scan flags late spare parts and overdue vendor cases (L3), and gives out-of-hours P1/P2
tickets to the on-call engineer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Role, Ticket, User, UserCustomer
from vigil.server.errors import VigilError
from vigil.server.notify import outbox
from vigil.server.tickets import assignment, notices, parts, service, sla
from vigil.server.tickets.config import DeskSettings
from vigil.server.tickets.models import DeskStaff, TicketDesk, TicketReminder

BREACH_PERCENT = 100
log = logging.getLogger(__name__)


def quiet_until(settings: DeskSettings, now: datetime) -> datetime | None:
    """The end of the quiet hours when ``now`` lies inside them, else None."""
    zone = ZoneInfo(settings.quiet_hours_timezone)
    local = now.astimezone(zone)
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone)


def _ladder(db: Session, ticket: Ticket, rung: int) -> list[User]:
    """Who hears of a reminder on rung 0 (assignee), 1 (+ team lead), 2 (+ manager)."""
    people: list[User] = []
    first = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
    if first is not None:
        people.append(first)
        staff = db.get(DeskStaff, first.id)
    else:
        dispatchers = db.scalars(
            select(User)
            .join(DeskStaff, DeskStaff.user_id == User.id)
            .join(UserCustomer, UserCustomer.user_id == User.id)
            .where(UserCustomer.customer_id == ticket.customer_id, DeskStaff.tier == 1, User.active.is_(True),
                   User.role == Role.dispatcher)
        ).all()
        people.extend(dispatchers)
        staff = db.get(DeskStaff, dispatchers[0].id) if dispatchers else None
    if staff is not None:
        for level, user_id in ((1, staff.team_lead_id), (2, staff.manager_id)):
            if rung >= level and user_id is not None:
                user = db.get(User, user_id)
                if user is not None and user.active and user not in people:
                    people.append(user)
    return people


def _fire(
    db: Session, ticket: Ticket, settings: DeskSettings, clock_name: str, percent: int, rung: int,
    state: sla.ClockState, now: datetime,
) -> None:
    breach = percent == BREACH_PERCENT
    kind = "breach" if breach else "reminder"
    hold = None if ticket.priority == "P1" else quiet_until(settings, now)
    due = service.local_time(db, ticket.customer_id, state.due_at)
    people = _ladder(db, ticket, rung)
    assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
    for person in people:
        assignment.notify_user(
            db, ticket, person, kind, settings.reminder_channels, now=now, not_before=hold,
            discriminator=f"{clock_name}-{percent}", clock=clock_name, percent=percent, due=due,
            assignee=assignee.name if assignee else "-",
        )
    if breach:
        text = notices.render(kind, "zh", number=ticket.number, title=ticket.title, priority=ticket.priority,
                              customer=service.db_customer_name(db, ticket), clock=clock_name, percent=percent,
                              due=due, assignee=assignee.name if assignee else "-")
        for robot in settings.breach_robot_channels:
            outbox.enqueue(db, key=outbox.make_key(ticket.number, "breach", clock_name, robot), channel=robot,
                           purpose="breach", subject=text.subject, body=text.body, customer_id=ticket.customer_id,
                           ticket_id=ticket.id, now=now)
    service.append_event(
        db, ticket, actor="system:sla", action=kind, field=clock_name, new=f"{percent}%",
        note=f"{clock_name} {percent}% -> {', '.join(p.name for p in people) or 'nobody'}",
        data={"clock": clock_name, "percent": percent, "recipients": [p.id for p in people],
              "held_until": hold.isoformat() if hold else None, "due_at": state.due_at.isoformat() if state.due_at
              else None},
        now=now,
    )


def scan_ticket(
    db: Session, ticket: Ticket, settings: DeskSettings, now: datetime, *, desk: TicketDesk | None = None,
    paused: list[sla.Pause] | None = None, fired_before: set[tuple[str, int]] | None = None,
) -> int:
    terms = service.terms_for(db, ticket, desk)
    if fired_before is None:
        fired_before = {
            (r.clock, r.share_percent)
            for r in db.scalars(select(TicketReminder).where(TicketReminder.ticket_id == ticket.id))
        }
    shares = [round(s * 100) for s in terms.reminder_shares] + [BREACH_PERCENT]
    sent = 0
    states = service.clocks(db, ticket, now, desk=desk, paused=paused)
    for clock_name, state in zip(("response", "resolution"), states, strict=True):
        if state.stopped:
            continue
        crossed = [
            (rung, p) for rung, p in enumerate(shares) if state.elapsed_seconds >= state.target_seconds * p / 100
        ]
        fresh = [(rung, p) for rung, p in crossed if (clock_name, p) not in fired_before]
        if not fresh:
            continue
        for _, percent in fresh:
            db.add(TicketReminder(ticket_id=ticket.id, clock=clock_name, share_percent=percent,
                                  due_at=state.due_at or now, fired_at=now))
        rung, percent = fresh[-1]
        _fire(db, ticket, settings, clock_name, percent, min(rung, 2) if percent != BREACH_PERCENT else 2, state, now)
        sent += 1
    db.flush()
    return sent


def flag_vendor_overdue(db: Session, settings: DeskSettings, now: datetime) -> int:
    """An L3 ticket past its vendor deadline: logged once, and the assignee's ladder told (rung 1)."""
    overdue = db.execute(
        select(Ticket, TicketDesk)
        .join(TicketDesk, TicketDesk.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in service.OPEN]), TicketDesk.vendor_deadline.is_not(None),
               TicketDesk.vendor_deadline <= now)
    ).all()
    flagged = 0
    for ticket, desk in overdue:
        seen = db.scalar(select(TicketReminder.id).where(TicketReminder.ticket_id == ticket.id,
                                                          TicketReminder.clock == "vendor"))
        if seen is not None:
            continue
        assert desk.vendor_deadline is not None
        db.add(TicketReminder(ticket_id=ticket.id, clock="vendor", share_percent=BREACH_PERCENT,
                              due_at=desk.vendor_deadline, fired_at=now))
        due = service.local_time(db, ticket.customer_id, desk.vendor_deadline)
        assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
        people = _ladder(db, ticket, 1)
        for person in people:
            assignment.notify_user(db, ticket, person, "breach", ["email"], now=now, discriminator="vendor",
                                   clock="vendor", percent=BREACH_PERCENT, due=due,
                                   assignee=assignee.name if assignee else "-")
        service.append_event(db, ticket, actor="system:sla", action="vendor_overdue", field="vendor_deadline",
                             new=desk.vendor_deadline, note=f"{desk.vendor_name or ''} {desk.vendor_case_number or ''}"
                             .strip() or None, data={"recipients": [p.id for p in people]}, now=now)
        flagged += 1
    db.flush()
    return flagged


def scan(db: Session, settings: DeskSettings, now: datetime) -> int:
    """One pass: on-call assignment, reminders and breaches, late parts. Returns reminders fired."""
    assignment.assign_on_call(db, settings.desk_hours, now)
    fired = 0
    open_tickets = db.scalars(
        select(Ticket).where(Ticket.status.in_([s.value for s in service.OPEN])).order_by(Ticket.id)
    ).all()
    loaded = service.preload(db, list(open_tickets))
    fired_before: dict[int, set[tuple[str, int]]] = {t.id: set() for t in open_tickets}
    for row in db.execute(select(TicketReminder.ticket_id, TicketReminder.clock, TicketReminder.share_percent)
                          .join(Ticket, Ticket.id == TicketReminder.ticket_id)
                          .where(Ticket.status.in_([s.value for s in service.OPEN]))):
        fired_before.setdefault(row[0], set()).add((row[1], row[2]))
    for ticket in open_tickets:
        try:
            with db.begin_nested():  # one bad ticket (say, broken contract terms) skips only itself
                fired += scan_ticket(db, ticket, settings, now, desk=loaded.desks.get(ticket.id),
                                     paused=loaded.paused.get(ticket.id), fired_before=fired_before[ticket.id])
        except VigilError as exc:
            log.warning("reminders: ticket %s skipped: %s", ticket.number, exc.message)
    parts.flag_late_parts(db, now, ["email"])
    flag_vendor_overdue(db, settings, now)
    return fired
