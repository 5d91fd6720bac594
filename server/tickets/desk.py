"""The desk's access layer: who may see and do what with a ticket, for the API and the web desk.

Scoping: a ticket of a customer the caller cannot see is "not found". Roles:

| action | admin | dispatcher (L1) | engineer (L2) / expert (L3) | customer viewer |
|---|---|---|---|---|
| see, list | yes | yes | yes | own customer's only |
| open | any source | any source | any source | web, own customer |
| comment | yes | yes | yes | public reply only |
| status, resolve, escalate, priority, parts | yes | yes | yes | no |
| assign | anyone | anyone | themselves | no |
| close, reopen, phone call-back | yes | yes | no | no |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Role, Ticket, TicketStatus
from vigil.server.errors import Forbidden, NotFound
from vigil.server.schemas.tickets import TicketCreate
from vigil.server.services.principal import Principal, customer_filter
from vigil.server.tickets import service, sla
from vigil.server.tickets.models import TicketDesk

AT_RISK_SHARE = 0.75
WORKERS = (Role.admin, Role.dispatcher, Role.engineer, Role.expert)
DISPATCH = (Role.admin, Role.dispatcher)


def get_ticket(db: Session, principal: Principal, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or not principal.can_see(ticket.customer_id):
        raise NotFound("ticket not found")
    return ticket


def require_worker(principal: Principal) -> None:
    principal.require_role(*WORKERS)


def require_dispatch(principal: Principal) -> None:
    principal.require_role(*DISPATCH)


def may_assign(principal: Principal, assignee_id: int) -> None:
    if principal.role in DISPATCH:
        return
    if principal.role in (Role.engineer, Role.expert) and assignee_id == principal.user_id:
        return
    raise Forbidden("only the desk (L1) assigns tickets to others")


def create(db: Session, principal: Principal, data: TicketCreate, now: datetime | None = None) -> Ticket:
    principal.require_customer(data.customer_id, "customer")
    fields = data.model_dump()
    if principal.role is Role.customer_viewer:
        if data.source != "web":
            raise Forbidden("a customer opens tickets through the web")
        fields.update(priority=None, skill=None)
    else:
        require_worker(principal)
    return service.open_ticket(db, actor=principal.actor, actor_user_id=principal.user_id, now=now, **fields)


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket: Ticket
    desk: TicketDesk
    response: sla.ClockState
    resolution: sla.ClockState

    @property
    def left_seconds(self) -> float:
        running = [c.left_seconds for c in (self.response, self.resolution) if not c.stopped]
        return min(running) if running else float("inf")

    @property
    def breached(self) -> bool:
        return any(c.breached and not c.stopped for c in (self.response, self.resolution))

    @property
    def at_risk(self) -> bool:
        return not self.breached and any(
            c.share >= AT_RISK_SHARE and not c.stopped for c in (self.response, self.resolution)
        )


def row_for(db: Session, ticket: Ticket, now: datetime, desk: TicketDesk | None = None,
            paused: list[sla.Pause] | None = None) -> QueueRow:
    desk = desk or service.desk_row(db, ticket)
    response, resolution = service.clocks(db, ticket, now, desk=desk, paused=paused)
    return QueueRow(ticket, desk, response, resolution)


def queue(
    db: Session, principal: Principal, now: datetime, *, mine: bool = False, include_done: bool = False,
    tier: int | None = None, limit: int = 500,
) -> list[QueueRow]:
    """Open tickets the caller may see, least SLA time left first (paused ones last)."""
    query = select(Ticket).where(customer_filter(principal, Ticket.customer_id))
    if not include_done:
        query = query.where(Ticket.status.in_([s.value for s in service.OPEN]))
    if mine:
        query = query.where(Ticket.assignee_id == principal.user_id)
    tickets = list(db.scalars(query.order_by(Ticket.id.desc()).limit(limit)))
    loaded = service.preload(db, tickets)
    rows = [row_for(db, t, now, loaded.desks.get(t.id), loaded.paused.get(t.id)) for t in tickets]
    if tier is not None:
        rows = [r for r in rows if r.desk.tier == tier]
    done = {TicketStatus.resolved, TicketStatus.closed}
    return sorted(rows, key=lambda r: (r.ticket.status in done, r.left_seconds, r.ticket.id))
