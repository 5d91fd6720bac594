"""The metric stores as the rule engine's :class:`~vigil.checks.source.SeriesSource`.

Both backends answer through the :class:`~vigil.server.metrics.base.MetricStore` interface:

- ``latest`` asks the store for the newest value of every series (grouped by all of the
  measurement's tags) and keeps those within the lookback before ``at_ns``. The store answers
  "newest", not "newest before t", so a replay must write its data in time order, as ingest does.
- ``range`` asks for the last value per time bucket over every series; the bucket is the first
  width of a ladder of round durations (1 s, 2 s, 5 s ... 1 h ... 1 d) that keeps the window
  within ``max_points`` buckets, so a 5-minute window reads every sample and a 14-day forecast
  reads hourly points (served from rollups where they exist). A sample is dated by its bucket's
  start. Empty buckets are dropped.

Store failures become :class:`~vigil.checks.errors.SourceError`, so a failing backend skips
the round's rules instead of looking like missing data.
"""

from __future__ import annotations

from collections.abc import Mapping

from vigil.agent.schema import IDENTITY_TAGS, MEASUREMENTS
from vigil.checks.errors import SourceError
from vigil.checks.source import LatestRow, RangeRow, Tags, tags_of
from vigil.server.metrics.base import MetricStore, MetricStoreError, SeriesQuery

NS = 1_000_000_000
_BUCKET_LADDER_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _group_keys(measurement: str) -> tuple[str, ...]:
    schema = MEASUREMENTS.get(measurement)
    return tuple(sorted(IDENTITY_TAGS | (schema.tags if schema else frozenset())))


def _clean(tags: Mapping[str, str]) -> Tags:
    return tags_of({k: v for k, v in tags.items() if v != ""})


def bucket_seconds(span_ns: int, max_points: int) -> int:
    for width in _BUCKET_LADDER_SECONDS:
        if span_ns <= width * NS * max_points:
            return width
    return _BUCKET_LADDER_SECONDS[-1]


class MetricStoreSource:
    def __init__(self, store: MetricStore, max_points: int = 400) -> None:
        self.store = store
        self.max_points = max_points

    def latest(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], at_ns: int, lookback_ns: int
    ) -> list[LatestRow]:
        try:
            found = self.store.latest(measurement, field, dict(tags_filter), _group_keys(measurement))
        except MetricStoreError as exc:
            raise SourceError(f"{measurement}.{field}: {exc}") from None
        return [
            (_clean(row.tags), row.time_ns, row.value)
            for row in found
            if at_ns - lookback_ns < row.time_ns <= at_ns
        ]

    def range(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], start_ns: int, end_ns: int
    ) -> list[RangeRow]:
        width_s = bucket_seconds(end_ns - start_ns, self.max_points)
        query = SeriesQuery(
            measurement=measurement, field=field, start_ns=start_ns, end_ns=end_ns + 1, tags=dict(tags_filter),
            group_by=_group_keys(measurement), aggregate="last", interval_seconds=width_s,
        )
        try:
            found = self.store.query(query)
        except MetricStoreError as exc:
            raise SourceError(f"{measurement}.{field}: {exc}") from None
        rows: list[RangeRow] = []
        for series in found:
            samples = [(max(t, start_ns), v) for t, v in series.rows if v is not None]
            if samples:
                rows.append((_clean(series.tags), samples))  # type: ignore[arg-type]
        return rows
