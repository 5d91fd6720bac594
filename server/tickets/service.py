"""The ticket service: every change to a ticket goes through here and lands on its log.

These functions know nothing of HTTP or of who may do what: the rule engine calls them with
``actor="rule:<id>"``, the desk's access layer (vigil.server.tickets.desk) after its role and
customer checks. Each takes the caller's session and adds to its transaction: the change, its
event on the ticket's log and any notification (the outbox) commit or roll back together.
``now`` is handed in by tests and schedulers; it defaults to the wall clock.

Status machine::

    new ─> assigned ─> in_progress ─> waiting_customer / waiting_vendor ─> in_progress
      └──────┴────────────┴──────────────> resolved ─> closed
                                            └─ reopen ─> assigned (or new)

The SLA clocks pause while waiting on the customer or the vendor, and from resolve to reopen.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from vigil.server.db.base import utcnow
from vigil.server.db.models import (
    Contract,
    Customer,
    Device,
    Site,
    Ticket,
    TicketEvent,
    TicketSource,
    TicketStatus,
)
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.notify import outbox
from vigil.server.tickets import notices, sla
from vigil.server.tickets.models import TicketDesk, TicketPause

log = logging.getLogger(__name__)
PRIORITIES = sla.PRIORITIES
OPEN = frozenset(
    {
        TicketStatus.new,
        TicketStatus.assigned,
        TicketStatus.in_progress,
        TicketStatus.waiting_customer,
        TicketStatus.waiting_vendor,
    }
)
WAITING = frozenset({TicketStatus.waiting_customer, TicketStatus.waiting_vendor})
PAUSING = WAITING | {TicketStatus.resolved, TicketStatus.closed}
# Statuses that count as the first response (the engineer is working on it).
RESPONDING = frozenset({TicketStatus.in_progress}) | PAUSING
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.new: frozenset(OPEN - {TicketStatus.new} | {TicketStatus.resolved}),
    TicketStatus.assigned: frozenset(OPEN - {TicketStatus.assigned} | {TicketStatus.resolved}),
    TicketStatus.in_progress: frozenset(OPEN - {TicketStatus.in_progress, TicketStatus.new} | {TicketStatus.resolved}),
    TicketStatus.waiting_customer: frozenset(
        {TicketStatus.in_progress, TicketStatus.assigned, TicketStatus.waiting_vendor, TicketStatus.resolved}
    ),
    TicketStatus.waiting_vendor: frozenset(
        {TicketStatus.in_progress, TicketStatus.assigned, TicketStatus.waiting_customer, TicketStatus.resolved}
    ),
    TicketStatus.resolved: frozenset({TicketStatus.closed}),
    TicketStatus.closed: frozenset(),
}
MAX_TITLE = 300


@event.listens_for(TicketEvent, "before_update")
def _log_is_append_only(mapper: Any, connection: Any, target: TicketEvent) -> None:
    # The ticket's log is evidence: an entry, once written, is never changed through the ORM.
    raise Conflict(f"ticket log entry {target.id} cannot be changed")


def moment(now: datetime | None) -> datetime:
    if now is not None and now.tzinfo is None:
        raise InvalidInput("naive datetime: give times with a time zone")
    return now or utcnow()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def append_event(
    db: Session,
    ticket: Ticket,
    *,
    actor: str,
    action: str,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    actor_user_id: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Append one entry to the ticket's log (entries are never changed)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        at=moment(now),
        actor_user_id=actor_user_id,
        actor=actor[:128],
        action=action[:64],
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        note=note,
        data=data or {},
    )
    db.add(event)
    db.flush()
    return event


def desk_row(db: Session, ticket: Ticket) -> TicketDesk:
    row = db.get(TicketDesk, ticket.id)
    if row is None:  # a ticket made before the desk existed: give it a row on first touch
        row = TicketDesk(ticket_id=ticket.id, customer_id=ticket.customer_id, tier=1)
        contract = active_contract(db, ticket.customer_id)
        row.contract_id = contract.id if contract else None
        db.add(row)
        db.flush()
    return row


def active_contract(db: Session, customer_id: int) -> Contract | None:
    return db.scalar(
        select(Contract)
        .where(Contract.customer_id == customer_id, Contract.active.is_(True))
        .order_by(Contract.id.desc())
        .limit(1)
    )


def terms_for(db: Session, ticket: Ticket, desk: TicketDesk | None = None) -> sla.SlaTerms:
    desk = desk or desk_row(db, ticket)
    customer = db.get(Customer, ticket.customer_id)
    zone = customer.timezone if customer else "Asia/Shanghai"
    contract = db.get(Contract, desk.contract_id) if desk.contract_id else None
    if contract is None:
        return sla.sla_terms("gold", {}, zone)
    try:
        return sla.sla_terms(contract.sla_level, contract.terms, zone)
    except InvalidInput as exc:
        # A contract stored with terms that do not validate must not stop its tickets' clocks:
        # the level's own targets (or gold's) stand in, and the problem is logged.
        log.warning("contract %s: %s; using the level's defaults", contract.number, exc.message)
        level = contract.sla_level if contract.sla_level in sla.LEVEL_DEFAULTS else "gold"
        return sla.sla_terms(level, {}, zone)


def pauses(db: Session, ticket_id: int) -> list[sla.Pause]:
    rows = db.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket_id).order_by(TicketPause.id))
    return [sla.Pause(r.started_at, r.ended_at) for r in rows]


@dataclass
class Preloaded:
    """What the clocks of many tickets need, loaded in a few queries. ``anchors`` keeps the
    customers and contracts referenced, so the session's (weak) identity map serves every
    ``db.get`` of them instead of going back to the database per ticket."""

    desks: dict[int, TicketDesk]
    paused: dict[int, list[sla.Pause]]
    anchors: list[object]


def preload(db: Session, tickets: list[Ticket]) -> Preloaded:
    ids = [t.id for t in tickets]
    loaded = Preloaded({}, {i: [] for i in ids}, [])
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        loaded.desks.update(
            {d.ticket_id: d for d in db.scalars(select(TicketDesk).where(TicketDesk.ticket_id.in_(chunk)))}
        )
        for row in db.scalars(select(TicketPause).where(TicketPause.ticket_id.in_(chunk)).order_by(TicketPause.id)):
            loaded.paused[row.ticket_id].append(sla.Pause(row.started_at, row.ended_at))
    customer_ids = sorted({t.customer_id for t in tickets})
    contract_ids = sorted({d.contract_id for d in loaded.desks.values() if d.contract_id is not None})
    if customer_ids:
        loaded.anchors.extend(db.scalars(select(Customer).where(Customer.id.in_(customer_ids))))
    if contract_ids:
        loaded.anchors.extend(db.scalars(select(Contract).where(Contract.id.in_(contract_ids))))
    return loaded


def clocks(
    db: Session, ticket: Ticket, now: datetime | None = None, *, desk: TicketDesk | None = None,
    paused: list[sla.Pause] | None = None,
) -> tuple[sla.ClockState, sla.ClockState]:
    """The (response, resolution) clocks of a ticket at ``now``.

    ``desk`` and ``paused`` may be handed in by callers that loaded them for many tickets at once.
    """
    now = moment(now)
    desk = desk or desk_row(db, ticket)
    terms = terms_for(db, ticket, desk)
    target = terms.targets[ticket.priority]
    paused = pauses(db, ticket.id) if paused is None else paused
    hours = terms.service_hours
    response_stop = desk.responded_at
    if response_stop is None and ticket.status not in OPEN:
        response_stop = ticket.resolved_at or ticket.closed_at
    resolution_stop = (ticket.resolved_at or ticket.closed_at) if ticket.status not in OPEN else None
    response = sla.clock(hours, target.response_minutes, ticket.created_at, now, paused, response_stop)
    resolution = sla.clock(hours, target.resolution_minutes, ticket.created_at, now, paused, resolution_stop)
    return response, resolution


def refresh_sla(db: Session, ticket: Ticket, now: datetime | None = None) -> None:
    """Recompute the cached deadlines after any change that moves them."""
    response, resolution = clocks(db, ticket, now)
    desk = desk_row(db, ticket)
    desk.response_due_at = response.due_at
    desk.resolution_due_at = resolution.due_at
    db.flush()


def local_time(db: Session, customer_id: int, when: datetime | None) -> str:
    if when is None:
        return "-"
    customer = db.get(Customer, customer_id)
    zone = ZoneInfo(customer.timezone if customer else "Asia/Shanghai")
    local = when.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def customer_recipients(db: Session, ticket: Ticket) -> list[str]:
    customer = db.get(Customer, ticket.customer_id)
    desk = desk_row(db, ticket)
    found: list[str] = []
    for address in [*(customer.notice_contacts if customer else []), desk.reporter_email]:
        if address and address.lower() not in (a.lower() for a in found):
            found.append(address)
    return found


def notify_customer(
    db: Session, ticket: Ticket, kind: str, *, now: datetime, channel: str = "email", **values: object
) -> int:
    """Queue a customer notice (ack, resolved, survey) to every contact, in the customer's language."""
    customer = db.get(Customer, ticket.customer_id)
    language = customer.language if customer else "zh"
    text = notices.render(kind, language, number=ticket.number, title=ticket.title, priority=ticket.priority, **values)
    queued = 0
    for address in customer_recipients(db, ticket):
        key = outbox.make_key(ticket.number, kind, address, values.get("round", 0))
        row = outbox.enqueue(
            db,
            key=key,
            channel=channel,
            purpose=f"customer_{kind}",
            recipient=address,
            subject=text.subject,
            body=text.body,
            customer_id=ticket.customer_id,
            ticket_id=ticket.id,
            now=now,
        )
        if row is not None:
            queued += 1
            append_event(
                db,
                ticket,
                actor="system",
                action="notification_queued",
                note=f"{kind} to {address} via {channel}",
                data={"outbox_id": row.id, "idempotency_key": key, "purpose": row.purpose},
                now=now,
            )
    return queued


def _check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}")
    return priority


def open_ticket(
    db: Session,
    *,
    customer_id: int,
    title: str,
    source: TicketSource | str,
    priority: str | None = None,
    urgency: str | None = None,
    impact: str | None = None,
    severity: str | None = None,
    device_id: int | None = None,
    site_id: int | None = None,
    rule_id: str | None = None,
    fingerprint: str | None = None,
    description: str = "",
    skill: str | None = None,
    reporter_name: str | None = None,
    reporter_email: str | None = None,
    reporter_phone: str | None = None,
    actor: str = "system",
    actor_user_id: int | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket (or, for a fingerprint with a ticket not yet closed, count an occurrence).

    The priority is given, or comes from urgency x impact with the contract's matrix (P3 when
    neither is given). The customer is acknowledged by e-mail when ``notify``.
    """
    now = moment(now)
    title = " ".join(title.split())  # one line: it becomes mail subjects and SMS text
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"title must be 1..{MAX_TITLE} characters")
    try:
        source = TicketSource(source)
    except ValueError:
        raise InvalidInput(f"source must be one of {', '.join(s.value for s in TicketSource)}") from None
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer not found")
    if device_id is not None:
        device = db.get(Device, device_id)
        if device is None or device.customer_id != customer_id:
            raise InvalidInput("device_id does not name a device of this customer")
        site_id = site_id or device.site_id
    if site_id is not None:
        site = db.get(Site, site_id)
        if site is None or site.customer_id != customer_id:
            raise InvalidInput("site_id does not name a site of this customer")
    if fingerprint:
        existing = db.scalar(
            select(Ticket)
            .where(
                Ticket.customer_id == customer_id,
                Ticket.fingerprint == fingerprint,
                Ticket.status != TicketStatus.closed,
            )
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if existing is not None:
            existing.occurrences += 1
            existing.updated_at = now
            append_event(
                db, existing, actor=actor, action="occurrence", field="occurrences",
                old=existing.occurrences - 1, new=existing.occurrences, now=now, actor_user_id=actor_user_id,
            )
            return existing
    contract = active_contract(db, customer_id)
    terms = sla.sla_terms(contract.sla_level, contract.terms, customer.timezone) if contract else (
        sla.sla_terms("gold", {}, customer.timezone)
    )
    if priority is None:
        priority = sla.priority_for(terms, urgency, impact) if urgency and impact else "P3"
    _check_priority(priority)
    ticket = Ticket(
        number=f"tmp-{secrets.token_hex(8)}",
        customer_id=customer_id,
        site_id=site_id,
        device_id=device_id,
        title=title,
        description=description,
        status=TicketStatus.new,
        priority=priority,
        severity=severity,
        source=source,
        rule_id=rule_id,
        fingerprint=fingerprint,
        occurrences=1,
        created_by=actor_user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(ticket)
    db.flush()
    ticket.number = f"T-{ticket.id:06d}"
    db.add(
        TicketDesk(
            ticket_id=ticket.id,
            customer_id=customer_id,
            tier=1,
            contract_id=contract.id if contract else None,
            urgency=urgency,
            impact=impact,
            skill=skill,
            reporter_name=reporter_name,
            reporter_email=reporter_email,
            reporter_phone=reporter_phone,
        )
    )
    db.flush()
    append_event(
        db, ticket, actor=actor, action="open", field="status", new=TicketStatus.new.value,
        data={"source": source.value, "priority": priority, "rule_id": rule_id, "fingerprint": fingerprint,
              "urgency": urgency, "impact": impact, "sla_level": terms.level},
        actor_user_id=actor_user_id, now=now,
    )
    refresh_sla(db, ticket, now)
    if notify:
        response, _ = clocks(db, ticket, now)
        notify_customer(db, ticket, "ack", now=now, response_due=local_time(db, customer_id, response.due_at))
    return ticket


def set_status(
    db: Session, ticket: Ticket, status: TicketStatus, *, actor: str, actor_user_id: int | None,
    note: str | None, now: datetime, action: str = "status",
) -> None:
    old = ticket.status
    desk = desk_row(db, ticket)
    if old in PAUSING and status != old:
        for pause in db.scalars(
            select(TicketPause).where(TicketPause.ticket_id == ticket.id, TicketPause.ended_at.is_(None))
        ):
            pause.ended_at = now
    if status in PAUSING and status != old:
        db.add(TicketPause(ticket_id=ticket.id, reason=status.value, started_at=now))
    if desk.responded_at is None and status in RESPONDING:
        desk.responded_at = now
    ticket.status = status
    ticket.updated_at = now
    db.flush()
    append_event(
        db, ticket, actor=actor, action=action, field="status", old=old.value, new=status.value,
        note=note, actor_user_id=actor_user_id, now=now,
    )
    refresh_sla(db, ticket, now)


def change_status(
    db: Session, ticket: Ticket, status: TicketStatus | str, *, actor: str, actor_user_id: int | None = None,
    note: str | None = None, now: datetime | None = None,
) -> Ticket:
    """Move a ticket along the status machine; resolve/close/reopen have their own functions."""
    now = moment(now)
    try:
        target = TicketStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown status {status!r}") from None
    if target is TicketStatus.resolved:
        return resolve_ticket(db, ticket, actor=actor, actor_user_id=actor_user_id, note=note, now=now)
    if target is TicketStatus.closed:
        return close_ticket(db, ticket, actor=actor, actor_user_id=actor_user_id, note=note, now=now)
    if target not in TRANSITIONS[ticket.status]:
        raise Conflict(f"a ticket cannot go from {ticket.status.value} to {target.value}")
    set_status(db, ticket, target, actor=actor, actor_user_id=actor_user_id, note=note, now=now)
    return ticket


def resolve_ticket(
    db: Session, ticket: Ticket, *, actor: str, note: str | None = None, actor_user_id: int | None = None,
    notify: bool = True, now: datetime | None = None,
) -> Ticket:
    now = moment(now)
    if ticket.status not in OPEN:
        raise Conflict(f"a {ticket.status.value} ticket cannot be resolved")
    ticket.resolved_at = now
    set_status(db, ticket, TicketStatus.resolved, actor=actor, actor_user_id=actor_user_id, note=note, now=now,
                action="resolve")
    if notify:
        # a ticket resolved again after a reopen gets a fresh notice (its own idempotency key)
        resolves = db.scalar(
            select(func.count()).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "resolve")
        )
        notify_customer(db, ticket, "resolved", now=now, note=note or "-", round=resolves or 1)
    return ticket


def reopen_ticket(
    db: Session, ticket: Ticket, *, actor: str, note: str | None = None, actor_user_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Reopen a resolved ticket: the paused time since the resolve does not count."""
    now = moment(now)
    if ticket.status is not TicketStatus.resolved:
        raise Conflict(f"only a resolved ticket can be reopened (this one is {ticket.status.value})")
    ticket.resolved_at = None
    target = TicketStatus.assigned if ticket.assignee_id else TicketStatus.new
    set_status(db, ticket, target, actor=actor, actor_user_id=actor_user_id, note=note, now=now, action="reopen")
    return ticket


def close_ticket(
    db: Session, ticket: Ticket, *, actor: str, note: str | None = None, actor_user_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Close a resolved ticket. The survey is sent by vigil.server.tickets.surveys.on_close."""
    now = moment(now)
    if ticket.status is not TicketStatus.resolved:
        raise Conflict("only a resolved ticket can be closed")
    ticket.closed_at = now
    set_status(db, ticket, TicketStatus.closed, actor=actor, actor_user_id=actor_user_id, note=note, now=now,
                action="close")
    return ticket


def change_priority(
    db: Session, ticket: Ticket, *, actor: str, priority: str | None = None, urgency: str | None = None,
    impact: str | None = None, actor_user_id: int | None = None, note: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Set the priority, or derive it from urgency x impact; the clocks keep their pauses."""
    now = moment(now)
    desk = desk_row(db, ticket)
    if priority is None:
        if not (urgency and impact):
            raise InvalidInput("give a priority, or both urgency and impact")
        priority = sla.priority_for(terms_for(db, ticket, desk), urgency, impact)
        desk.urgency, desk.impact = urgency, impact
    _check_priority(priority)
    old = ticket.priority
    ticket.priority = priority
    ticket.updated_at = now
    append_event(db, ticket, actor=actor, action="priority", field="priority", old=old, new=priority, note=note,
                 data={"urgency": urgency, "impact": impact}, actor_user_id=actor_user_id, now=now)
    refresh_sla(db, ticket, now)
    return ticket


def change_contract(
    db: Session, ticket: Ticket, contract_id: int, *, actor: str, actor_user_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    now = moment(now)
    contract = db.get(Contract, contract_id)
    if contract is None or contract.customer_id != ticket.customer_id:
        raise InvalidInput("contract_id does not name a contract of this customer")
    desk = desk_row(db, ticket)
    old = desk.contract_id
    desk.contract_id = contract.id
    append_event(db, ticket, actor=actor, action="contract", field="contract_id", old=old, new=contract.id,
                 data={"sla_level": contract.sla_level}, actor_user_id=actor_user_id, now=now)
    refresh_sla(db, ticket, now)
    return ticket


def comment(
    db: Session, ticket: Ticket, text: str, *, actor: str, actor_user_id: int | None = None, public: bool = False,
    now: datetime | None = None, data: dict[str, Any] | None = None,
) -> TicketEvent:
    now = moment(now)
    text = text.strip()
    if not text:
        raise InvalidInput("a comment needs text")
    ticket.updated_at = now
    return append_event(db, ticket, actor=actor, action="comment", note=text,
                        data={"public": public, **(data or {})}, actor_user_id=actor_user_id, now=now)


def db_customer_name(db: Session, ticket: Ticket) -> str:
    customer = db.get(Customer, ticket.customer_id)
    return customer.name if customer else str(ticket.customer_id)


def link_parent(db: Session, ticket: Ticket, parent: Ticket, *, actor: str, now: datetime | None = None) -> Ticket:
    """Mark ``ticket`` as a symptom of ``parent`` (another ticket of the same customer); logged."""
    now = moment(now)
    if parent.customer_id != ticket.customer_id or parent.id == ticket.id:
        raise InvalidInput("a parent ticket must be another ticket of the same customer")
    old = ticket.parent_ticket_id
    ticket.parent_ticket_id = parent.id
    ticket.updated_at = now
    append_event(db, ticket, actor=actor, action="link_parent", field="parent_ticket_id", old=old, new=parent.id,
                 now=now)
    return ticket
