"""Month-long ranges: the embedded store's rollups answer as raw rows do; retention.

The month test runs on both backends against answers computed from the points themselves
(reference.py): InfluxDB reads raw points, so it must match exactly; the embedded store reads
1-hour and 5-minute rollups (plus raw rows at ragged edges) and must match exactly except for
p95, which is within P95_RELATIVE_ERROR (1%).
"""

from __future__ import annotations

import math
import random
import sqlite3
import time
from pathlib import Path

import pytest
from vigil.agent.wire import Point
from vigil.server.metrics import LatestValue, MetricStore, Series, SeriesQuery
from vigil.server.metrics.aggregation import P95_RELATIVE_ERROR
from vigil.server.metrics.embedded import EmbeddedStore
from vigil.server.metrics.rollups import plan

from tests.metrics import reference
from tests.services.metric_stores import embedded_store
from tests.services.ports import wait_until

NS = 1_000_000_000
DAY = 86_400
T0 = 1_764_000_000 * NS  # a whole hour
AGGREGATES = ("mean", "max", "min", "p95", "last", "count", "sum")


def month_of_points(hosts: tuple[str, ...] = ("a", "b"), days: int = 30, step_seconds: int = 60) -> list[Point]:
    """A daily wave with noise, crossing zero (negative, zero and positive values)."""
    rng = random.Random(7)
    points = []
    for offset, host in enumerate(hosts):
        for k in range(days * DAY // step_seconds):
            t = k * step_seconds + offset * 7  # no two series share a time: "last" has one answer
            value = 0.0 if k % 97 == 0 else round(30 * math.sin(2 * math.pi * t / DAY) + rng.uniform(-15, 15), 2)
            points.append(
                Point("sensors", {"host": host, "sensor": "inlet"}, {"temperature_celsius": value}, T0 + t * NS)
            )
    return points


def write_in_batches(store: MetricStore, points: list[Point], size: int = 5000) -> None:
    for i in range(0, len(points), size):
        store.write(points[i : i + size])


def _check(store: MetricStore, query: SeriesQuery, rows_by_host: dict[str, list[tuple[int, float]]]) -> None:
    result = store.query(query)
    groups = sorted(rows_by_host) if query.group_by else [""]
    expected = []
    for group in groups:
        rows = rows_by_host[group] if group else [r for rs in rows_by_host.values() for r in rs]
        if query.interval_seconds:
            answers = reference.per_interval(
                query.aggregate, rows, query.start_ns, query.end_ns, query.interval_seconds
            )
        else:
            inside = [(t, v) for t, v in rows if query.start_ns <= t < query.end_ns]
            answers = [(query.start_ns, reference.aggregate(query.aggregate, inside))]
        expected.append(Series({"host": group} if group else {}, answers))
    exact = query.aggregate != "p95" or not isinstance(store, EmbeddedStore)
    tolerance = {"rel": 1e-9, "abs": 1e-9} if exact else {"rel": P95_RELATIVE_ERROR, "abs": 1e-9}
    assert [s.tags for s in result] == [s.tags for s in expected]
    for got, want in zip(result, expected, strict=True):
        assert [t for t, _v in got.rows] == [t for t, _v in want.rows]
        for (_t, value), (_t2, answer) in zip(got.rows, want.rows, strict=True):
            assert (value is None) == (answer is None)
            if answer is not None:
                assert value == pytest.approx(answer, **tolerance), (query, _t)


def test_month_long_queries_match_the_raw_answers(metric_store: MetricStore) -> None:
    points = month_of_points()
    write_in_batches(metric_store, points)
    rows_by_host: dict[str, list[tuple[int, float]]] = {}
    for p in points:
        rows_by_host.setdefault(p.tags["host"], []).append((p.time_ns, float(p.fields["temperature_celsius"])))
    start, end = T0 + 437 * NS, T0 + (30 * DAY - 780) * NS  # ragged edges on purpose
    queries = [
        (None, ()),
        (3600, ()),
        (DAY, ("host",)),
        (None, ("host",)),
    ]
    for aggregate in AGGREGATES:
        for interval, group_by in queries:
            query = SeriesQuery(
                "sensors", "temperature_celsius", start, end, {"sensor": "inlet"}, group_by, aggregate, interval
            )  # type: ignore[arg-type]
            _check(metric_store, query, rows_by_host)
    two_days = SeriesQuery("sensors", "temperature_celsius", start, start + 2 * DAY * NS, {"host": "a"}, (), "p95", 300)
    _check(metric_store, two_days, {"a": rows_by_host["a"]})

    # A late point in an hour already rolled up changes the answer.
    late = Point("sensors", {"host": "a", "sensor": "inlet"}, {"temperature_celsius": 1000.0}, T0 + (DAY + 30) * NS)
    metric_store.write([late])
    rows_by_host["a"].append((late.time_ns, 1000.0))
    for aggregate in ("max", "count", "p95"):
        _check(
            metric_store,
            SeriesQuery("sensors", "temperature_celsius", start, end, {}, ("host",), aggregate, DAY),
            rows_by_host,
        )  # type: ignore[arg-type]


def test_plan_reads_the_coarsest_rollups_that_fit() -> None:
    start, end = T0 + 437 * NS, T0 + (30 * DAY - 780) * NS
    pieces = plan(start, end, None)
    assert [w for w, _lo, _hi in pieces] == [0, 300, 3600, 86400, 3600, 300, 0]
    assert pieces[0][1] == start and pieces[-1][2] == end
    assert all(a[2] == b[1] for a, b in zip(pieces, pieces[1:], strict=False))
    assert sum(hi - lo for w, lo, hi in pieces if w == 86400) == 29 * DAY * NS  # T0 is 16:00 UTC
    assert [w for w, _lo, _hi in plan(start, end, 3 * 3600)] == [0, 300, 3600, 300, 0]  # 3 h: no day fits
    assert {w for w, _lo, _hi in plan(start, end, 60)} == {0}  # 60 s is no multiple of 5 minutes
    assert {w for w, _lo, _hi in plan(T0, T0 + DAY * NS, 900)} == {300}


def test_retention_drops_raw_then_rollups(tmp_path: Path) -> None:
    store = embedded_store(tmp_path / "m.sqlite3", raw_retention_days=2, rollup_retention_days=10)
    now = T0 + 30 * DAY * NS
    hour = 3600 * NS
    mid_start = now - 5 * DAY * NS
    try:
        store.write(
            [Point("cpu", {"host": "old"}, {"util_percent": 1.0}, now - 20 * DAY * NS + k * 60 * NS) for k in range(60)]
        )
        store.write(
            [Point("cpu", {"host": "mid"}, {"util_percent": float(k)}, mid_start + k * 60 * NS) for k in range(60)]
        )
        store.write([Point("cpu", {"host": "new"}, {"util_percent": 2.0}, now - hour)])
        store.maintain(now)
        assert store.tag_values("cpu", "host", {}) == ["mid", "new"]
        # Raw rows of "mid" are past their 2 days; its rollups still answer hourly queries.
        hourly = SeriesQuery("cpu", "util_percent", mid_start, mid_start + hour, {"host": "mid"}, (), "count", 3600)
        assert store.query(hourly) == [Series({}, [(mid_start, 60.0)])]
        assert store.query(
            SeriesQuery("cpu", "util_percent", mid_start, mid_start + hour, {"host": "mid"}, (), "max", 3600)
        ) == [Series({}, [(mid_start, 59.0)])]
        per_minute = SeriesQuery("cpu", "util_percent", mid_start, mid_start + hour, {"host": "mid"}, (), "count", 60)
        assert store.query(per_minute) == []
        assert store.latest("cpu", "util_percent", {"host": "mid"}) == []
        assert store.latest("cpu", "util_percent", {"host": "new"}) == [LatestValue({}, now - hour, 2.0)]
        old = SeriesQuery("cpu", "util_percent", now - 21 * DAY * NS, now - 19 * DAY * NS, {}, (), "count", 3600)
        assert store.query(old) == []
        # Past the rollup retention too, "mid" disappears.
        store.maintain(now + 6 * DAY * NS)
        assert store.tag_values("cpu", "host", {}) == ["new"]
        assert store.query(hourly) == []
    finally:
        store.close()


def test_rollups_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store = embedded_store(path)
    store.write(month_of_points(("a",), days=2, step_seconds=300))
    store.maintain(T0 + 3 * DAY * NS)
    store.close()
    reopened = embedded_store(path)
    try:
        query = SeriesQuery("sensors", "temperature_celsius", T0, T0 + 2 * DAY * NS, {}, ("host",), "count", 3600)
        assert reopened.query(query) == [Series({"host": "a"}, [(T0 + h * 3600 * NS, 12.0) for h in range(48)])]
        assert reopened.tag_values("sensors", "host", {}) == ["a"]
    finally:
        reopened.close()


def test_background_thread_compacts_rollups(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store = EmbeddedStore(path, raw_retention_days=40, rollup_retention_days=800, maintenance_interval_seconds=0.05)
    try:
        store.write([Point("cpu", {"host": "a"}, {"util_percent": 1.0}, time.time_ns() - 600 * NS)])

        def rolled_up() -> bool:
            with sqlite3.connect(path) as conn:
                dirty = conn.execute("SELECT count(*) FROM dirty").fetchone()[0]
                hourly = conn.execute("SELECT count(*) FROM rollup WHERE resolution_s = 3600").fetchone()[0]
            return bool(dirty == 0 and hourly == 1)

        wait_until(rolled_up, 30, "background compaction")
    finally:
        store.close()
