"""The service part of the report from the desk's tables: tickets by priority and source, the
SLA clocks (vigil.server.tickets.service.clocks, the desk's own arithmetic), breaches, the top
incidents with cause and fix, spare parts, and the month's satisfaction surveys.

A ticket counts in the period it was opened. Its response (resolution) target is *met* when the
clock stopped before the target and *breached* when it ran past the target, by the end of the
period or now; a clock still running inside its target is not counted yet. SLA attainment is
met / (met + breached) over both clocks of the period's tickets.
"""

from __future__ import annotations

from datetime import datetime
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Device, Ticket, TicketEvent
from vigil.server.reports.figures import SatisfactionFigures, ServiceFigures, TicketFigure
from vigil.server.reports.period import Period
from vigil.server.tickets import service, sla
from vigil.server.tickets.models import SparePart, Survey

PRIORITY_RANK = {p: i for i, p in enumerate(sla.PRIORITIES)}
TOP_INCIDENTS = 5


def _fix_and_cause(db: Session, ticket: Ticket) -> tuple[str, str]:
    events = list(
        db.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.action.in_(("resolve", "comment")))
            .order_by(TicketEvent.id)
        )
    )
    fix = next((e.note or "" for e in reversed(events) if e.action == "resolve"), "")
    cause = next((str(e.data.get("cause")) for e in events if e.data and e.data.get("cause")), "")
    return cause or ticket.description or "", fix


def service_figures(db: Session, customer_id: int, period: Period, now: datetime) -> ServiceFigures:
    figures = ServiceFigures()
    until = min(now, period.end)
    tickets = list(
        db.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.created_at >= period.start, Ticket.created_at < period.end)
            .order_by(Ticket.created_at, Ticket.id)
        )
    )
    query_names = select(Device.id, Device.name).where(Device.customer_id == customer_id)
    names: dict[int, str] = {row[0]: row[1] for row in db.execute(query_names)}
    contract = service.active_contract(db, customer_id)
    if contract is not None:
        terms = sla.sla_terms(contract.sla_level, contract.terms, period.timezone)
    else:
        terms = sla.sla_terms("gold", {}, period.timezone)
    figures.sla_level = terms.level
    figures.targets = {p: (t.response_minutes, t.resolution_minutes) for p, t in terms.targets.items()}
    figures.by_priority = {p: {"opened": 0, "closed": 0, "breached": 0} for p in sla.PRIORITIES}
    responses: list[float] = []
    resolutions: list[float] = []
    for ticket in tickets:
        response, resolution = service.clocks(db, ticket, until)
        cause, fix = _fix_and_cause(db, ticket)
        resolved_at = ticket.resolved_at or ticket.closed_at
        done = resolved_at is not None and resolved_at < until
        figure = TicketFigure(
            number=ticket.number,
            title=ticket.title,
            priority=ticket.priority,
            source=ticket.source.value,
            status=ticket.status.value,
            device=names.get(ticket.device_id or 0, ""),
            opened_at=ticket.created_at,
            resolved_at=resolved_at if done else None,
            response_seconds=response.elapsed_seconds if response.stopped else None,
            resolution_seconds=resolution.elapsed_seconds if resolution.stopped else None,
            response_breached=response.breached,
            resolution_breached=resolution.breached,
            cause=cause,
            fix=fix,
        )
        figures.tickets.append(figure)
        figures.opened += 1
        row = figures.by_priority.setdefault(ticket.priority, {"opened": 0, "closed": 0, "breached": 0})
        row["opened"] += 1
        figures.by_source[figure.source] = figures.by_source.get(figure.source, 0) + 1
        if done:
            figures.closed += 1
            row["closed"] += 1
        elif ticket.priority in ("P1", "P2"):
            figures.open_p1_p2 += 1
        for clock, seconds, met_attr, breach_attr in (
            (response, responses, "response_met", "response_breached"),
            (resolution, resolutions, "resolution_met", "resolution_breached"),
        ):
            if clock.breached:
                setattr(figures, breach_attr, getattr(figures, breach_attr) + 1)
            elif clock.stopped:
                setattr(figures, met_attr, getattr(figures, met_attr) + 1)
            if clock.stopped:
                seconds.append(clock.elapsed_seconds)
        if figure.response_breached or figure.resolution_breached:
            figures.breaches.append(figure)
            row["breached"] += 1
    figures.response_mean_seconds = fmean(responses) if responses else None
    figures.resolution_mean_seconds = fmean(resolutions) if resolutions else None
    figures.top = sorted(
        figures.tickets,
        key=lambda t: (PRIORITY_RANK.get(t.priority, 9), -(t.resolution_seconds or 0.0)),
    )[:TOP_INCIDENTS]
    ticket_numbers = {t.id: t.number for t in tickets}
    parts = db.scalars(
        select(SparePart)
        .where(
            SparePart.customer_id == customer_id,
            SparePart.requested_at >= period.start,
            SparePart.requested_at < period.end,
        )
        .order_by(SparePart.requested_at)
    )
    for part in parts:
        number = ticket_numbers.get(part.ticket_id) or db.scalar(
            select(Ticket.number).where(Ticket.id == part.ticket_id)
        )
        figures.parts.append(
            {
                "ticket": number or "",
                "part": part.part,
                "quantity": part.quantity,
                "origin": part.origin,
                "requested_at": part.requested_at,
                "delivered_at": part.delivered_at,
                "late": part.late_flagged_at is not None,
            }
        )
    return figures


def satisfaction_figures(db: Session, customer_id: int, period: Period) -> SatisfactionFigures:
    """Surveys sent in the period and the answers given."""
    surveys = list(
        db.scalars(
            select(Survey).where(
                Survey.customer_id == customer_id, Survey.created_at >= period.start, Survey.created_at < period.end
            )
        )
    )
    answered = [s for s in surveys if s.answered_at is not None]

    def mean(values: list[int | None]) -> float | None:
        numbers = [v for v in values if v is not None]
        return fmean(numbers) if numbers else None

    return SatisfactionFigures(
        answered=len(answered),
        sent=len(surveys),
        overall_mean=mean([s.score_overall for s in answered]),
        speed_mean=mean([s.score_speed for s in answered]),
        quality_mean=mean([s.score_quality for s in answered]),
        comments=[s.comment for s in answered if s.comment][:10],
    )
