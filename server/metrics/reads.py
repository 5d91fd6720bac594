"""How the embedded store answers a query from its tables: one SQL statement over the pieces
:func:`vigil.server.metrics.rollups.plan` chose (raw rows, 5-minute, 1-hour and 1-day rollups).

count, sum, mean, min, max and last are aggregated by SQLite itself, grouped by the query's
groups (a JSON list of ``[series id, group index]`` joined to the rows, so each series' rows are
read through the primary key) and by answer bucket; Python only sees one row per group and
bucket. p95 needs the rollups' sketches, so its rows come back one per stored bucket (a month of
one series is 31 daily rows and up to 48 hourly ones at the edges) and the sketches are merged
with numpy (:mod:`vigil.server.metrics.aggregation`).

The JSON is read with ``json_each``/``json_extract`` (SQLite 3.9 and later), not the ``->>``
operator (3.38). ``last`` relies on SQLite's documented rule for a bare column beside a single ``max()``: it is
taken from the row that holds the maximum.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from vigil.server.metrics.aggregation import exact_p95, sketch_p95

Pieces = list[tuple[int, int, int]]
Values = dict[tuple[int, int], float | None]

_OUTER: dict[str, str] = {
    "mean": "total(s) / sum(n)",
    "sum": "total(s)",
    "count": "sum(n)",
    "min": "min(lo)",
    "max": "max(hi)",
    "last": "v, max(t)",
}


def _bucket(column: str, step: int | None) -> str:
    # The answer bucket a row falls in: floor to the interval (a floor also for times before
    # 1970, where SQLite's % truncates), or the range's start for a whole-range query.
    if step is None:
        return ":start"
    return f"({column} - (({column} % :step) + :step) % :step)"


# One SELECT per piece; every value is a bound parameter, the text is made of these constants.
_RAW_PIECE = (
    "SELECT json_extract(m.value, '$[1]') AS gid, {bucket} AS b, {columns} FROM json_each(:members) AS m"
    " CROSS JOIN raw AS r ON r.field_id = :field AND r.series_id = json_extract(m.value, '$[0]')"
    " AND r.time_ns >= :lo{i} AND r.time_ns < :hi{i}"
)
_ROLLUP_PIECE = (
    "SELECT json_extract(m.value, '$[1]') AS gid, {bucket} AS b, {columns} FROM json_each(:members) AS m"
    " CROSS JOIN rollup AS r ON r.resolution_s = :w{i} AND r.field_id = :field"
    " AND r.series_id = json_extract(m.value, '$[0]') AND r.bucket_ns >= :lo{i} AND r.bucket_ns < :hi{i}"
)


def _piece_selects(pieces: Pieces, step: int | None, columns: dict[int, str], params: dict[str, Any]) -> str:
    # CROSS JOIN keeps the members list as the outer loop, so each series' rows are one
    # primary-key range (left to itself, SQLite's planner scanned the field's whole range).
    selects = []
    for i, (width, lo, hi) in enumerate(pieces):
        params[f"lo{i}"], params[f"hi{i}"], params[f"w{i}"] = lo, hi, width
        if width == 0:
            selects.append(_RAW_PIECE.format(bucket=_bucket("r.time_ns", step), columns=columns[0], i=i))
        else:
            selects.append(_ROLLUP_PIECE.format(bucket=_bucket("r.bucket_ns", step), columns=columns[1], i=i))
    return " UNION ALL ".join(selects)


def aggregate_by_bucket(
    conn: sqlite3.Connection,
    field_id: int,
    members: str,
    pieces: Pieces,
    step: int | None,
    start_ns: int,
    aggregate: str,
) -> Values:
    """(group index, bucket) -> value of a count/sum/mean/min/max/last query."""
    params: dict[str, Any] = {"members": members, "field": field_id, "step": step, "start": start_ns}
    columns = {
        0: "1 AS n, r.value AS s, r.value AS lo, r.value AS hi, r.time_ns AS t, r.value AS v",
        1: "r.count AS n, r.total AS s, r.minimum AS lo, r.maximum AS hi, r.last_ns AS t, r.last AS v",
    }
    pieces_sql = _piece_selects(pieces, step, columns, params)
    sql = f"SELECT gid, b, {_OUTER[aggregate]} FROM ({pieces_sql}) GROUP BY gid, b"  # noqa: S608 - constants
    return {(gid, b): None if value is None else float(value) for gid, b, value, *_ in conn.execute(sql, params)}


def p95_by_bucket(
    conn: sqlite3.Connection, field_id: int, members: str, pieces: Pieces, step: int | None, start_ns: int
) -> Values:
    """(group index, bucket) -> p95: exact from raw rows alone, else from the merged sketches."""
    params: dict[str, Any] = {"members": members, "field": field_id, "step": step, "start": start_ns}
    columns = {
        0: "1, r.value, r.value, NULL, r.value",
        1: "r.count, r.minimum, r.maximum, r.sketch, NULL",
    }
    # bucket -> [count, minimum, maximum, sketches, raw values]
    found: dict[tuple[int, int], list[Any]] = {}
    for gid, b, count, low, high, sketch, value in conn.execute(_piece_selects(pieces, step, columns, params), params):
        state = found.get((gid, b))
        if state is None:
            state = found[(gid, b)] = [0, low, high, [], []]
        state[0] += count
        state[1] = min(state[1], low)
        state[2] = max(state[2], high)
        if sketch is not None:
            state[3].append(sketch)
        else:
            state[4].append(float(value))
    return {
        key: sketch_p95(sketches, values, count, float(low), float(high)) if sketches else exact_p95(values)
        for key, (count, low, high, sketches, values) in found.items()
    }
