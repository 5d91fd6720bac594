"""Report periods: a month (``2026-10``), a quarter (``2026-Q4``) or a year (``2026``), bounded
by local midnight in the customer's time zone and turned into UTC instants and nanoseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigil.server.errors import InvalidInput

PeriodKind = Literal["month", "quarter", "year"]
_PATTERNS: dict[PeriodKind, re.Pattern[str]] = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    label: str
    first_day: date
    end_day: date  # exclusive
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return datetime(self.first_day.year, self.first_day.month, 1, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime(self.end_day.year, self.end_day.month, 1, tzinfo=self.zone).astimezone(UTC)

    @property
    def start_ns(self) -> int:
        return int(self.start.timestamp()) * NS

    @property
    def end_ns(self) -> int:
        return int(self.end.timestamp()) * NS

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def months(self) -> list[str]:
        """The months (``YYYY-MM``) the period covers."""
        found = []
        year, month = self.first_day.year, self.first_day.month
        while date(year, month, 1) < self.end_day:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


def _add_months(year: int, month: int, count: int) -> date:
    index = year * 12 + (month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def parse_period(kind: PeriodKind, label: str, timezone: str) -> Period:
    """A period from its label; InvalidInput for a malformed label or an unknown zone."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        raise InvalidInput("period kind must be month, quarter or year")
    found = pattern.match(label)
    if not found:
        examples = {"month": "2026-10", "quarter": "2026-Q4", "year": "2026"}
        raise InvalidInput(f"{kind} must look like {examples[kind]}, got {label[:40]!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}") from None
    year = int(found.group(1))
    if not 2000 <= year <= 2999:
        raise InvalidInput(f"year {year} is out of range")
    if kind == "month":
        month = int(found.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput(f"month must be 01..12, got {label!r}")
        first, length = date(year, month, 1), 1
    elif kind == "quarter":
        first, length = date(year, (int(found.group(2)) - 1) * 3 + 1, 1), 3
    else:
        first, length = date(year, 1, 1), 12
    return Period(kind, label, first, _add_months(first.year, first.month, length), timezone)


def previous_month(now: datetime, timezone: str) -> str:
    """The last whole month before ``now`` in the time zone."""
    local = now.astimezone(ZoneInfo(timezone))
    last = _add_months(local.year, local.month, -1)
    return f"{last.year:04d}-{last.month:02d}"


def previous_label(period: Period) -> str | None:
    """The label of the month before a monthly period (None for other kinds)."""
    if period.kind != "month":
        return None
    last = _add_months(period.first_day.year, period.first_day.month, -1)
    return f"{last.year:04d}-{last.month:02d}"
