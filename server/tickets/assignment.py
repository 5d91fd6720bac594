"""Who works a ticket: tier queues, engineers per customer and skill, the on-call rota,
assignment and escalation L1 -> L2 -> L3 (with the vendor's case number and deadline).

Engineers "per customer" are the users linked to the customer (or marked all_customers);
their tier and skills are in ``desk_staff``. Escalation never rewrites the past: each step is an
event on the ticket's log with the old and new tier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from vigil.server.db.models import Role, Ticket, TicketStatus, User, UserCustomer
from vigil.server.errors import InvalidInput
from vigil.server.notify import outbox
from vigil.server.tickets import notices, service, sla
from vigil.server.tickets.models import DeskStaff, OnCallShift

STAFF = (Role.admin, Role.dispatcher, Role.engineer, Role.expert)
TIERS = (1, 2, 3)


def sees_customer(db: Session, user: User, customer_id: int) -> bool:
    if user.all_customers or user.role is Role.admin:
        return True
    link = db.get(UserCustomer, {"user_id": user.id, "customer_id": customer_id})
    return link is not None


def candidates(db: Session, ticket: Ticket, tier: int | None = None) -> list[User]:
    """Active staff of the tier who see the customer and have the skill, least loaded first."""
    desk = service.desk_row(db, ticket)
    tier = tier or max(desk.tier, 2)
    rows = db.execute(
        select(User, DeskStaff)
        .join(DeskStaff, DeskStaff.user_id == User.id)
        .outerjoin(UserCustomer, (UserCustomer.user_id == User.id) & (UserCustomer.customer_id == ticket.customer_id))
        .where(
            User.active.is_(True),
            DeskStaff.tier == tier,
            or_(User.all_customers.is_(True), UserCustomer.customer_id.is_not(None)),
        )
    ).all()
    found = [user for user, staff in rows if not desk.skill or desk.skill in (staff.skills or [])]
    counts = db.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.status.in_([s.value for s in service.OPEN]), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id)
    ).all()
    # The query leaves unassigned tickets out; `is not None` only tells mypy so.
    load: dict[int, int] = {uid: int(n) for uid, n in counts if uid is not None}
    return sorted(found, key=lambda u: (load.get(u.id, 0), u.name))


def on_call(db: Session, tier: int, now: datetime) -> User | None:
    """The engineer whose shift of ``tier`` covers ``now`` (the latest starting, if several)."""
    return db.scalar(
        select(User)
        .join(OnCallShift, OnCallShift.user_id == User.id)
        .where(OnCallShift.tier == tier, OnCallShift.starts_at <= now, OnCallShift.ends_at > now,
               User.active.is_(True))
        .order_by(OnCallShift.starts_at.desc())
        .limit(1)
    )


def add_shift(db: Session, user_id: int, tier: int, starts_at: datetime, ends_at: datetime) -> OnCallShift:
    if ends_at <= starts_at:
        raise InvalidInput("a shift must end after it starts")
    if tier not in TIERS:
        raise InvalidInput("tier must be 1, 2 or 3")
    user = db.get(User, user_id)
    if user is None or user.role not in STAFF:
        raise InvalidInput("user_id does not name a staff member")
    shift = OnCallShift(user_id=user_id, tier=tier, starts_at=starts_at, ends_at=ends_at)
    db.add(shift)
    db.flush()
    return shift


def notify_user(
    db: Session, ticket: Ticket, user: User, kind: str, channels: list[str], *, now: datetime,
    not_before: datetime | None = None, discriminator: object = "", **values: object,
) -> int:
    """Queue a staff message (in the user's language) on each channel the user has an address for."""
    customer = service.db_customer_name(db, ticket)
    text = notices.render(kind, user.language, number=ticket.number, title=ticket.title, priority=ticket.priority,
                          customer=customer, **values)
    queued = 0
    for channel in channels:
        address = user.phone if channel == "sms" else user.email if channel == "email" else None
        if channel in ("sms", "email") and not address:
            continue
        key = outbox.make_key(ticket.number, kind, user.id, channel, discriminator)
        row = outbox.enqueue(
            db, key=key, channel=channel, purpose=kind, subject=text.subject, body=text.body, recipient=address,
            customer_id=ticket.customer_id, ticket_id=ticket.id, not_before=not_before if channel == "sms" else None,
            now=now, data={"ticket": ticket.number, "user_id": user.id},
        )
        if row is not None:
            queued += 1
            service.append_event(
                db, ticket, actor="system", action="notification_queued",
                note=f"{kind} to {user.name} via {channel}",
                data={"outbox_id": row.id, "idempotency_key": key, "user_id": user.id,
                      "not_before": row.next_attempt_at.isoformat()},
                now=now,
            )
    return queued


def assign(
    db: Session, ticket: Ticket, assignee_id: int, *, actor: str, actor_user_id: int | None = None,
    note: str | None = None, channels: list[str] | None = None, now: datetime | None = None,
) -> Ticket:
    now = service.moment(now)
    if ticket.status not in service.OPEN:
        raise InvalidInput(f"a {ticket.status.value} ticket cannot be assigned")
    user = db.get(User, assignee_id)
    if user is None or not user.active or user.role not in STAFF:
        raise InvalidInput("assignee_id does not name an active staff member")
    if not sees_customer(db, user, ticket.customer_id):
        raise InvalidInput("the assignee does not serve this customer")
    old = ticket.assignee_id
    ticket.assignee_id = user.id
    ticket.updated_at = now
    service.append_event(db, ticket, actor=actor, action="assign", field="assignee_id", old=old, new=user.id,
                         note=note, data={"assignee": user.name}, actor_user_id=actor_user_id, now=now)
    if ticket.status is TicketStatus.new:
        service.set_status(db, ticket, TicketStatus.assigned, actor=actor, actor_user_id=actor_user_id,
                            note=None, now=now)
    wanted = channels if channels is not None else (["email", "sms"] if ticket.priority in ("P1", "P2") else ["email"])
    notify_user(db, ticket, user, "assigned", wanted, now=now, discriminator=now.isoformat())
    return ticket


def escalate(
    db: Session, ticket: Ticket, *, to_tier: int, actor: str, actor_user_id: int | None = None,
    note: str | None = None, assignee_id: int | None = None, vendor_name: str | None = None,
    vendor_case_number: str | None = None, vendor_deadline: datetime | None = None, now: datetime | None = None,
) -> Ticket:
    """Escalate to a higher tier; at L3 the vendor's case number and deadline are kept."""
    now = service.moment(now)
    if ticket.status not in service.OPEN:
        raise InvalidInput(f"a {ticket.status.value} ticket cannot be escalated")
    desk = service.desk_row(db, ticket)
    if to_tier not in TIERS or to_tier <= desk.tier:
        raise InvalidInput(f"escalation goes up: from L{desk.tier} to L{desk.tier + 1}..L3")
    if (vendor_name or vendor_case_number or vendor_deadline) and to_tier != 3:
        raise InvalidInput("a vendor case belongs to an L3 escalation")
    if vendor_deadline is not None and vendor_deadline.tzinfo is None:
        raise InvalidInput("vendor_deadline needs a time zone")
    old = desk.tier
    desk.tier = to_tier
    if to_tier == 3:
        desk.vendor_name = vendor_name or desk.vendor_name
        desk.vendor_case_number = vendor_case_number or desk.vendor_case_number
        desk.vendor_deadline = vendor_deadline or desk.vendor_deadline
    service.append_event(
        db, ticket, actor=actor, action="escalate", field="tier", old=f"L{old}", new=f"L{to_tier}", note=note,
        data={"vendor_name": desk.vendor_name, "vendor_case_number": desk.vendor_case_number,
              "vendor_deadline": desk.vendor_deadline.isoformat() if desk.vendor_deadline else None},
        actor_user_id=actor_user_id, now=now,
    )
    if assignee_id is not None:
        assign(db, ticket, assignee_id, actor=actor, actor_user_id=actor_user_id, now=now)
    return ticket


def update_vendor_case(
    db: Session, ticket: Ticket, *, actor: str, vendor_case_number: str | None = None,
    vendor_deadline: datetime | None = None, actor_user_id: int | None = None, now: datetime | None = None,
) -> Ticket:
    now = service.moment(now)
    desk = service.desk_row(db, ticket)
    if desk.tier != 3:
        raise InvalidInput("only an L3 ticket has a vendor case")
    if vendor_deadline is not None and vendor_deadline.tzinfo is None:
        raise InvalidInput("vendor_deadline needs a time zone")
    for field, value in (("vendor_case_number", vendor_case_number), ("vendor_deadline", vendor_deadline)):
        if value is not None and getattr(desk, field) != value:
            service.append_event(db, ticket, actor=actor, action="vendor_case", field=field,
                                 old=getattr(desk, field), new=value, actor_user_id=actor_user_id, now=now)
            setattr(desk, field, value)
    return ticket


def assign_on_call(db: Session, desk_hours: sla.ServiceHours, now: datetime) -> list[Ticket]:
    """Give new, unassigned P1/P2 tickets to the L2 on-call engineer when the desk is closed."""
    if sla.in_service(desk_hours, now):
        return []
    engineer = on_call(db, 2, now)
    if engineer is None:
        return []
    waiting = db.scalars(
        select(Ticket).where(Ticket.status == TicketStatus.new, Ticket.assignee_id.is_(None),
                             Ticket.priority.in_(["P1", "P2"])).order_by(Ticket.id)
    ).all()
    done = []
    for ticket in waiting:
        if sees_customer(db, engineer, ticket.customer_id):
            assign(db, ticket, engineer.id, actor="system:on-call", note="out of hours: on-call engineer",
                   channels=["email", "sms"], now=now)
            done.append(ticket)
    return done
