"""The query seam: how the engine reads metrics, whatever stores them.

The engine is handed a :class:`SeriesSource` (as Prometheus' rule manager is handed its
query function), so rules run unchanged over the embedded store, InfluxDB, or the in-memory
:class:`MemorySource` that scenario tests fill with series at fixed timestamps.

Everything crossing the seam is plain tuples:

- ``Tags``: the series' tags as a sorted tuple of ``(key, value)`` pairs;
- ``Sample``: ``(time_ns, value)``;
- ``latest`` answers ``[(tags, time_ns, value), ...]``: per series, the newest sample at or
  before ``at_ns`` and newer than ``at_ns - lookback_ns``;
- ``range`` answers ``[(tags, [samples oldest first]), ...]`` for ``start_ns <= t <= end_ns``.

``tags_filter`` is an exact match on every key it names; series may carry more tags.
An adapter raises :class:`~vigil.checks.errors.SourceError` when its backend fails.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Protocol

Value = float | int | bool | str
Tags = tuple[tuple[str, str], ...]
Sample = tuple[int, Value]
LatestRow = tuple[Tags, int, Value]
RangeRow = tuple[Tags, list[Sample]]


def tags_of(mapping: Mapping[str, str]) -> Tags:
    return tuple(sorted(mapping.items()))


class SeriesSource(Protocol):
    """What a metric backend offers the rule engine."""

    def latest(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], at_ns: int, lookback_ns: int
    ) -> list[LatestRow]: ...

    def range(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], start_ns: int, end_ns: int
    ) -> list[RangeRow]: ...


def _matches(tags: Tags, tags_filter: Mapping[str, str]) -> bool:
    if not tags_filter:
        return True
    as_dict = dict(tags)
    return all(as_dict.get(key) == value for key, value in tags_filter.items())


class MemorySource:
    """A :class:`SeriesSource` over series held in memory: for scenarios and pure tests.

    Not a metric store: no retention, no persistence; it exists so rule tests need no backend.
    """

    def __init__(self) -> None:
        # (measurement, field) -> tags -> (times, values), kept sorted by time.
        self._series: dict[tuple[str, str], dict[Tags, tuple[list[int], list[Value]]]] = {}

    def add(self, measurement: str, tags: Mapping[str, str], field: str, time_ns: int, value: Value) -> None:
        by_tags = self._series.setdefault((measurement, field), {})
        times, values = by_tags.setdefault(tags_of(tags), ([], []))
        index = bisect.bisect_right(times, time_ns)
        if index > 0 and times[index - 1] == time_ns:
            values[index - 1] = value  # same series and time: the last write wins, as in InfluxDB
            return
        times.insert(index, time_ns)
        values.insert(index, value)

    def latest(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], at_ns: int, lookback_ns: int
    ) -> list[LatestRow]:
        rows: list[LatestRow] = []
        for tags, (times, values) in self._series.get((measurement, field), {}).items():
            if not _matches(tags, tags_filter):
                continue
            index = bisect.bisect_right(times, at_ns) - 1
            if index >= 0 and times[index] > at_ns - lookback_ns:
                rows.append((tags, times[index], values[index]))
        return rows

    def range(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], start_ns: int, end_ns: int
    ) -> list[RangeRow]:
        rows: list[RangeRow] = []
        for tags, (times, values) in self._series.get((measurement, field), {}).items():
            if not _matches(tags, tags_filter):
                continue
            low = bisect.bisect_left(times, start_ns)
            high = bisect.bisect_right(times, end_ns)
            if high > low:
                rows.append((tags, list(zip(times[low:high], values[low:high], strict=True))))
        return rows
