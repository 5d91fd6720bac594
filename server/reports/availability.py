"""Availability from hourly aggregates, split into planned and unplanned downtime.

For each hour of the period a device is *up* for the share of its expected samples that arrived
(the hourly ``count`` of its liveness series against the typical count of its hours, the median
of its non-empty hours) times the share of them that said "up" (the hourly ``mean`` of a ``up``
flag, for devices pinged or polled). The rest of the hour is downtime; the part of it inside a
maintenance window (vigil.checks.windows.planned_downtime) is *planned*, the remainder
*unplanned*. A device is only counted from when it was added to the inventory.

    availability % = (monitored - planned - unplanned) / (monitored - planned) x 100

so planned work does not count against the provider. Hours are the resolution: an outage of ten
minutes shows as ten minutes, placed in its hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

NS = 1_000_000_000
HOUR_NS = 3600 * NS


@dataclass(frozen=True, slots=True)
class Availability:
    monitored_seconds: float
    planned_seconds: float
    unplanned_seconds: float

    @property
    def counted_seconds(self) -> float:
        return self.monitored_seconds - self.planned_seconds

    @property
    def percent(self) -> float | None:
        if self.counted_seconds <= 0:
            return None
        return 100.0 * (self.counted_seconds - self.unplanned_seconds) / self.counted_seconds

    def __add__(self, other: Availability) -> Availability:
        return Availability(
            self.monitored_seconds + other.monitored_seconds,
            self.planned_seconds + other.planned_seconds,
            self.unplanned_seconds + other.unplanned_seconds,
        )


NONE = Availability(0.0, 0.0, 0.0)


def _overlap(lo: int, hi: int, spans: list[tuple[int, int]]) -> int:
    return sum(max(0, min(hi, end) - max(lo, begin)) for begin, end in spans)


def availability(
    counts: list[tuple[int, float | None]],
    ups: list[tuple[int, float | None]] | None,
    planned: list[tuple[int, int]],
    lo_ns: int,
    hi_ns: int,
    step_ns: int = HOUR_NS,
) -> Availability | None:
    """The availability over [lo, hi) from hourly counts (and up-flag means); None without data."""
    nonzero = [c for t, c in counts if c and lo_ns <= t and t + step_ns <= hi_ns]
    if not nonzero:
        nonzero = [c for _t, c in counts if c]
    if not nonzero or hi_ns <= lo_ns:
        return None
    expected = median(nonzero)
    up_share = {t: v for t, v in (ups or []) if v is not None}
    monitored = planned_total = unplanned_total = 0.0
    for bucket, count in counts:
        a, b = max(bucket, lo_ns), min(bucket + step_ns, hi_ns)
        if a >= b:
            continue
        span = b - a
        coverage = min(1.0, (count or 0.0) / (expected * span / step_ns))
        up = coverage * (up_share.get(bucket, 1.0) if ups is not None else 1.0)
        down = span * (1.0 - up)
        in_window = _overlap(a, b, planned)
        planned_down = min(down, float(in_window))
        monitored += span / NS
        planned_total += planned_down / NS
        unplanned_total += (down - planned_down) / NS
    return Availability(monitored, planned_total, unplanned_total)


def reboots(lasts: list[tuple[int, float | None]]) -> int:
    """Reboots seen as an hour whose last uptime is below the last uptime of the hour before
    (one reboot per hour at most: two in the same hour count once)."""
    count = 0
    previous: float | None = None
    for _bucket, value in lasts:
        if value is None:
            continue
        if previous is not None and value < previous:
            count += 1
        previous = value
    return count
