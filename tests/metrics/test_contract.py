"""The metric store contract: every test here runs on the embedded store and on a real InfluxDB.

The ``metric_store`` fixture (tests/services/metric_stores.py) gives a fresh store of each
backend (embedded; InfluxDB written through API v1; InfluxDB written through influxdb-client);
answers are checked against values worked out by hand or by tests/metrics/reference.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vigil.agent.wire import Point
from vigil.server.metrics import (
    LatestValue,
    MetricStore,
    MetricStoreError,
    MetricWriteRejected,
    Series,
    SeriesQuery,
)

from tests.metrics import reference
from tests.services.metric_stores import embedded_store

NS = 1_000_000_000
T0 = 1_764_000_000 * NS  # 2025-11-24 16:00:00 UTC, a whole hour
AGGREGATES = ("mean", "max", "min", "p95", "last", "count", "sum")


def ramp(host: str = "a", measurement: str = "cpu", field: str = "util_percent") -> list[Point]:
    """20 points, value 10*i at T0 + 10*i seconds (i = 1..20), all inside one 5-minute bucket."""
    return [
        Point(measurement, {"host": host, "cpu": "total"}, {field: 10.0 * i}, T0 + 10 * i * NS) for i in range(1, 21)
    ]


def q(**kwargs: object) -> SeriesQuery:
    values: dict[str, object] = {"measurement": "cpu", "field": "util_percent"}
    values.update(kwargs)
    return SeriesQuery(**values)  # type: ignore[arg-type]


def test_round_trip_keeps_values_and_types(metric_store: MetricStore) -> None:
    metric_store.write(
        [
            Point("agent", {"host": "a"}, {"spool_bytes": 10, "version": "1.2.3"}, T0),
            Point("agent", {"host": "a"}, {"spool_bytes": 12, "version": "1.2.4"}, T0 + NS),
            Point("net", {"host": "a", "interface": "eth0"}, {"up": True, "speed_bits_per_second": 1e9}, T0),
        ]
    )
    assert metric_store.latest("agent", "spool_bytes", {"host": "a"}) == [LatestValue({}, T0 + NS, 12)]
    assert metric_store.latest("agent", "version", {}) == [LatestValue({}, T0 + NS, "1.2.4")]
    up = metric_store.latest("net", "up", {"interface": "eth0"})
    assert up == [LatestValue({}, T0, True)] and isinstance(up[0].value, bool)
    speed = metric_store.latest("net", "speed_bits_per_second", {})
    assert speed == [LatestValue({}, T0, 1e9)] and isinstance(speed[0].value, float)
    assert isinstance(metric_store.latest("agent", "spool_bytes", {})[0].value, int)


def test_latest_per_series_and_per_group(metric_store: MetricStore) -> None:
    points = [
        Point("disk", {"host": h, "path": p}, {"used_percent": float(i * 10 + j)}, T0 + (i * 10 + j) * NS)
        for i, h in enumerate(("a", "b"))
        for j, p in enumerate(("/", "/var"))
    ]
    metric_store.write(points)
    per_series = metric_store.latest("disk", "used_percent", {}, ("host", "path"))
    assert per_series == [
        LatestValue({"host": "a", "path": "/"}, T0, 0.0),
        LatestValue({"host": "a", "path": "/var"}, T0 + NS, 1.0),
        LatestValue({"host": "b", "path": "/"}, T0 + 10 * NS, 10.0),
        LatestValue({"host": "b", "path": "/var"}, T0 + 11 * NS, 11.0),
    ]
    assert metric_store.latest("disk", "used_percent", {}, ("host",)) == [
        LatestValue({"host": "a"}, T0 + NS, 1.0),
        LatestValue({"host": "b"}, T0 + 11 * NS, 11.0),
    ]
    assert metric_store.latest("disk", "used_percent", {"path": "/"}) == [LatestValue({}, T0 + 10 * NS, 10.0)]


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_whole_range_aggregates(metric_store: MetricStore, aggregate: str) -> None:
    metric_store.write(ramp())
    expected = {"mean": 105.0, "max": 200.0, "min": 10.0, "p95": 190.0, "last": 200.0, "count": 20.0, "sum": 2100.0}
    # The range holds no whole 5-minute bucket, so the embedded store reads raw rows (exact).
    result = metric_store.query(q(start_ns=T0 + NS, end_ns=T0 + 299 * NS, aggregate=aggregate))
    assert result == [Series({}, [(T0 + NS, pytest.approx(expected[aggregate]))])]


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_aggregates_per_interval(metric_store: MetricStore, aggregate: str) -> None:
    points = ramp()
    metric_store.write(points)
    rows = [(p.time_ns, float(p.fields["util_percent"])) for p in points]
    start, end = T0 + 5 * NS, T0 + 290 * NS  # not aligned: the first bucket starts at T0
    result = metric_store.query(q(start_ns=start, end_ns=end, aggregate=aggregate, interval_seconds=60))
    expected = reference.per_interval(aggregate, rows, start, end, 60)
    assert [t for t, _v in expected] == [T0 + k * 60 * NS for k in range(5)]
    assert expected[-1][1] == (0.0 if aggregate == "count" else None)  # T0+240s.. holds no point
    assert result == [Series({}, [(t, v if v is None else pytest.approx(v)) for t, v in expected])]


def test_mean_per_interval_known_answer(metric_store: MetricStore) -> None:
    metric_store.write(ramp())
    result = metric_store.query(q(start_ns=T0, end_ns=T0 + 240 * NS, interval_seconds=60))
    assert result == [Series({}, [(T0, 30.0), (T0 + 60 * NS, 85.0), (T0 + 120 * NS, 145.0), (T0 + 180 * NS, 190.0)])]


def test_group_by_tags(metric_store: MetricStore) -> None:
    metric_store.write(ramp("a") + ramp("b") + [Point("cpu", {"host": "c"}, {"util_percent": 7.0}, T0 + NS)])
    result = metric_store.query(q(start_ns=T0, end_ns=T0 + 299 * NS, aggregate="max", group_by=("host",)))
    assert result == [
        Series({"host": "a"}, [(T0, 200.0)]),
        Series({"host": "b"}, [(T0, 200.0)]),
        Series({"host": "c"}, [(T0, 7.0)]),
    ]
    # A series without the grouping tag lands in the group of the empty value, as in InfluxQL.
    by_cpu = metric_store.query(q(start_ns=T0, end_ns=T0 + 299 * NS, aggregate="count", group_by=("cpu",)))
    assert by_cpu == [Series({"cpu": ""}, [(T0, 1.0)]), Series({"cpu": "total"}, [(T0, 40.0)])]
    # A filter on the empty value selects the series without the tag.
    no_cpu = metric_store.query(q(start_ns=T0, end_ns=T0 + 299 * NS, aggregate="count", tags={"cpu": ""}))
    assert no_cpu == [Series({}, [(T0, 1.0)])]


def test_group_without_data_in_range_is_left_out(metric_store: MetricStore) -> None:
    metric_store.write(ramp("a") + [Point("cpu", {"host": "late"}, {"util_percent": 1.0}, T0 + 3600 * NS)])
    result = metric_store.query(
        q(start_ns=T0, end_ns=T0 + 240 * NS, interval_seconds=60, aggregate="count", group_by=("host",))
    )
    assert [s.tags for s in result] == [{"host": "a"}]


HOSTILE = [
    "it's",
    'say "hi"',
    "back\\slash",
    "two\\\\backslashes",
    "x\\,y",
    "a,b=c d",
    "中文 üñí",
    "emoji 😀",
    "' OR 1=1 --",
    "a' OR host =~ /.*/ --",
    "x'; DROP DATABASE vigil; --",
    '"; DROP MEASUREMENT cpu; --',
    "\\'",
    '"',
    "=",
    "tab\there",
    "a",
    "a'",
    "a\\",  # ends with a backslash: not writable, refused below
]
WRITABLE = [v for v in HOSTILE if not v.endswith("\\")]


def test_hostile_tag_values_select_exactly_their_rows(metric_store: MetricStore) -> None:
    metric_store.write(
        [Point("cpu", {"host": h}, {"util_percent": float(i)}, T0 + i * NS) for i, h in enumerate(WRITABLE)]
    )
    assert metric_store.tag_values("cpu", "host", {}) == sorted(WRITABLE)
    for i, host in enumerate(WRITABLE):
        assert metric_store.latest("cpu", "util_percent", {"host": host}) == [LatestValue({}, T0 + i * NS, float(i))]
        result = metric_store.query(q(start_ns=T0, end_ns=T0 + 100 * NS, aggregate="sum", tags={"host": host}))
        assert result == [Series({}, [(T0, float(i))])], host
    grouped = metric_store.query(q(start_ns=T0, end_ns=T0 + 100 * NS, aggregate="sum", group_by=("host",)))
    assert {s.tags["host"]: s.rows[0][1] for s in grouped} == {h: float(i) for i, h in enumerate(WRITABLE)}
    assert metric_store.latest("cpu", "util_percent", {"host": "nobody' OR '1'='1"}) == []


def test_hostile_names_and_newlines(metric_store: MetricStore) -> None:
    odd = Point('we"ird m', {'ta"g k': "v\nw"}, {"fi'eld": 1.5}, T0)
    metric_store.write([odd])
    # Newlines become spaces, as line protocol cannot carry them (vigil.agent.wire.encode).
    assert metric_store.tag_values('we"ird m', 'ta"g k', {}) == ["v w"]
    assert metric_store.latest('we"ird m', "fi'eld", {'ta"g k': "v w"}) == [LatestValue({}, T0, 1.5)]
    assert metric_store.latest('we"ird m', "fi'eld", {'ta"g k': "v\nw"}) == []
    result = metric_store.query(SeriesQuery('we"ird m', "fi'eld", T0, T0 + NS, group_by=('ta"g k',), aggregate="max"))
    assert result == [Series({'ta"g k': "v w"}, [(T0, 1.5)])]


def test_tag_values_filtered(metric_store: MetricStore) -> None:
    metric_store.write(
        [
            Point("disk", {"host": "a", "path": "/"}, {"used_percent": 1.0}, T0),
            Point("disk", {"host": "a", "path": "/var"}, {"used_percent": 1.0}, T0),
            Point("disk", {"host": "b", "path": "/home"}, {"used_percent": 1.0}, T0),
        ]
    )
    assert metric_store.tag_values("disk", "path", {}) == ["/", "/home", "/var"]
    assert metric_store.tag_values("disk", "path", {"host": "a"}) == ["/", "/var"]
    assert metric_store.tag_values("disk", "host", {"path": "/home"}) == ["b"]
    assert metric_store.tag_values("disk", "nope", {}) == []


def test_empty_results(metric_store: MetricStore) -> None:
    assert metric_store.query(q(start_ns=T0, end_ns=T0 + 60 * NS)) == []
    assert metric_store.latest("cpu", "util_percent", {}) == []
    assert metric_store.tag_values("cpu", "host", {}) == []
    metric_store.write(ramp())
    assert metric_store.query(q(start_ns=T0 + 3600 * NS, end_ns=T0 + 7200 * NS, interval_seconds=60)) == []
    assert metric_store.query(q(start_ns=T0, end_ns=T0 + 300 * NS, tags={"host": "zz"})) == []
    assert metric_store.query(q(field="nope", start_ns=T0, end_ns=T0 + 300 * NS)) == []
    assert metric_store.query(q(measurement="nope", start_ns=T0, end_ns=T0 + 300 * NS)) == []
    assert metric_store.latest("cpu", "util_percent", {"host": "zz"}) == []
    assert metric_store.latest("cpu", "nope", {}) == []
    assert metric_store.tag_values("nope", "host", {}) == []
    metric_store.write([])


def test_replayed_points_are_stored_once(metric_store: MetricStore) -> None:
    metric_store.write(ramp())
    metric_store.write(ramp())
    result = metric_store.query(q(start_ns=T0, end_ns=T0 + 299 * NS, aggregate="count"))
    assert result == [Series({}, [(T0, 20.0)])]


def test_aggregating_a_string_field_is_an_error(metric_store: MetricStore) -> None:
    metric_store.write([Point("agent", {"host": "a"}, {"version": "1.0"}, T0)])
    with pytest.raises(MetricStoreError, match="string"):
        metric_store.query(SeriesQuery("agent", "version", T0, T0 + NS))


def _snapshot(store: MetricStore) -> tuple[object, ...]:
    return (
        store.query(q(start_ns=T0, end_ns=T0 + 299 * NS, aggregate="sum", group_by=("host",))),
        store.latest("cpu", "util_percent", {}, ("host",)),
        store.tag_values("cpu", "host", {}),
    )


def test_type_conflict_is_refused_and_loses_nothing(metric_store: MetricStore) -> None:
    metric_store.write(ramp("a"))
    before = _snapshot(metric_store)
    with pytest.raises(MetricWriteRejected, match="conflict"):
        metric_store.write([Point("cpu", {"host": "a"}, {"util_percent": 5}, T0 + 1000 * NS)])
    assert _snapshot(metric_store) == before
    metric_store.write(ramp("b"))  # the store still takes good points
    assert metric_store.tag_values("cpu", "host", {}) == ["a", "b"]


def test_unwritable_name_is_refused_before_anything_is_written(metric_store: MetricStore) -> None:
    metric_store.write(ramp("a"))
    before = _snapshot(metric_store)
    batch = [
        Point("cpu", {"host": "new"}, {"util_percent": 1.0}, T0),
        Point("cpu", {"host": "b\\"}, {"util_percent": 1.0}, T0),
    ]
    with pytest.raises(MetricWriteRejected, match="backslash"):
        metric_store.write(batch)
    with pytest.raises(MetricWriteRejected, match="time"):
        metric_store.write([Point("cpu", {"time": "x"}, {"util_percent": 1.0}, T0)])
    assert _snapshot(metric_store) == before


def test_embedded_batch_with_a_conflict_is_all_or_nothing(tmp_path: Path) -> None:
    """Embedded only: InfluxDB keeps the other points of a partly refused batch (documented)."""
    store = embedded_store(tmp_path / "m.sqlite3")
    try:
        store.write(ramp("a"))
        with pytest.raises(MetricWriteRejected):
            store.write(
                [
                    Point("cpu", {"host": "new"}, {"util_percent": 1.0}, T0),
                    Point("cpu", {"host": "a"}, {"util_percent": 1}, T0),
                ]
            )
        assert store.tag_values("cpu", "host", {}) == ["a"]
        store.write([Point("cpu", {"host": "new"}, {"util_percent": 1.0}, T0)])
        assert store.tag_values("cpu", "host", {}) == ["a", "new"]
    finally:
        store.close()
