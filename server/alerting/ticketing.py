"""Alert events to ticket changes, through vigil.server.tickets.service only.

=================  ==========================================================================
event              ticket
=================  ==========================================================================
opened             a new ticket (priority from severity x device importance); a resolved
                   ticket of the alert's previous incident is closed first
reopened           the incident's ticket is reopened (or opened anew if it was closed)
repeated           one more occurrence on the open ticket (counter and log line)
severity_changed   the priority follows the new severity
flapping_*         a comment on the ticket
resolved           the ticket is resolved; tickets of alerts linked to it as symptoms too
symptom            nothing opens; an already open ticket is linked to the root cause's ticket
suppressed         nothing opens (a maintenance window); only the alert log has it
=================  ==========================================================================

Every event is also appended to ``alert_log``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.checks.engine import AlertEvent
from vigil.server.alerting.inventory import DeviceInfo
from vigil.server.alerting.models import AlertLogRow, AlertStateRow
from vigil.server.alerting.priority import priority_for
from vigil.server.db.models import Ticket, TicketSource, TicketStatus
from vigil.server.tickets import service

NS = 1_000_000_000


def utc_from_ns(time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns / NS, tz=UTC)


def event_time(event: AlertEvent) -> datetime:
    return utc_from_ns(event.at_ns)


def _title(event: AlertEvent, description: str) -> str:
    what = description or event.rule.replace("_", " ")
    where = event.device + (f" {event.instance}" if event.instance else "")
    kind = "planned maintenance: " if event.ticket_kind == "maintenance" else ""
    return f"{where}: {kind}{what}"[: service.MAX_TITLE]


def _ticket(db: Session, row: AlertStateRow) -> Ticket | None:
    return db.get(Ticket, row.ticket_id) if row.ticket_id is not None else None


def _open(db: Session, event: AlertEvent, row: AlertStateRow, device: DeviceInfo | None, description: str,
          actor: str, now: datetime) -> Ticket:
    ticket = service.open_ticket(
        db, customer_id=row.customer_id, title=_title(event, description), source=TicketSource.rule,
        priority=priority_for(event.severity, device.importance if device else 2, event.ticket_kind),
        severity=event.severity, device_id=device.device_id if device else None,
        site_id=device.site_id if device and device.device_id is None else None,
        rule_id=event.rule, fingerprint=event.fingerprint,
        description=f"{event.summary}\n\nrule {event.rule} ({event.rule_type}), fingerprint {event.fingerprint}",
        actor=actor, now=now,
    )
    row.ticket_id = ticket.id
    return ticket


def apply_event(
    db: Session, event: AlertEvent, row: AlertStateRow, device: DeviceInfo | None, description: str = ""
) -> None:
    now = event_time(event)
    actor = f"rule:{event.rule}"
    ticket = _ticket(db, row)
    is_open = ticket is not None and ticket.status in service.OPEN
    if event.kind == "opened":
        if ticket is not None and ticket.status is TicketStatus.resolved:
            service.close_ticket(db, ticket, actor=actor, now=now,
                                 note="a new incident of this alert opened after the reopen window")
        ticket = _open(db, event, row, device, description, actor, now)
    elif event.kind == "reopened":
        if ticket is not None and ticket.status is TicketStatus.resolved:
            service.reopen_ticket(db, ticket, actor=actor, now=now, note=event.summary)
        else:  # closed or gone: a new ticket; still open (a person reopened it): one more occurrence
            ticket = _open(db, event, row, device, description, actor, now)
    elif event.kind == "repeated" and ticket is not None and ticket.status is not TicketStatus.closed:
        ticket = _open(db, event, row, device, description, actor, now)  # counts an occurrence
    elif event.kind == "severity_changed" and ticket is not None and is_open:
        new = priority_for(event.severity, device.importance if device else 2, event.ticket_kind)
        if new != ticket.priority:
            service.change_priority(db, ticket, actor=actor, priority=new, now=now,
                                    note=f"severity now {event.severity}: {event.summary}")
    elif event.kind in ("flapping_started", "flapping_stopped") and ticket is not None and is_open:
        text = ("the alert is flapping (changing state often); further changes are held back"
                if event.kind == "flapping_started" else "the alert stopped flapping")
        service.comment(db, ticket, f"{text}: {event.summary}", actor=actor, now=now)
    elif event.kind == "resolved":
        if ticket is not None and is_open:
            service.resolve_ticket(db, ticket, actor=actor, now=now, note=f"cleared: {event.summary}")
        _resolve_symptoms(db, event, actor, now)
    elif event.kind == "symptom" and ticket is not None and is_open and event.root_fingerprint:
        root = db.get(AlertStateRow, event.root_fingerprint)
        parent = _ticket(db, root) if root is not None else None
        if parent is not None and parent.id != ticket.id:
            service.link_parent(db, ticket, parent, actor=actor, now=now)
    db.add(AlertLogRow(
        customer_id=row.customer_id, fingerprint=event.fingerprint, at=now, kind=event.kind, device=event.device,
        rule=event.rule, instance=event.instance, ticket_id=row.ticket_id,
        data={"severity": event.severity, "summary": event.summary, "value": event.value,
              "incident": event.incident, "repeat_count": event.repeat_count, "window": event.window_id,
              "root_fingerprint": event.root_fingerprint, "flapping": event.flapping},
    ))


def _resolve_symptoms(db: Session, event: AlertEvent, actor: str, now: datetime) -> None:
    """Symptom alerts close with their root cause: their own open tickets resolve too."""
    for child in db.scalars(select(AlertStateRow).where(AlertStateRow.root_fingerprint == event.fingerprint)):
        ticket = _ticket(db, child)
        if ticket is not None and ticket.status in service.OPEN:
            service.resolve_ticket(db, ticket, actor=actor, now=now,
                                   note=f"closed with its root cause {event.device}: {event.summary}")
