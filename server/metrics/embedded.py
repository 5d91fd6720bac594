"""The embedded metric store: one SQLite file, no external server (the default backend).

Tables: ``series`` (id, measurement, tags as sorted JSON, newest time written), ``field``
(id, measurement, name, kind), ``raw`` (one row per field value, keyed by field, series and
time, so a replayed point overwrites itself as in InfluxDB), ``rollup`` (5-minute, 1-hour and
1-day buckets, see :mod:`vigil.server.metrics.rollups`) and ``dirty`` (buckets to recompute).
The file's format version is SQLite's ``user_version``; opening an older file migrates it
(:func:`_migrate`), a newer one is refused. Queries are answered by
:mod:`vigil.server.metrics.reads`.

As in InfluxDB a field keeps the type it was first written with (float, integer, boolean,
string); a point of another type is refused with :class:`MetricWriteRejected` and, unlike
InfluxDB, nothing of that batch is written (a batch is one transaction). ``query`` aggregates
numeric fields only.

Threads: one writer connection behind a lock; each reading thread gets its own connection, and
WAL mode lets reads run beside a write. The series and field tables are mirrored in memory;
those maps are replaced, never changed in place, so readers iterate them without a lock. One
process owns the file.

Maintenance runs in a background thread: compaction of dirty rollups every
``maintenance_interval_seconds``, retention of raw rows and rollups (from the settings)
hourly, and after a migration the backfill of a new rollup level in small batches;
:meth:`EmbeddedStore.maintain` and :meth:`EmbeddedStore.backfill` do them on demand. A query
that reads rollups first compacts what is dirty, so answers never lag behind writes.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vigil.agent.wire import FieldValue, Point
from vigil.server.config import MetricsSettings
from vigil.server.metrics import reads, rollups
from vigil.server.metrics.base import (
    LatestValue,
    MetricStoreError,
    MetricStoreUnavailable,
    MetricWriteRejected,
    Series,
    SeriesQuery,
)
from vigil.server.metrics.points import clean, point_problem

NS = rollups.NS
DAY_NS = 86_400 * NS
NUMERIC_KINDS = frozenset({"float", "integer"})

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL,"
    " tags TEXT NOT NULL, last_ns INTEGER NOT NULL, UNIQUE (measurement, tags))",
    "CREATE TABLE IF NOT EXISTS field (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL,"
    " name TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE (measurement, name))",
    # value has no declared type: SQLite keeps integers, reals and text as they come.
    "CREATE TABLE IF NOT EXISTS raw (field_id INTEGER NOT NULL, series_id INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, value, PRIMARY KEY (field_id, series_id, time_ns)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rollup (resolution_s INTEGER NOT NULL, field_id INTEGER NOT NULL,"
    " series_id INTEGER NOT NULL, bucket_ns INTEGER NOT NULL, count INTEGER NOT NULL,"
    " total REAL NOT NULL, minimum REAL NOT NULL, maximum REAL NOT NULL, last_ns INTEGER NOT NULL,"
    " last REAL NOT NULL, sketch TEXT NOT NULL,"
    " PRIMARY KEY (resolution_s, field_id, series_id, bucket_ns)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS dirty (resolution_s INTEGER NOT NULL, series_id INTEGER NOT NULL,"
    " bucket_ns INTEGER NOT NULL, PRIMARY KEY (resolution_s, series_id, bucket_ns)) WITHOUT ROWID",
    # Buckets of a level added by a migration, still to compute from the level below.
    "CREATE TABLE IF NOT EXISTS backfill (resolution_s INTEGER NOT NULL, series_id INTEGER NOT NULL,"
    " bucket_ns INTEGER NOT NULL, PRIMARY KEY (resolution_s, series_id, bucket_ns)) WITHOUT ROWID",
)

# The file's format, in PRAGMA user_version; _migrate brings older files up to it.
SCHEMA_VERSION = 1

_KIND_OF: dict[type, str] = {float: "float", int: "integer", bool: "boolean", str: "string"}
_FROM_STORED: dict[str, type] = {"float": float, "integer": int, "boolean": bool, "string": str}
_DIRTY_WIDTH_NS = rollups.LEVELS[0][0] * NS
_RETENTION_EVERY_SECONDS = 3600.0
# A migration's backfill: buckets per write transaction, and the pause between two.
_BACKFILL_BATCH = 200
_BACKFILL_PAUSE_SECONDS = 0.05
# Bound on the maps from raw (not yet normalised) names to series and fields.
_MAX_RAW_KEYS = 200_000


@dataclass(frozen=True, slots=True)
class _Field:
    id: int
    kind: str


@dataclass
class _Batch:
    """What one write adds to the in-memory maps; published only after it commits."""

    series_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    tags: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    fields: dict[tuple[str, str], _Field] = field(default_factory=dict)
    raw_series: dict[tuple[str, tuple[tuple[str, str], ...]], int] = field(default_factory=dict)
    raw_fields: dict[tuple[str, str], _Field] = field(default_factory=dict)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring a file written by an older vigil to ``SCHEMA_VERSION`` (kept in ``user_version``).

    1: the daily rollup level. The days of the hourly rollups already stored are queued in
    ``backfill``; the maintenance thread computes them in small batches (a long history takes a
    while, and ingest must not wait for all of it), and until the queue is empty queries do not
    read the daily level, so their answers are the hourly rollups' meanwhile. Sketches stored as
    JSON text by version 0 stay as they are and are read as such.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise MetricStoreUnavailable(
            f"embedded metric store {path}: written by a newer vigil"
            f" (format {version}, this one reads {SCHEMA_VERSION})"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version < 1:
            rollups.queue_days_of_hours(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.Error:
        conn.execute("ROLLBACK")
        raise


def _tags_key(tags: dict[str, str]) -> str:
    return json.dumps(dict(sorted(tags.items())), ensure_ascii=False, separators=(",", ":"))


def _matches(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    # As in InfluxQL, tag = '' matches the series without that tag.
    return all(tags.get(key, "") == value for key, value in wanted.items())


def _translate(exc: sqlite3.Error) -> MetricStoreError:
    if isinstance(exc, sqlite3.OperationalError):
        return MetricStoreUnavailable(f"embedded metric store: {exc}")
    return MetricStoreError(f"embedded metric store: {exc}")


class EmbeddedStore:
    """SQLite metric store with rollups; see the module docstring."""

    def __init__(
        self,
        path: Path,
        raw_retention_days: int,
        rollup_retention_days: int,
        maintenance_interval_seconds: float | None = 60.0,
    ) -> None:
        self._path = path
        self._raw_retention_ns = raw_retention_days * DAY_NS
        self._rollup_retention_ns = rollup_retention_days * DAY_NS
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._connect()
            for statement in _SCHEMA:
                self._writer.execute(statement)
            _migrate(self._writer, path)
        except (OSError, sqlite3.Error) as exc:
            raise MetricStoreUnavailable(f"embedded metric store {path}: {exc}") from exc
        # measurement -> {series id -> tags}; (measurement, field) -> _Field. Replaced, never mutated.
        self._series: dict[str, dict[int, dict[str, str]]] = {}
        self._series_ids: dict[tuple[str, str], int] = {}
        self._fields: dict[tuple[str, str], _Field] = {}
        self._raw_series: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self._raw_fields: dict[tuple[str, str], _Field] = {}
        # measurement -> (its series map, the tag index of that map); see _tag_index
        self._tag_indexes: dict[str, tuple[dict[int, dict[str, str]], dict[tuple[str, str], list[int]]]] = {}
        self._load_caches()
        try:
            backfilling = self._writer.execute("SELECT 1 FROM backfill LIMIT 1").fetchone() is not None
        except sqlite3.Error as exc:
            raise MetricStoreUnavailable(f"embedded metric store {path}: {exc}") from exc
        # The rollup widths queries may read: not the daily level while a migration fills it in.
        self._usable_widths = tuple(w for w in rollups.WIDTHS_COARSEST_FIRST if not (backfilling and w == 86_400))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if maintenance_interval_seconds:
            self._thread = threading.Thread(
                target=self._maintenance_loop,
                args=(maintenance_interval_seconds,),
                name="vigil-metrics-maintenance",
                daemon=True,
            )
            self._thread.start()

    # ---- connections and caches ----

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for all the statements in it."""
        if self._closed:
            raise MetricStoreError("embedded metric store is closed")
        conn = self._reader()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """The write transaction; rolled back on any error, which is translated."""
        with self._lock:
            if self._closed:
                raise MetricStoreError("embedded metric store is closed")
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate(exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise _translate(exc) from exc
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _load_caches(self) -> None:
        by_measurement: dict[str, dict[int, dict[str, str]]] = {}
        ids: dict[tuple[str, str], int] = {}
        for sid, measurement, tags in self._writer.execute("SELECT id, measurement, tags FROM series"):
            by_measurement.setdefault(measurement, {})[sid] = json.loads(tags)
            ids[(measurement, tags)] = sid
        fields = {
            (measurement, name): _Field(fid, kind)
            for fid, measurement, name, kind in self._writer.execute("SELECT id, measurement, name, kind FROM field")
        }
        self._series, self._series_ids, self._fields = by_measurement, ids, fields
        self._raw_series, self._raw_fields = {}, {}
        self._tag_indexes = {}

    # ---- writing ----

    def write(self, points: Sequence[Point]) -> None:
        # Names are checked and normalised (vigil.server.metrics.points) once per series and
        # field key, then remembered by their raw form: a server sees the same series again and
        # again. Values are normalised per point, as wire.encode does for InfluxDB.
        if not points:
            return
        batch = _Batch()
        with self._write() as conn:
            raw_rows: list[tuple[int, int, int, FieldValue]] = []
            dirty: set[tuple[int, int]] = set()
            newest: dict[int, int] = {}
            raw_series, raw_fields = self._raw_series, self._raw_fields
            for index, point in enumerate(points):
                if not point.fields:
                    raise MetricWriteRejected(
                        f"point {index} ({point.measurement[:60]!r}): a point needs at least one field"
                    )
                values: list[tuple[int, FieldValue]] = []
                for name, value in point.fields.items():
                    found = raw_fields.get((point.measurement, name)) or self._new_field(
                        conn, point, name, index, batch
                    )
                    kind = type(value)
                    if kind is float and not math.isfinite(value):  # type: ignore[arg-type]
                        continue
                    if _KIND_OF.get(kind) != found.kind:
                        raise MetricWriteRejected(
                            f"point {index}: field type conflict: {point.measurement[:60]}.{name[:60]} is"
                            f" {found.kind}, got {_KIND_OF.get(kind, kind.__name__)}"
                        )
                    values.append((found.id, int(value) if kind is bool else clean(value) if kind is str else value))  # type: ignore[arg-type]
                if not values:
                    continue  # as wire.encode: a point without a writable field is left out
                key = (point.measurement, tuple(point.tags.items()))
                sid = raw_series.get(key) or batch.raw_series.get(key) or self._new_series(conn, point, index, batch)
                time_ns = point.time_ns
                raw_rows.extend((fid, sid, time_ns, value) for fid, value in values)
                dirty.add((sid, time_ns // _DIRTY_WIDTH_NS * _DIRTY_WIDTH_NS))
                if time_ns > newest.get(sid, -1):
                    newest[sid] = time_ns
            conn.executemany(
                "INSERT OR REPLACE INTO raw (field_id, series_id, time_ns, value) VALUES (?, ?, ?, ?)",
                raw_rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO dirty (resolution_s, series_id, bucket_ns) VALUES (?, ?, ?)",
                [(rollups.LEVELS[0][0], sid, bucket) for sid, bucket in dirty],
            )
            conn.executemany(
                "UPDATE series SET last_ns = max(last_ns, ?) WHERE id = ?",
                [(time_ns, sid) for sid, time_ns in newest.items()],
            )
            # Published only once the transaction committed (still under the lock).
            if batch.raw_series or batch.raw_fields:
                self._publish(batch)

    def _new_series(self, conn: sqlite3.Connection, point: Point, index: int, batch: _Batch) -> int:
        problem = point_problem(Point(point.measurement, point.tags, {"_": 0}, 0))
        if problem is not None:
            raise MetricWriteRejected(f"point {index} ({point.measurement[:60]!r}): {problem}")
        measurement = clean(point.measurement)
        tags = {clean(k): clean(v) for k, v in point.tags.items() if v != ""}
        key = (measurement, _tags_key(tags))
        sid = self._series_ids.get(key) or batch.series_ids.get(key)
        if sid is None:
            cursor = conn.execute(
                "INSERT INTO series (measurement, tags, last_ns) VALUES (?, ?, ?)", (key[0], key[1], point.time_ns)
            )
            sid = batch.series_ids[key] = int(cursor.lastrowid or 0)
            batch.tags.setdefault(measurement, {})[sid] = tags
        batch.raw_series[(point.measurement, tuple(point.tags.items()))] = sid
        return sid

    def _new_field(self, conn: sqlite3.Connection, point: Point, name: str, index: int, batch: _Batch) -> _Field:
        raw_key = (point.measurement, name)
        found = batch.raw_fields.get(raw_key)
        if found is not None:
            return found
        problem = point_problem(Point(point.measurement, {}, {name: 0}, 0))
        if problem is not None:
            raise MetricWriteRejected(f"point {index} ({point.measurement[:60]!r}): {problem}")
        value = point.fields[name]
        kind = _KIND_OF.get(type(value))
        if kind is None:
            raise MetricWriteRejected(f"point {index}: field {name[:60]!r} has a value of unsupported type")
        key = (clean(point.measurement), clean(name))
        found = self._fields.get(key) or batch.fields.get(key)
        if found is None:
            cursor = conn.execute("INSERT INTO field (measurement, name, kind) VALUES (?, ?, ?)", (*key, kind))
            found = batch.fields[key] = _Field(int(cursor.lastrowid or 0), kind)
        batch.raw_fields[raw_key] = found
        return found

    def _publish(self, batch: _Batch) -> None:
        series = dict(self._series)
        for measurement, added in batch.tags.items():
            series[measurement] = {**series.get(measurement, {}), **added}
        self._series = series
        self._series_ids = {**self._series_ids, **batch.series_ids}
        self._fields = {**self._fields, **batch.fields}
        raw_series = self._raw_series if len(self._raw_series) < _MAX_RAW_KEYS else {}
        raw_fields = self._raw_fields if len(self._raw_fields) < _MAX_RAW_KEYS else {}
        self._raw_series = {**raw_series, **batch.raw_series}
        self._raw_fields = {**raw_fields, **batch.raw_fields}

    # ---- maintenance ----

    def _numeric_fields_of_series(self) -> dict[int, list[int]]:
        per_measurement: dict[str, list[int]] = {}
        for (measurement, _name), found in self._fields.items():
            if found.kind in NUMERIC_KINDS:
                per_measurement.setdefault(measurement, []).append(found.id)
        return {
            sid: per_measurement.get(measurement, []) for measurement, series in self._series.items() for sid in series
        }

    def compact(self) -> int:
        """Recompute the dirty rollup buckets now; returns how many were recomputed."""
        with self._write() as conn:
            return rollups.compact(conn, self._numeric_fields_of_series())

    def backfill(self, batch: int = _BACKFILL_BATCH) -> bool:
        """Compute one batch of a migration's queued buckets; True when none is left (the daily
        level is then read by queries)."""
        if self._usable_widths == rollups.WIDTHS_COARSEST_FIRST:
            return True
        # A queued day whose hours are still dirty is computed again when they are compacted.
        with self._write() as conn:
            done = rollups.backfill(conn, self._numeric_fields_of_series(), batch)
        if done:
            self._usable_widths = rollups.WIDTHS_COARSEST_FIRST
        return done

    def maintain(self, now_ns: int | None = None) -> None:
        """Compact rollups, then drop raw rows and rollups older than their retention."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        raw_cutoff = now_ns - self._raw_retention_ns
        rollup_cutoff = now_ns - self._rollup_retention_ns
        with self._write() as conn:
            numeric = self._numeric_fields_of_series()
            rollups.compact(conn, numeric)
            pairs = [
                (found.id, sid)
                for (measurement, _name), found in self._fields.items()
                for sid in self._series.get(measurement, {})
            ]
            conn.executemany(
                "DELETE FROM raw WHERE field_id = ? AND series_id = ? AND time_ns < ?",
                [(fid, sid, raw_cutoff) for fid, sid in pairs],
            )
            conn.executemany(
                "DELETE FROM rollup WHERE resolution_s = ? AND field_id = ? AND series_id = ? AND bucket_ns < ?",
                [
                    (width, fid, sid, rollup_cutoff)
                    for width, _source in rollups.LEVELS
                    for sid, fids in numeric.items()
                    for fid in fids
                ],
            )
            # A series whose newest point is older than both retentions has nothing left.
            gone = conn.execute(
                "DELETE FROM series WHERE last_ns < ? RETURNING id", (min(raw_cutoff, rollup_cutoff),)
            ).fetchall()
            if gone:
                self._load_caches()

    def _maintenance_loop(self, interval_seconds: float) -> None:
        # Compaction keeps up with writes every interval; retention moves in days, so hourly.
        # A migrated file's backfill runs in batches between compactions, with pauses that let
        # writes in, and without waiting out the interval until it is done.
        next_retention = time.monotonic()
        backfilled = self._usable_widths == rollups.WIDTHS_COARSEST_FIRST
        while not self._stop.wait(interval_seconds if backfilled else _BACKFILL_PAUSE_SECONDS):
            try:
                if time.monotonic() >= next_retention:
                    self.maintain()
                    next_retention = time.monotonic() + _RETENTION_EVERY_SECONDS
                else:
                    self.compact()
                backfilled = self._backfill_for(interval_seconds)
            except MetricStoreError:
                continue  # retried at the next interval; the file may be busy or full

    def _backfill_for(self, seconds: float) -> bool:
        """Backfill batches for about ``seconds``; True when nothing is left to backfill."""
        until = time.monotonic() + seconds
        while not self.backfill():
            if time.monotonic() >= until or self._stop.wait(_BACKFILL_PAUSE_SECONDS):
                return False
        return True

    # ---- reading ----

    def _numeric_field(self, measurement: str, name: str) -> _Field | None:
        found = self._fields.get((measurement, name))
        if found is not None and found.kind not in NUMERIC_KINDS:
            raise MetricStoreError(f"{measurement}.{name} is a {found.kind} field; only numbers can be aggregated")
        return found

    def _tag_index(self, measurement: str, series: dict[int, dict[str, str]]) -> dict[tuple[str, str], list[int]]:
        """(tag key, value) -> ids of the measurement's series that carry it, in series order.

        Built on first use and kept while the measurement's series map is the same object (the
        maps are replaced, never changed, when series are added), so a store holding many
        customers does not test every series of a measurement against a query's tags.
        """
        cached = self._tag_indexes.get(measurement)
        if cached is not None and cached[0] is series:
            return cached[1]
        index: dict[tuple[str, str], list[int]] = {}
        for sid, tags in series.items():
            for pair in tags.items():
                index.setdefault(pair, []).append(sid)
        self._tag_indexes[measurement] = (series, index)
        return index

    def _matching_series(self, measurement: str, tags: dict[str, str]) -> dict[int, dict[str, str]]:
        series = self._series.get(measurement, {})
        wanted = [(key, value) for key, value in tags.items() if value != ""]  # '' matches a missing tag
        if not series or not wanted:
            return {sid: t for sid, t in series.items() if _matches(t, tags)}
        index = self._tag_index(measurement, series)
        candidates = min((index.get(pair, []) for pair in wanted), key=len)
        return {sid: series[sid] for sid in candidates if _matches(series[sid], tags)}

    def query(self, query: SeriesQuery) -> list[Series]:
        if query.interval_seconds is not None and query.interval_seconds <= 0:
            raise MetricStoreError("interval_seconds must be positive")
        found = self._numeric_field(query.measurement, query.field)
        series = self._matching_series(query.measurement, query.tags)
        if found is None or not series or query.end_ns <= query.start_ns:
            return []
        pieces = rollups.plan(query.start_ns, query.end_ns, query.interval_seconds, self._usable_widths)
        if any(width for width, _lo, _hi in pieces):
            self._compact_if_dirty()
        groups = sorted({tuple(tags.get(k, "") for k in query.group_by) for tags in series.values()})
        index = {group: i for i, group in enumerate(groups)}
        # series id -> group index, handed to SQLite as JSON so it can group by it.
        members = json.dumps(
            [[sid, index[tuple(tags.get(k, "") for k in query.group_by)]] for sid, tags in sorted(series.items())]
        )
        step = query.interval_seconds * NS if query.interval_seconds else None
        with self._read() as conn:
            if query.aggregate == "p95":
                values = reads.p95_by_bucket(conn, found.id, members, pieces, step, query.start_ns)
            else:
                values = reads.aggregate_by_bucket(
                    conn, found.id, members, pieces, step, query.start_ns, query.aggregate
                )
        return self._series_result(query, groups, values, step)

    def _series_result(
        self,
        query: SeriesQuery,
        groups: list[tuple[str, ...]],
        values: dict[tuple[int, int], float | None],
        step: int | None,
    ) -> list[Series]:
        if step:
            buckets = range(query.start_ns // step * step, query.end_ns, step)
        else:
            buckets = range(query.start_ns, query.start_ns + 1)
        empty = 0.0 if query.aggregate == "count" else None
        present = sorted({gid for gid, _bucket in values})
        return [
            Series(
                dict(zip(query.group_by, groups[gid], strict=True)),
                [(b, values.get((gid, b), empty)) for b in buckets],
            )
            for gid in present
        ]

    def _compact_if_dirty(self) -> None:
        with self._read() as conn:
            dirty = conn.execute("SELECT 1 FROM dirty LIMIT 1").fetchone()
        if dirty:
            self.compact()

    def latest(
        self, measurement: str, field: str, tags: dict[str, str], group_by: tuple[str, ...] = ()
    ) -> list[LatestValue]:
        found = self._fields.get((measurement, field))
        series = self._matching_series(measurement, tags)
        if found is None or not series:
            return []
        convert = _FROM_STORED[found.kind]
        newest: dict[tuple[str, ...], tuple[int, FieldValue]] = {}
        with self._read() as conn:
            for sid, series_tags in series.items():
                row = conn.execute(
                    "SELECT time_ns, value FROM raw WHERE field_id = ? AND series_id = ? ORDER BY time_ns DESC LIMIT 1",
                    (found.id, sid),
                ).fetchone()
                if row is None:
                    continue
                group = tuple(series_tags.get(k, "") for k in group_by)
                if group not in newest or row[0] > newest[group][0]:
                    newest[group] = (row[0], convert(row[1]))
        return [
            LatestValue(dict(zip(group_by, group, strict=True)), time_ns, value)
            for group, (time_ns, value) in sorted(newest.items())
        ]

    def tag_values(self, measurement: str, key: str, tags: dict[str, str]) -> list[str]:
        series = self._matching_series(measurement, tags)
        return sorted({t[key] for t in series.values() if key in t})

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for conn in [*self._readers, self._writer]:
                conn.close()


def open_store(settings: MetricsSettings, data_dir: Path) -> EmbeddedStore:
    """The registry entry for ``backend = "embedded"``."""
    return EmbeddedStore(
        settings.path or data_dir / "metrics.sqlite3",
        raw_retention_days=settings.raw_retention_days,
        rollup_retention_days=settings.rollup_retention_days,
    )
