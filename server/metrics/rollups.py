"""Rollups of the embedded store: 5-minute, 1-hour and 1-day buckets, and which resolution a query
reads.

A write marks the 5-minute buckets it touched as dirty (per series); :func:`compact` recomputes
each dirty 5-minute bucket from the raw rows (so replays and late points give the same answer
as a fresh computation), then each 1-hour bucket those fall in from its 5-minute rollups, then
each day from its hours. A rollup row keeps count, sum, min, max, the last (time, value) and a
p95 sketch (:mod:`vigil.server.metrics.aggregation`). Only numeric fields (float, integer) are
rolled up. A level added to an existing file is filled in by :func:`backfill` from the level
below, in batches; :func:`plan` leaves it out until then. Days are UTC days (as InfluxQL's
``GROUP BY time(1d)``); a month in another time zone reads its whole UTC days from the daily
level and the hours at both ends from the hourly level.

:func:`plan` splits a query range into the coarsest pieces that fit: the part aligned to whole
days reads 1-day rollups, what is left aligned to hours reads 1-hour rollups, then 5-minute
rollups, and the ragged edges read raw rows. A resolution is only used when the query interval
is a multiple of it, so no rollup bucket straddles two answer buckets.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from vigil.server.metrics.aggregation import Partial

NS = 1_000_000_000
DAY_SECONDS = 86_400
# (bucket width in seconds, the resolution it is computed from; 0 is raw), finest first.
LEVELS: tuple[tuple[int, int], ...] = ((300, 0), (3600, 300), (DAY_SECONDS, 3600))
WIDTHS_COARSEST_FIRST = tuple(sorted((width for width, _ in LEVELS), reverse=True))


def plan(
    start_ns: int, end_ns: int, interval_seconds: int | None, usable: tuple[int, ...] = WIDTHS_COARSEST_FIRST
) -> list[tuple[int, int, int]]:
    """Pieces ``(width_seconds, lo_ns, hi_ns)`` covering [start, end); width 0 means raw rows.
    ``usable`` leaves out a level that is not complete yet (the daily level while it is filled in
    for a migrated file)."""
    widths = [w for w in usable if interval_seconds is None or interval_seconds % w == 0]
    return _plan(start_ns, end_ns, widths)


def _plan(start_ns: int, end_ns: int, widths: list[int]) -> list[tuple[int, int, int]]:
    if start_ns >= end_ns:
        return []
    for i, width in enumerate(widths):
        step = width * NS
        lo = -(-start_ns // step) * step
        hi = end_ns // step * step
        if lo < hi:
            finer = widths[i + 1 :]
            return [*_plan(start_ns, lo, finer), (width, lo, hi), *_plan(hi, end_ns, finer)]
    return [(0, start_ns, end_ns)]


def _store(
    conn: sqlite3.Connection,
    width: int,
    series_id: int,
    bucket_ns: int,
    field_ids: list[int],
    partials: dict[int, Partial],
) -> None:
    conn.executemany(
        "DELETE FROM rollup WHERE resolution_s = ? AND field_id = ? AND series_id = ? AND bucket_ns = ?",
        [(width, fid, series_id, bucket_ns) for fid in field_ids],
    )
    conn.executemany(
        "INSERT INTO rollup (resolution_s, field_id, series_id, bucket_ns, count, total, minimum,"
        " maximum, last_ns, last, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (width, fid, series_id, bucket_ns, p.count, p.total, p.minimum, p.maximum, p.last_ns, p.last, p.sketch())
            for fid, p in partials.items()
            if p.count
        ],
    )


def _from_raw(conn: sqlite3.Connection, series_id: int, field_ids: list[int], lo: int, hi: int) -> dict[int, Partial]:
    partials: dict[int, Partial] = defaultdict(Partial)
    for fid in field_ids:
        rows = conn.execute(
            "SELECT time_ns, value FROM raw WHERE field_id = ? AND series_id = ? AND time_ns >= ? AND time_ns < ?",
            (fid, series_id, lo, hi),
        )
        for time_ns, value in rows:
            partials[fid].add_raw(time_ns, float(value), keep_values=True)
    return partials


def _from_rollup(
    conn: sqlite3.Connection, source: int, series_id: int, field_ids: list[int], lo: int, hi: int
) -> dict[int, Partial]:
    partials: dict[int, Partial] = defaultdict(Partial)
    for fid in field_ids:
        rows = conn.execute(
            "SELECT count, total, minimum, maximum, last_ns, last, sketch FROM rollup"
            " WHERE resolution_s = ? AND field_id = ? AND series_id = ? AND bucket_ns >= ?"
            " AND bucket_ns < ?",
            (source, fid, series_id, lo, hi),
        )
        for count, total, minimum, maximum, last_ns, last, sketch in rows:
            partials[fid].add_rollup(count, total, minimum, maximum, last_ns, last, sketch)
    return partials


def queue_days_of_hours(conn: sqlite3.Connection) -> int:
    """Queue in ``backfill`` every day that has hourly rollups, for :func:`backfill` to compute
    its daily rollup (the migration of a file written before that level existed)."""
    day = DAY_SECONDS * NS
    cursor = conn.execute(
        "INSERT OR IGNORE INTO backfill (resolution_s, series_id, bucket_ns)"
        " SELECT DISTINCT ?, series_id, bucket_ns - ((bucket_ns % ?) + ?) % ? FROM rollup WHERE resolution_s = 3600",
        (DAY_SECONDS, day, day, day),
    )
    return cursor.rowcount


def backfill(conn: sqlite3.Connection, numeric_fields_of_series: dict[int, list[int]], limit: int) -> bool:
    """Compute up to ``limit`` queued buckets from the level below; True when none is left.

    Runs inside the caller's write transaction; small batches let writes go on between them.
    """
    queued = conn.execute(
        "SELECT resolution_s, series_id, bucket_ns FROM backfill LIMIT ?", (limit,)
    ).fetchall()
    sources = dict(LEVELS)
    for width, series_id, bucket_ns in queued:
        field_ids = numeric_fields_of_series.get(series_id, [])
        partials = _from_rollup(conn, sources[width], series_id, field_ids, bucket_ns, bucket_ns + width * NS)
        _store(conn, width, series_id, bucket_ns, field_ids, partials)
    conn.executemany(
        "DELETE FROM backfill WHERE resolution_s = ? AND series_id = ? AND bucket_ns = ?", queued
    )
    return conn.execute("SELECT 1 FROM backfill LIMIT 1").fetchone() is None


def compact(conn: sqlite3.Connection, numeric_fields_of_series: dict[int, list[int]]) -> int:
    """Recompute every dirty bucket, finest level first; returns the buckets recomputed.

    Runs inside the caller's write transaction. ``numeric_fields_of_series`` maps a series id
    to the ids of the numeric fields of its measurement.
    """
    done = 0
    for width, source in LEVELS:
        dirty = conn.execute("SELECT series_id, bucket_ns FROM dirty WHERE resolution_s = ?", (width,)).fetchall()
        parents: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for series_id, bucket_ns in dirty:
            field_ids = numeric_fields_of_series.get(series_id, [])
            hi = bucket_ns + width * NS
            if source == 0:
                partials = _from_raw(conn, series_id, field_ids, bucket_ns, hi)
            else:
                partials = _from_rollup(conn, source, series_id, field_ids, bucket_ns, hi)
            _store(conn, width, series_id, bucket_ns, field_ids, partials)
            for parent_width, parent_source in LEVELS:
                if parent_source == width:
                    step = parent_width * NS
                    parents[parent_width].add((series_id, bucket_ns // step * step))
            done += 1
        conn.execute("DELETE FROM dirty WHERE resolution_s = ?", (width,))
        for parent_width, buckets in parents.items():
            conn.executemany(
                "INSERT OR IGNORE INTO dirty (resolution_s, series_id, bucket_ns) VALUES (?, ?, ?)",
                [(parent_width, sid, bucket) for sid, bucket in buckets],
            )
    return done
