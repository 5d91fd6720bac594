"""Satisfaction surveys: on closure a link with a one-time, expiring token goes to the
customer's contacts (no login); L1 may record a phone call-back instead. Results per engineer,
customer, quarter and year. Only the token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Customer, Ticket, User
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.tickets import service
from vigil.server.tickets.models import Survey

Grouping = Literal["engineer", "customer", "quarter", "year"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def on_close(db: Session, ticket: Ticket, *, base_url: str, valid_days: int, now: datetime) -> str | None:
    """Create the ticket's survey and queue its link; None when there is nobody to ask."""
    if db.scalar(select(Survey.id).where(Survey.ticket_id == ticket.id)) is not None:
        return None
    if not service.customer_recipients(db, ticket):
        return None
    token = secrets.token_urlsafe(32)
    db.add(Survey(ticket_id=ticket.id, customer_id=ticket.customer_id, engineer_id=ticket.assignee_id,
                  token_hash=token_hash(token), expires_at=now + timedelta(days=valid_days), created_at=now))
    db.flush()
    link = f"{base_url.rstrip('/')}/survey/{token}"
    service.notify_customer(db, ticket, "survey", now=now, link=link, valid_days=valid_days)
    return token


def open_survey(db: Session, token: str, now: datetime) -> tuple[Survey, Ticket]:
    """The survey behind a link, if it can still be answered."""
    survey = db.scalar(select(Survey).where(Survey.token_hash == token_hash(token)))
    if survey is None:
        raise NotFound("unknown survey link")
    if survey.answered_at is not None:
        raise Conflict("this survey has already been answered")
    if now >= survey.expires_at:
        raise Conflict("this survey link has expired")
    ticket = db.get(Ticket, survey.ticket_id)
    if ticket is None:
        raise NotFound("unknown survey link")
    return survey, ticket


def _check(scores: tuple[int, int, int], comment: str | None) -> None:
    if any(not 1 <= s <= 5 for s in scores):
        raise InvalidInput("scores are 1 to 5")
    if comment is not None and len(comment) > 4000:
        raise InvalidInput("comment longer than 4000 characters")


def _fill(db: Session, survey: Survey, ticket: Ticket, scores: tuple[int, int, int], comment: str | None,
          channel: str, now: datetime, recorded_by: int | None) -> None:
    _check(scores, comment)
    survey.score_overall, survey.score_speed, survey.score_quality = scores
    survey.comment = (comment or "").strip() or None
    survey.answered_at = now
    survey.channel = channel
    survey.recorded_by = recorded_by
    service.append_event(db, ticket, actor=f"user:{recorded_by}" if recorded_by else "customer", action="survey",
                         note=survey.comment, actor_user_id=recorded_by,
                         data={"channel": channel, "overall": scores[0], "speed": scores[1], "quality": scores[2]},
                         now=now)


def answer(db: Session, token: str, scores: tuple[int, int, int], comment: str | None, now: datetime) -> Survey:
    survey, ticket = open_survey(db, token, now)
    _fill(db, survey, ticket, scores, comment, "web", now, None)
    return survey


def record_callback(db: Session, ticket: Ticket, *, recorded_by: int, scores: tuple[int, int, int],
                    comment: str | None, now: datetime) -> Survey:
    """L1's phone call-back: fills the open survey, or makes one for a closed ticket without."""
    if ticket.status.value != "closed":
        raise Conflict("a call-back survey is for a closed ticket")
    survey = db.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    if survey is None:
        survey = Survey(ticket_id=ticket.id, customer_id=ticket.customer_id, engineer_id=ticket.assignee_id,
                        token_hash=token_hash(secrets.token_urlsafe(32)), expires_at=now, created_at=now)
        db.add(survey)
    elif survey.answered_at is not None:
        raise Conflict("this survey has already been answered")
    _fill(db, survey, ticket, scores, comment, "phone", now, recorded_by)
    db.flush()
    return survey


@dataclass(frozen=True, slots=True)
class ResultRow:
    key: str
    answers: int
    overall_avg: float
    speed_avg: float
    quality_avg: float


def _group_key(db: Session, survey: Survey, by: Grouping, zone: ZoneInfo, cache: dict[tuple[str, int], str]) -> str:
    assert survey.answered_at is not None
    local = survey.answered_at.astimezone(zone)
    if by == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    if by == "year":
        return str(local.year)
    if by == "engineer":
        if survey.engineer_id is None:
            return "-"
        if ("u", survey.engineer_id) not in cache:
            user = db.get(User, survey.engineer_id)
            cache[("u", survey.engineer_id)] = user.name if user else str(survey.engineer_id)
        return cache[("u", survey.engineer_id)]
    if by == "customer":
        if ("c", survey.customer_id) not in cache:
            customer = db.get(Customer, survey.customer_id)
            cache[("c", survey.customer_id)] = customer.name if customer else str(survey.customer_id)
        return cache[("c", survey.customer_id)]
    raise InvalidInput("group by engineer, customer, quarter or year")


def _avg(values: list[int | None]) -> float:
    clean = [v for v in values if v is not None]
    return round(sum(clean) / len(clean), 2) if clean else 0.0


def results(
    db: Session, customer_ids: frozenset[int] | None, by: Grouping, zone: str = "Asia/Shanghai"
) -> list[ResultRow]:
    """Answered surveys of the given customers (None: all), grouped and averaged."""
    query = select(Survey).where(Survey.answered_at.is_not(None))
    if customer_ids is not None:
        query = query.where(Survey.customer_id.in_(sorted(customer_ids) or [-1]))
    groups: dict[str, list[Survey]] = defaultdict(list)
    cache: dict[tuple[str, int], str] = {}
    for survey in db.scalars(query):
        groups[_group_key(db, survey, by, ZoneInfo(zone), cache)].append(survey)
    return [
        ResultRow(key, len(rows), _avg([r.score_overall for r in rows]), _avg([r.score_speed for r in rows]),
                  _avg([r.score_quality for r in rows]))
        for key, rows in sorted(groups.items())
    ]
