"""Maintenance windows: when alerts open no tickets, as pure functions of time.

A window is one-off (``start`` + ``duration``) or recurring (every day, some weekdays, or some
days of the month at ``start``'s wall-clock time), in its own time zone (the customer's), so
"Sundays 02:00-04:00 Asia/Shanghai" stays at 02:00 local whatever UTC says. Its scope names
any of customer, site, device, tag and rule; an alert is covered when every named field matches.
Occurrences also give the planned downtime that reports show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WindowScope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer: str | None = None
    site: str | None = None
    device: str | None = None
    tag: str | None = None
    rule: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> WindowScope:
        if not any((self.customer, self.site, self.device, self.tag, self.rule)):
            raise ValueError("a window's scope must name a customer, site, device, tag or rule")
        return self


class Recurrence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["day", "week", "month"]
    weekdays: list[Weekday] = []
    month_days: list[int] = []
    until: dt.date | None = None

    @model_validator(mode="after")
    def _days(self) -> Recurrence:
        if self.every == "week" and not self.weekdays:
            raise ValueError("every: week needs weekdays (e.g. [sun])")
        if self.every == "month" and not self.month_days:
            raise ValueError("every: month needs month_days (e.g. [1, 15])")
        if any(not 1 <= day <= 31 for day in self.month_days):
            raise ValueError("month_days are 1 to 31")
        return self

    def covers(self, day: dt.date) -> bool:
        if self.until is not None and day > self.until:
            return False
        if self.every == "week":
            return WEEKDAYS[day.weekday()] in self.weekdays
        if self.every == "month":
            return day.day in self.month_days
        return True


class MaintenanceWindow(BaseModel):
    """``start`` is wall-clock time in ``timezone`` (an offset in it is converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(min_length=1, max_length=100)
    description: str = ""
    timezone: str = "UTC"
    scope: WindowScope
    start: dt.datetime
    duration_seconds: Seconds = Field(alias="duration", gt=0)
    recurrence: Recurrence | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _recurring_fits(self) -> MaintenanceWindow:
        if self.recurrence is not None and self.recurrence.every == "day" and self.duration_seconds > 86400:
            raise ValueError("a daily window cannot last more than a day")
        return self

    def local_start(self) -> dt.datetime:
        zone = ZoneInfo(self.timezone)
        if self.start.tzinfo is None:
            return self.start.replace(tzinfo=zone)
        return self.start.astimezone(zone)


@dataclass(frozen=True, slots=True)
class WindowTarget:
    """What an alert offers to a window's scope."""

    customer: str
    site: str
    device: str
    rule: str
    tags: frozenset[str] = frozenset()


def covers(window: MaintenanceWindow, target: WindowTarget) -> bool:
    scope = window.scope
    return (
        (scope.customer is None or scope.customer == target.customer)
        and (scope.site is None or scope.site == target.site)
        and (scope.device is None or scope.device == target.device)
        and (scope.rule is None or scope.rule == target.rule)
        and (scope.tag is None or scope.tag in target.tags)
    )


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * NS_PER_SECOND + moment.microsecond * 1000


def occurrences(window: MaintenanceWindow, start_ns: int, end_ns: int) -> list[tuple[int, int]]:
    """The window's occurrences ``(begin_ns, end_ns)`` that overlap ``[start_ns, end_ns)``."""
    duration_ns = int(window.duration_seconds * NS_PER_SECOND)
    first = window.local_start()
    if window.recurrence is None:
        begin = _ns(first)
        return [(begin, begin + duration_ns)] if begin < end_ns and begin + duration_ns > start_ns else []
    zone = ZoneInfo(window.timezone)
    earliest = max(first.date(), _local_date(start_ns - duration_ns, zone) - dt.timedelta(days=1))
    latest = _local_date(end_ns, zone) + dt.timedelta(days=1)
    found = []
    day = earliest
    while day <= latest:
        if window.recurrence.covers(day):
            begin = _ns(dt.datetime.combine(day, first.timetz().replace(tzinfo=None), tzinfo=zone))
            if begin < end_ns and begin + duration_ns > start_ns and begin >= _ns(first):
                found.append((begin, begin + duration_ns))
        day += dt.timedelta(days=1)
    return found


def _local_date(at_ns: int, zone: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(at_ns / NS_PER_SECOND, tz=zone).date()


def is_active(window: MaintenanceWindow, at_ns: int) -> bool:
    return bool(occurrences(window, at_ns, at_ns + 1))


def active_windows(
    windows: Iterable[MaintenanceWindow], target: WindowTarget, at_ns: int
) -> list[MaintenanceWindow]:
    """Windows covering ``target`` at ``at_ns``, in id order (deterministic)."""
    return sorted((w for w in windows if covers(w, target) and is_active(w, at_ns)), key=lambda w: w.id)


def planned_downtime(
    windows: Sequence[MaintenanceWindow], target: WindowTarget, start_ns: int, end_ns: int
) -> list[tuple[int, int]]:
    """Merged intervals within ``[start_ns, end_ns)`` during which ``target`` was in maintenance."""
    spans = sorted(
        (max(begin, start_ns), min(end, end_ns))
        for window in windows
        if covers(window, target)
        for begin, end in occurrences(window, start_ns, end_ns)
    )
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged
