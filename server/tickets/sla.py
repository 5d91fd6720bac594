"""SLA clocks: pure business-time arithmetic, no database and no wall clock.

A contract names its service hours: ``24x7`` (every second counts) or ``business`` (working
hours such as 09:00-18:00 on working days in the customer's time zone). Working days come from
the ``holidays`` package's calendar for the customer's country, which for China includes the
adjusted working days (make-up workdays on weekends, e.g. Saturday 2026-02-14) and the days off
around the Spring Festival.

A clock runs from the ticket's start, minus the paused intervals (waiting on customer or
vendor). Pauses are kept as absolute intervals, so when the priority or the contract changes the
elapsed time is recomputed from the same intervals and nothing paused is lost.

Targets come from the contract's SLA level (gold 7x24, silver and bronze business hours) and
may be overridden per contract in ``terms``; the priority comes from an urgency x impact matrix,
also overridable per contract.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from vigil.server.errors import InvalidInput

PRIORITIES = ("P1", "P2", "P3", "P4")
LEVELS = ("urgency", "impact")
GRADES = ("high", "medium", "low")
# The longest span the day-by-day walk will cover: a deadline further away is a config error.
MAX_WALK_DAYS = 3 * 366


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceHours(_Strict):
    """When the clock runs."""

    kind: Literal["24x7", "business"] = "24x7"
    timezone: str = "Asia/Shanghai"
    start: time = time(9, 0)
    end: time = time(18, 0)
    # ISO country code for the public holiday calendar (with its make-up workdays).
    country: str = "CN"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _window(self) -> ServiceHours:
        if self.kind == "business" and self.end <= self.start:
            raise ValueError("business hours must end after they start")
        if self.kind == "business":
            _calendar(self.country, 2026)  # fails now, not at the first ticket
        return self


class Target(_Strict):
    response_minutes: int = Field(gt=0)
    resolution_minutes: int = Field(gt=0)


class SlaTerms(_Strict):
    """The SLA part of a contract's ``terms``, with the level's defaults filled in."""

    level: str = "gold"
    service_hours: ServiceHours = ServiceHours()
    targets: dict[str, Target]
    # urgency -> impact -> priority
    priority_matrix: dict[str, dict[str, str]]
    reminder_shares: tuple[float, ...] = (0.5, 0.75, 0.9)

    @field_validator("targets")
    @classmethod
    def _all_priorities(cls, value: dict[str, Target]) -> dict[str, Target]:
        missing = [p for p in PRIORITIES if p not in value]
        if missing:
            raise ValueError(f"targets missing for {', '.join(missing)}")
        return value

    @field_validator("priority_matrix")
    @classmethod
    def _full_matrix(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for urgency in GRADES:
            row = value.get(urgency)
            if row is None:
                raise ValueError(f"priority matrix has no row for urgency {urgency!r}")
            for impact in GRADES:
                if row.get(impact) not in PRIORITIES:
                    raise ValueError(f"priority matrix [{urgency}][{impact}] must be one of P1..P4")
        return value

    @field_validator("reminder_shares")
    @classmethod
    def _shares(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < share < 1 for share in value):
            raise ValueError("reminder shares must lie strictly between 0 and 1")
        return tuple(sorted(set(value)))


DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}


def _targets(rows: dict[str, tuple[int, int]]) -> dict[str, dict[str, int]]:
    return {p: {"response_minutes": r, "resolution_minutes": s} for p, (r, s) in rows.items()}


LEVEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "gold": {
        "service_hours": {"kind": "24x7"},
        "targets": _targets({"P1": (15, 240), "P2": (30, 480), "P3": (120, 1440), "P4": (480, 4320)}),
    },
    "silver": {
        "service_hours": {"kind": "business"},
        "targets": _targets({"P1": (30, 480), "P2": (60, 960), "P3": (240, 2700), "P4": (480, 5400)}),
    },
    "bronze": {
        "service_hours": {"kind": "business"},
        "targets": _targets({"P1": (60, 960), "P2": (120, 1440), "P3": (480, 5400), "P4": (960, 10800)}),
    },
}


def sla_terms(sla_level: str, terms: dict[str, Any] | None, timezone: str = "Asia/Shanghai") -> SlaTerms:
    """The SLA terms of a contract: the level's defaults overridden by the contract's ``terms``.

    ``terms`` keys used: ``service_hours``, ``targets`` (per priority, partial allowed),
    ``priority_matrix`` and ``reminder_shares``. Raises InvalidInput naming the bad key.
    Results are memoised by content: every clock of every ticket asks for them.
    """
    try:
        key = json.dumps(terms or {}, sort_keys=True, default=str)
    except (TypeError, ValueError):
        raise InvalidInput("contract terms must be plain JSON") from None
    return _sla_terms_cached(sla_level, key, timezone)


@functools.lru_cache(maxsize=256)
def _sla_terms_cached(sla_level: str, terms_json: str, timezone: str) -> SlaTerms:
    terms: dict[str, Any] = json.loads(terms_json)
    base = LEVEL_DEFAULTS.get(sla_level)
    if base is None:
        raise InvalidInput(f"unknown SLA level {sla_level!r} (known: {', '.join(LEVEL_DEFAULTS)})")
    hours = {"timezone": timezone, **base["service_hours"], **terms.get("service_hours", {})}
    targets = {p: dict(v) for p, v in base["targets"].items()}
    for priority, override in (terms.get("targets") or {}).items():
        targets.setdefault(priority, {}).update(override)
    matrix = {u: dict(row) for u, row in DEFAULT_MATRIX.items()}
    for urgency, row in (terms.get("priority_matrix") or {}).items():
        matrix.setdefault(urgency, {}).update(row)
    raw: dict[str, Any] = {
        "level": sla_level,
        "service_hours": hours,
        "targets": targets,
        "priority_matrix": matrix,
    }
    if "reminder_shares" in terms:
        raw["reminder_shares"] = terms["reminder_shares"]
    try:
        return SlaTerms.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"contract terms: {key}: {first['msg']}") from exc


def priority_for(terms: SlaTerms, urgency: str, impact: str) -> str:
    """P1..P4 from urgency x impact with the contract's matrix."""
    if urgency not in GRADES or impact not in GRADES:
        raise InvalidInput(f"urgency and impact must be one of {', '.join(GRADES)}")
    return terms.priority_matrix[urgency][impact]


@functools.lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country, years=[year])
    except NotImplementedError as exc:
        raise ValueError(f"no holiday calendar for country {country!r}") from exc


def is_working_day(hours: ServiceHours, day: date) -> bool:
    """A working day in the customer's country: weekdays minus holidays plus make-up workdays."""
    return bool(_calendar(hours.country, day.year).is_working_day(day))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput("naive datetime: SLA arithmetic needs timezone-aware times")
    return value


@functools.lru_cache(maxsize=16384)
def _day_window(hours: ServiceHours, day: date) -> tuple[datetime, datetime] | None:
    """The service window (UTC) of one local day, or None on a day off."""
    if not is_working_day(hours, day):
        return None
    zone = ZoneInfo(hours.timezone)
    return (datetime.combine(day, hours.start, zone).astimezone(UTC),
            datetime.combine(day, hours.end, zone).astimezone(UTC))


def _windows(hours: ServiceHours, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
    """The service windows (UTC) that overlap [start, end), in order."""
    zone = ZoneInfo(hours.timezone)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    if (last - day).days > MAX_WALK_DAYS:
        raise InvalidInput("SLA span longer than three years")
    while day <= last:
        window = _day_window(hours, day)
        if window is not None:
            lo, hi = max(window[0], start), min(window[1], end)
            if lo < hi:
                yield lo, hi
        day += timedelta(days=1)


def service_seconds(hours: ServiceHours, start: datetime, end: datetime) -> float:
    """Seconds of service time in [start, end); zero when end <= start."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    if hours.kind == "24x7":
        return (end - start).total_seconds()
    return sum((hi - lo).total_seconds() for lo, hi in _windows(hours, start, end))


def add_service_seconds(hours: ServiceHours, start: datetime, seconds: float) -> datetime:
    """The instant when ``seconds`` of service time have run from ``start``."""
    start = _aware(start).astimezone(UTC)
    if seconds <= 0:
        return start
    if hours.kind == "24x7":
        return start + timedelta(seconds=seconds)
    left = seconds
    horizon = start + timedelta(days=MAX_WALK_DAYS)
    for lo, hi in _windows(hours, start, horizon):
        span = (hi - lo).total_seconds()
        if left <= span:
            return lo + timedelta(seconds=left)
        left -= span
    raise InvalidInput("SLA deadline lies more than three years ahead")


@dataclass(frozen=True, slots=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClockState:
    """Where one clock (response or resolution) stands at an instant."""

    target_seconds: float
    elapsed_seconds: float
    paused: bool
    stopped: bool
    # None while paused or stopped: the deadline moves with the pause.
    due_at: datetime | None

    @property
    def left_seconds(self) -> float:
        return self.target_seconds - self.elapsed_seconds

    @property
    def share(self) -> float:
        return self.elapsed_seconds / self.target_seconds

    @property
    def breached(self) -> bool:
        return self.elapsed_seconds >= self.target_seconds


def elapsed_seconds(
    hours: ServiceHours, started_at: datetime, now: datetime, pauses: Sequence[Pause]
) -> float:
    """Service time from ``started_at`` to ``now`` minus the paused service time."""
    total = service_seconds(hours, started_at, now)
    for pause in pauses:
        lo = max(pause.started_at, started_at)
        hi = min(pause.ended_at or now, now)
        total -= service_seconds(hours, lo, hi)
    return max(total, 0.0)


def clock(
    hours: ServiceHours,
    target_minutes: int,
    started_at: datetime,
    now: datetime,
    pauses: Sequence[Pause] = (),
    stopped_at: datetime | None = None,
) -> ClockState:
    """The state of a clock with ``target_minutes`` of service time, at ``now``.

    ``stopped_at`` (the response given, the ticket resolved) freezes the clock there.
    """
    until = min(now, stopped_at) if stopped_at is not None else now
    elapsed = elapsed_seconds(hours, started_at, until, pauses)
    target = target_minutes * 60.0
    paused = any(p.ended_at is None and p.started_at <= until for p in pauses)
    due: datetime | None = None
    if stopped_at is None and not paused:
        due = add_service_seconds(hours, now, target - elapsed) if elapsed < target else None
        if due is None:
            due = _breach_instant(hours, started_at, target, pauses, now)
    return ClockState(target, elapsed, paused, stopped_at is not None, due)


def _breach_instant(
    hours: ServiceHours, started_at: datetime, target: float, pauses: Sequence[Pause], now: datetime
) -> datetime:
    """When an already breached clock crossed its target (pauses closed before ``now``)."""
    closed = sorted((p for p in pauses if p.ended_at is not None), key=lambda p: p.started_at)
    cursor, left = started_at, target
    for pause in closed:
        if pause.started_at <= cursor:
            cursor = max(cursor, pause.ended_at or cursor)
            continue
        run = service_seconds(hours, cursor, pause.started_at)
        if run >= left:
            break
        left -= run
        cursor = pause.ended_at or cursor
    return add_service_seconds(hours, cursor, left)


def in_service(hours: ServiceHours, at: datetime) -> bool:
    """True when ``at`` lies inside the service hours."""
    return service_seconds(hours, at, at + timedelta(seconds=1)) > 0
