"""The embedded store's file format: a file written before the daily rollup level and the binary
sketches (format 0: hourly and 5-minute rollups, sketches as JSON text) is migrated when opened
(its days queued, then computed in batches) and answers as before all along; a file from a newer
vigil is refused and left as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from vigil.server.metrics import MetricStoreUnavailable, Series, SeriesQuery
from vigil.server.metrics.aggregation import P95_RELATIVE_ERROR, SIDE, Partial, sketch_pairs, value_at_rank
from vigil.server.metrics.embedded import SCHEMA_VERSION, EmbeddedStore

from tests.metrics import reference
from tests.metrics.test_rollups import DAY, NS, T0, month_of_points, write_in_batches
from tests.services.metric_stores import embedded_store
from tests.services.ports import wait_until

AGGREGATES = ("mean", "max", "min", "p95", "last", "count", "sum")


def _as_format_0(path: Path) -> None:
    """Rewrite a current file as vigil wrote it before format 1: no daily rollups, JSON sketches."""
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM rollup WHERE resolution_s = 86400")
        rows = conn.execute("SELECT resolution_s, field_id, series_id, bucket_ns, sketch FROM rollup").fetchall()
        for width, fid, sid, bucket, blob in rows:
            pairs = np.frombuffer(blob, dtype="<i4").reshape(-1, 2)
            old = {
                "p": [[int(k) - SIDE, int(c)] for k, c in pairs if k > 0],
                "n": [[-int(k) - SIDE, int(c)] for k, c in pairs if k < 0],
                "z": int(sum(int(c) for k, c in pairs if k == 0)),
            }
            conn.execute(
                "UPDATE rollup SET sketch = ? WHERE resolution_s = ? AND field_id = ? AND series_id = ?"
                " AND bucket_ns = ?",
                (json.dumps(old, separators=(",", ":")), width, fid, sid, bucket),
            )
        conn.execute("DROP TABLE backfill")  # format 0 had none
        conn.execute("PRAGMA user_version = 0")


def test_a_format_0_file_gets_its_daily_rollups_and_answers_as_before(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    points = month_of_points(("a", "b"), days=9, step_seconds=300)
    store = embedded_store(path)
    write_in_batches(store, points)
    store.compact()
    start, end = T0 + 437 * NS, T0 + (9 * DAY - 780) * NS
    queries = [
        SeriesQuery("sensors", "temperature_celsius", start, end, {}, ("host",), aggregate, interval)  # type: ignore[arg-type]
        for aggregate in AGGREGATES
        for interval in (None, DAY, 3600)
    ]
    before = [store.query(query) for query in queries]
    store.close()
    _as_format_0(path)

    reopened = embedded_store(path)
    try:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert conn.execute("SELECT count(*) FROM backfill WHERE resolution_s = 86400").fetchone()[0] == 2 * 10
        # Before the backfill, queries read the hourly rollups and answer as before.
        _same(queries, before, [reopened.query(query) for query in queries])
        batches = 1
        while not reopened.backfill(batch=3):
            batches += 1
        assert batches == 7  # 20 days, 3 at a time
        after = [reopened.query(query) for query in queries]
        with sqlite3.connect(path) as conn:
            days = conn.execute(
                "SELECT count(*), min(typeof(sketch)) FROM rollup WHERE resolution_s = 86400"
            ).fetchone()
            hours = conn.execute("SELECT DISTINCT typeof(sketch) FROM rollup WHERE resolution_s = 3600").fetchall()
        assert days == (2 * 10, "blob")  # 9 days from 16:00 UTC touch 10 UTC days, per host
        assert hours == [("text",)]  # old hourly sketches are read as they are
        _same(queries, before, after)
        # and still within the documented bound of the exact p95
        rows = [(p.time_ns, float(p.fields["temperature_celsius"])) for p in points if p.tags["host"] == "a"]
        inside = [(t, v) for t, v in rows if start <= t < end]
        exact = reference.aggregate("p95", inside)
        p95 = reopened.query(SeriesQuery("sensors", "temperature_celsius", start, end, {"host": "a"}, (), "p95"))
        assert p95[0].rows[0][1] == pytest.approx(exact, rel=P95_RELATIVE_ERROR)
    finally:
        reopened.close()


def _same(queries: list[SeriesQuery], before: list[list[Series]], after: list[list[Series]]) -> None:
    for query, old, new in zip(queries, before, after, strict=True):
        assert [s.tags for s in new] == [s.tags for s in old]
        for got, want in zip(new, old, strict=True):
            for (t, value), (t2, answer) in zip(got.rows, want.rows, strict=True):
                assert t == t2 and (value is None) == (answer is None)
                if answer is not None:
                    assert value == pytest.approx(answer, rel=1e-9, abs=1e-9), query


def test_the_background_thread_backfills_a_migrated_file(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store = embedded_store(path)
    write_in_batches(store, month_of_points(("a",), days=3, step_seconds=600))
    store.compact()
    store.close()
    _as_format_0(path)
    store = EmbeddedStore(path, raw_retention_days=3650, rollup_retention_days=3650, maintenance_interval_seconds=0.05)
    try:

        def days_done() -> bool:
            with sqlite3.connect(path) as conn:
                left = conn.execute("SELECT count(*) FROM backfill").fetchone()[0]
                days = conn.execute("SELECT count(*) FROM rollup WHERE resolution_s = 86400").fetchone()[0]
            return bool(left == 0 and days == 4)

        wait_until(days_done, 30, "backfill of the daily rollups")
        assert store.backfill()
    finally:
        store.close()


def test_a_file_from_a_newer_vigil_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store = embedded_store(path)
    write_in_batches(store, month_of_points(("a",), days=1, step_seconds=600))
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        count = conn.execute("SELECT count(*) FROM raw").fetchone()[0]
    with pytest.raises(MetricStoreUnavailable, match="newer vigil"):
        embedded_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT count(*) FROM raw").fetchone()[0] == count


def test_sketches_merge_exactly_and_read_both_encodings() -> None:
    values = [-250.0, -3.5, 0.0, 0.0, 0.001, 1.0, 2.5, 99.9, 1e9]
    binary = Partial()
    for i, value in enumerate(values):
        binary.add_raw(i, value, keep_values=True)
    blob = binary.sketch()
    pairs = sketch_pairs([blob])
    assert list(pairs[:, 0]) == sorted(pairs[:, 0]) and int(pairs[:, 1].sum()) == len(values)
    old = {
        "p": [[int(k) - SIDE, int(c)] for k, c in pairs if k > 0],
        "n": [[-int(k) - SIDE, int(c)] for k, c in pairs if k < 0],
        "z": 2,
    }
    merged = Partial()
    merged.add_rollup(len(values), sum(values), min(values), max(values), 8, 1e9, blob)
    merged.add_rollup(len(values), sum(values), min(values), max(values), 8, 1e9, json.dumps(old))
    assert merged.count == 18
    assert merged.result("p95") == pytest.approx(reference.p95(values * 2), rel=P95_RELATIVE_ERROR)
    for rank, exact in enumerate(sorted(values * 2), start=1):  # every rank, both signs and zero
        found = value_at_rank(sketch_pairs([blob], values), rank)
        assert found == pytest.approx(exact, rel=P95_RELATIVE_ERROR, abs=0.0), rank
    assert sketch_pairs([merged.sketch()])[:, 1].sum() == 18
