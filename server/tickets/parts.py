"""Spare parts requested on a ticket: the contract promises delivery in 7 days within the
country and 21 days from abroad; a part not delivered by its promise is flagged late (once, on
the ticket's log, with a message to the assignee), like a late ticket."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Ticket, User
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.tickets import service
from vigil.server.tickets.models import SparePart

PROMISE_DAYS = {"domestic": 7, "abroad": 21}


def request_part(
    db: Session, ticket: Ticket, *, part: str, quantity: int, origin: str, actor: str,
    actor_user_id: int | None = None, now: datetime | None = None,
) -> SparePart:
    now = service.moment(now)
    part = part.strip()
    if not part or len(part) > 200:
        raise InvalidInput("part must be 1..200 characters")
    if not 1 <= quantity <= 10_000:
        raise InvalidInput("quantity must be 1..10000")
    if origin not in PROMISE_DAYS:
        raise InvalidInput("origin must be domestic or abroad")
    row = SparePart(ticket_id=ticket.id, customer_id=ticket.customer_id, part=part, quantity=quantity,
                    origin=origin, requested_at=now, promised_at=now + timedelta(days=PROMISE_DAYS[origin]))
    db.add(row)
    db.flush()
    service.append_event(db, ticket, actor=actor, action="part_requested", note=f"{part} x{quantity} ({origin})",
                         data={"part_id": row.id, "promised_at": row.promised_at.isoformat()},
                         actor_user_id=actor_user_id, now=now)
    return row


def _part(db: Session, ticket: Ticket, part_id: int) -> SparePart:
    row = db.get(SparePart, part_id)
    if row is None or row.ticket_id != ticket.id:
        raise NotFound("part not found")
    return row


def mark_part(
    db: Session, ticket: Ticket, part_id: int, step: str, *, actor: str, actor_user_id: int | None = None,
    now: datetime | None = None,
) -> SparePart:
    """``step`` is shipped or delivered."""
    now = service.moment(now)
    row = _part(db, ticket, part_id)
    if step == "shipped":
        if row.shipped_at is not None:
            raise Conflict("the part is already shipped")
        row.shipped_at = now
    elif step == "delivered":
        if row.delivered_at is not None:
            raise Conflict("the part is already delivered")
        row.delivered_at = now
        row.shipped_at = row.shipped_at or now
    else:
        raise InvalidInput("step must be shipped or delivered")
    late = now > row.promised_at
    service.append_event(db, ticket, actor=actor, action=f"part_{step}", note=f"{row.part} x{row.quantity}",
                         data={"part_id": row.id, "late": late}, actor_user_id=actor_user_id, now=now)
    return row


def parts_of(db: Session, ticket: Ticket) -> list[SparePart]:
    return list(db.scalars(select(SparePart).where(SparePart.ticket_id == ticket.id).order_by(SparePart.id)))


def is_late(part: SparePart, now: datetime) -> bool:
    return part.delivered_at is None and now > part.promised_at


def flag_late_parts(db: Session, now: datetime, channels: list[str]) -> int:
    """Flag each late part once: an event on its ticket and a message to the assignee."""
    from vigil.server.tickets.assignment import notify_user

    late = db.scalars(
        select(SparePart).where(SparePart.delivered_at.is_(None), SparePart.late_flagged_at.is_(None),
                                SparePart.promised_at < now)
    ).all()
    for part in late:
        part.late_flagged_at = now
        ticket = db.get(Ticket, part.ticket_id)
        if ticket is None:
            continue
        service.append_event(db, ticket, actor="system", action="part_late", note=f"{part.part} x{part.quantity}",
                             data={"part_id": part.id, "promised_at": part.promised_at.isoformat()}, now=now)
        assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
        if assignee is not None:
            notify_user(db, ticket, assignee, "part_late", channels, now=now, discriminator=part.id, part=part.part,
                        quantity=part.quantity, promised=service.local_time(db, ticket.customer_id, part.promised_at))
    return len(late)
