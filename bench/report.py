"""The monthly report for customers with 100 devices and a month of 1-minute data each: seconds,
CPU seconds and peak memory for one report, and for a batch of 50 reports (50 different
customers) using both cores (worker processes), with the split between metric queries, charts
and PDF writing, and the load average beside them.

    .venv/bin/python bench/report.py [--devices 100] [--batch 50] [--workers 2] [--keep DIR]

How the month of data gets into the embedded store. Writing 100 devices x 43,200-44,640
one-minute samples x ~11 fields (about 50 million values) through ``EmbeddedStore.write`` and
letting it compact would take the better part of an hour per customer here, so the script writes
the store's tables directly, in bulk, for the first customer: for every series and field it makes
the month's 1-minute values with numpy, aggregates each hour and each UTC day exactly as the
store's compaction does (count, sum, min, max, last and the p95 sketch with the store's own bins
and encoding, :mod:`vigil.server.metrics.aggregation`) and inserts the 1-hour and 1-day rollup
rows with one ``executemany`` per series. Raw rows and 5-minute rollups are left out: a report
for a whole month (hour-aligned in the customer's time zone) reads only the daily and hourly
rollups (``rollups.plan``), so they would cost disk and time here without changing what the
report reads.

The other customers of the batch are copies of the first one made inside SQLite
(``INSERT ... SELECT``): each gets its own series rows (the ``customer`` tag rewritten, new
series ids) and its own copy of every rollup row under those ids, so every report of the batch
queries its own customer's rows in a store that holds all of them (50 customers: 56,000
series-fields, ~43 million rollup rows), with the same values as the first customer. The
relational side (customer, 100 devices, contract, 40 tickets) is made per customer through the
models on SQLite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from vigil.server.config import MetricsSettings  # noqa: E402
from vigil.server.metrics.aggregation import keys_of, merge  # noqa: E402
from vigil.server.metrics.embedded import EmbeddedStore  # noqa: E402

NS = 1_000_000_000
ZONE = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"
START = datetime(2026, 10, 1, tzinfo=ZONE)
END = datetime(2026, 11, 1, tzinfo=ZONE)
HOURS = int((END - START).total_seconds() // 3600)
DAY_NS = 86_400 * NS


def slug(index: int) -> str:
    return f"bench-{index:02d}"


def _series_of(devices: int) -> list[tuple[str, dict[str, str], str, str]]:
    """(measurement, tags, field, shape) for every series-field of the first customer."""
    found = []
    hosts = devices * 7 // 10
    for index in range(devices):
        base = {"customer": slug(0), "site": "main"}
        if index < hosts:
            tags = {**base, "host": f"host-{index:03d}"}
            found += [
                ("cpu", {**tags, "cpu": "total"}, "util_percent", "load"),
                ("mem", tags, "used_percent", "memory"),
                ("system", tags, "uptime_seconds", "uptime"),
                ("disk", {**tags, "path": "/"}, "used_percent", "flat"),
                ("disk", {**tags, "path": "/data"}, "used_percent", "growing"),
                ("net", {**tags, "interface": "eth0"}, "recv_bytes_per_second", "traffic"),
                ("net", {**tags, "interface": "eth0"}, "sent_bytes_per_second", "traffic"),
            ]
        else:
            tags = {**base, "collector": "bench-collector", "device": f"switch-{index:03d}"}
            found += [
                ("ping", {**tags, "method": "icmp", "target": "10.0.0.1"}, "up", "up"),
                ("device_cpu", {**tags, "unit": "1"}, "util_percent", "load"),
                ("device_mem", {**tags, "unit": "1"}, "used_percent", "memory"),
                ("snmp", tags, "uptime_seconds", "uptime"),
                ("device_sensor", {**tags, "kind": "temperature", "sensor": "chassis"}, "temperature_celsius", "temp"),
            ]
            for port in range(4):
                itags = {**tags, "interface": f"Gi0/{port}"}
                found += [
                    ("interface", itags, "in_util_percent", "load"),
                    ("interface", itags, "out_util_percent", "load"),
                    ("interface", itags, "in_bytes_per_second", "traffic"),
                    ("interface", itags, "out_bytes_per_second", "traffic"),
                ]
    return found


def _values(shape: str, rng: np.random.Generator, minutes: int) -> np.ndarray:
    t = np.arange(minutes, dtype=np.float64)
    day = np.sin(2 * np.pi * t / 1440.0)
    if shape == "load":
        return np.clip(30 + 20 * day + rng.normal(0, 8, minutes), 0, 100)
    if shape == "memory":
        return np.clip(rng.uniform(40, 95) + rng.normal(0, 2, minutes), 0, 100)
    if shape == "uptime":
        return 86400.0 * 20 + t * 60.0
    if shape == "flat":
        return np.full(minutes, rng.uniform(20, 60))
    if shape == "growing":
        return np.clip(rng.uniform(40, 70) + t / 1440.0 * rng.uniform(0.1, 1.5), 0, 100)
    if shape == "traffic":
        return np.clip(rng.uniform(1e5, 1e7) * (1.2 + day) + rng.normal(0, 1e4, minutes), 0, None)
    if shape == "up":
        return np.ones(minutes)
    return 40 + 5 * day + rng.normal(0, 0.5, minutes)  # temperature


def _sketch(values: np.ndarray) -> bytes:
    return merge(np.stack([keys_of(values), np.ones(len(values), dtype=np.int64)], axis=1))


def _rollup_rows(
    fid: int, sid: int, width_s: int, values: np.ndarray, times_ns: np.ndarray, bounds: list[int]
) -> list[tuple[object, ...]]:
    """Rows of the buckets [bounds[i], bounds[i+1]) of one series-field's minute values."""
    rows: list[tuple[object, ...]] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        chunk = values[lo:hi]
        bucket = int(times_ns[lo]) // (width_s * NS) * (width_s * NS)
        rows.append((width_s, fid, sid, bucket, hi - lo, float(chunk.sum()), float(chunk.min()), float(chunk.max()),
                     int(times_ns[hi - 1]), float(chunk[-1]), _sketch(chunk)))
    return rows


def build_first_store(path: Path, devices: int) -> tuple[int, float]:
    """The first customer's hourly and daily rollups of 1-minute data, in bulk: (rows, seconds)."""
    started = time.perf_counter()
    EmbeddedStore(path, 3650, 3650, maintenance_interval_seconds=None).close()  # the schema, format 1
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    rng = np.random.default_rng(7)
    minutes = HOURS * 60
    start_ns = int(START.timestamp()) * NS
    times_ns = start_ns + np.arange(minutes, dtype=np.int64) * 60 * NS
    hours = list(range(0, minutes + 1, 60))
    day_of = times_ns // DAY_NS
    days = [0, *(np.flatnonzero(np.diff(day_of)) + 1).tolist(), minutes]  # UTC days, as the store
    fields: dict[tuple[str, str], int] = {}
    series_ids: dict[tuple[str, str], int] = {}
    rows = 0
    for measurement, tags, field, shape in _series_of(devices):
        key = json.dumps(dict(sorted(tags.items())), ensure_ascii=False, separators=(",", ":"))
        sid = series_ids.get((measurement, key))
        if sid is None:
            cursor = conn.execute("INSERT INTO series (measurement, tags, last_ns) VALUES (?, ?, ?)",
                                  (measurement, key, int(times_ns[-1])))
            sid = series_ids[(measurement, key)] = int(cursor.lastrowid or 0)
        fid = fields.get((measurement, field))
        if fid is None:
            cursor = conn.execute("INSERT INTO field (measurement, name, kind) VALUES (?, ?, 'float')",
                                  (measurement, field))
            fid = fields[(measurement, field)] = int(cursor.lastrowid or 0)
        values = _values(shape, rng, minutes)
        batch = _rollup_rows(fid, sid, 3600, values, times_ns, hours) + _rollup_rows(
            fid, sid, 86400, values, times_ns, days
        )
        conn.executemany(
            "INSERT INTO rollup (resolution_s, field_id, series_id, bucket_ns, count, total, minimum, maximum,"
            " last_ns, last, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        rows += len(batch)
    conn.execute("COMMIT")
    conn.close()
    return rows, time.perf_counter() - started


def copy_customers(path: Path, customers: int) -> float:
    """Customers 1..n-1 as copies of the first, inside SQLite; returns seconds."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    first_id, last_id = conn.execute("SELECT min(id), max(id) FROM series").fetchone()
    span = last_id - first_id + 1
    for index in range(1, customers):
        offset = index * span
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO series (id, measurement, tags, last_ns) SELECT id + ?, measurement,"
            " replace(tags, ?, ?), last_ns FROM series WHERE id BETWEEN ? AND ?",
            (offset, f'"customer":"{slug(0)}"', f'"customer":"{slug(index)}"', first_id, last_id),
        )
        conn.execute(
            "INSERT INTO rollup SELECT resolution_s, field_id, series_id + ?, bucket_ns, count, total, minimum,"
            " maximum, last_ns, last, sketch FROM rollup WHERE series_id BETWEEN ? AND ?",
            (offset, first_id, last_id),
        )
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def build_database(url: str, devices: int, customers: int) -> None:
    from vigil.server.db.migrate import upgrade
    from vigil.server.db.models import Contract, Customer, Device, DeviceKind, Site
    from vigil.server.db.session import make_engine, make_sessionmaker
    from vigil.server.tickets import service

    upgrade(url)
    engine = make_engine(url)
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    for number_of_customer in range(customers):
        with make_sessionmaker(engine)() as db, db.begin():
            customer = Customer(slug=slug(number_of_customer), name=f"基准测试客户 {number_of_customer:02d}",
                                language="zh", timezone="Asia/Shanghai", report_contacts=["it@bench.example"],
                                notice_contacts=[])
            db.add(customer)
            db.flush()
            site = Site(customer_id=customer.id, slug="main", name="Main")
            db.add(site)
            db.add(Contract(customer_id=customer.id, number=f"BENCH-{number_of_customer:02d}", sla_level="gold",
                            terms={}, active=True))
            db.flush()
            hosts = devices * 7 // 10
            ids = []
            for index in range(devices):
                host = index < hosts
                kind = DeviceKind.host if host else DeviceKind.switch
                device = Device(customer_id=customer.id, site_id=site.id, kind=kind,
                                name=f"host-{index:03d}" if host else f"switch-{index:03d}", vendor="Huawei",
                                model="S5735" if not host else "2288H", serial=f"SN{index:06d}",
                                firmware="V200R021" if index % 5 else "V200R019", importance=1 + index % 3,
                                tags=[], inventory={}, created_at=long_ago)
                db.add(device)
                db.flush()
                ids.append(device.id)
            for number in range(40):
                opened = (START + timedelta(hours=17 * number + 3)).astimezone(UTC)
                ticket = service.open_ticket(db, customer_id=customer.id, title=f"告警 {number}", source="rule",
                                             priority=("P1", "P2", "P3", "P4")[number % 4],
                                             device_id=ids[number % devices], notify=False, now=opened)
                service.change_status(db, ticket, "in_progress", actor="bench",
                                      now=opened + timedelta(minutes=10 + number))
                service.resolve_ticket(db, ticket, actor="bench", note="处理完成", notify=False,
                                       now=opened + timedelta(hours=1 + number % 30))
    engine.dispose()


_STATE: dict[str, object] = {}


def _open(url: str, store_path: Path) -> None:
    from vigil.server.db.session import make_engine, make_sessionmaker
    from vigil.server.metrics import open_store

    engine = make_engine(url)
    _STATE["sessions"] = make_sessionmaker(engine)
    _STATE["store"] = open_store(MetricsSettings(path=store_path, raw_retention_days=3650,
                                                 rollup_retention_days=3650), store_path.parent)


def one_report(index: int = 0) -> dict[str, float]:
    """One customer's month, rendered to PDF (not stored); figures of this report."""
    from sqlalchemy import select
    from vigil.server.db.models import Customer
    from vigil.server.reports import service
    from vigil.server.reports.config import ReportSettings

    sessions = _STATE["sessions"]
    timings = service.Timings()
    started, cpu_started = time.perf_counter(), time.process_time()
    with sessions() as db:  # type: ignore[operator]
        customer_id = db.scalar(select(Customer.id).where(Customer.slug == slug(index)))
        pdf, data, *_rest = service.render_month(db, _STATE["store"], ReportSettings(), customer_id, MONTH,  # type: ignore[arg-type]
                                                 timings=timings, now=datetime(2026, 11, 2, tzinfo=UTC))
        db.rollback()
    return {
        "total_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "query_seconds": timings.query_seconds,
        "gather_other_seconds": timings.gather_seconds - timings.query_seconds,
        "charts_seconds": timings.charts_seconds,
        "pdf_seconds": timings.pdf_seconds,
        "query_cpu_seconds": timings.query_cpu_seconds,
        "gather_other_cpu_seconds": timings.gather_cpu_seconds - timings.query_cpu_seconds,
        "charts_cpu_seconds": timings.charts_cpu_seconds,
        "pdf_cpu_seconds": timings.pdf_cpu_seconds,
        "queries": timings.queries,
        "devices": len(data.devices),
        "pdf_bytes": len(pdf),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _single(url: str, store_path: Path, runs: int) -> list[dict[str, float]]:
    _open(url, store_path)
    return [one_report(0) for _ in range(runs)]


class LoadSampler:
    """The 1-minute load average every few seconds while a step runs (other engineers share the
    machine: the figures are read beside it)."""

    def __init__(self, every_seconds: float = 5.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_seconds,), daemon=True)

    def _run(self, every_seconds: float) -> None:
        while not self._stop.wait(every_seconds):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def text(self) -> str:
        if not self.samples:
            return "load average (1 min) " + f"{os.getloadavg()[0]:.1f}"
        return (f"load average (1 min) during it: min {min(self.samples):.1f}, median"
                f" {statistics.median(self.samples):.1f}, max {max(self.samples):.1f}")


def _split(run: dict[str, float], suffix: str) -> str:
    return (f"queries {run['query' + suffix]:.2f} + other gathering {run['gather_other' + suffix]:.2f}"
            f" + charts {run['charts' + suffix]:.2f} + PDF {run['pdf' + suffix]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--batch", type=int, default=50, help="reports in the batch, one per customer")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the data in this folder once and reuse it next time")
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    customers = max(1, args.batch)
    print("load average at start (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="vigil-bench-report-") as folder_name:
        folder = args.keep or Path(folder_name)
        folder.mkdir(parents=True, exist_ok=True)
        store_path, url = folder / "metrics.sqlite3", f"sqlite:///{folder / 'vigil.sqlite3'}"
        if not (folder / "vigil.sqlite3").exists():
            rows, seconds = build_first_store(store_path, args.devices)
            print(f"store: {rows:,} hourly and daily rollup rows of 1-minute data ({args.devices} devices, {MONTH})"
                  f" for the first customer, written in bulk in {seconds:.1f} s")
            seconds = copy_customers(store_path, customers)
            print(f"store: {customers - 1} more customers copied inside SQLite in {seconds:.1f} s;"
                  f" file {store_path.stat().st_size / 1e9:.2f} GB")
            started = time.perf_counter()
            build_database(url, args.devices, customers)
            print(f"database: {customers} customers, {args.devices} devices and 40 tickets each,"
                  f" in {time.perf_counter() - started:.1f} s")
        # One report in a fresh process: the first run pays imports and font loading, the next ones not.
        with LoadSampler(2.0) as load, ProcessPoolExecutor(1, mp_context=spawn) as pool:
            runs = pool.submit(_single, url, store_path, 3).result()
        for label, run in (("first (cold process)", runs[0]), ("warm (median of 2)", None)):
            if run is None:
                run = {k: statistics.median(r[k] for r in runs[1:]) for k in runs[1]}
            print(f"one report, {label}: {run['total_seconds']:.2f} s = {_split(run, '_seconds')};"
                  f" CPU {run['cpu_seconds']:.2f} s = {_split(run, '_cpu_seconds')};"
                  f" {run['queries']:.0f} queries, {run['devices']:.0f} devices,"
                  f" PDF {run['pdf_bytes'] / 1e3:.0f} kB; peak RSS {run['peak_rss_mb']:.0f} MB")
        print(f"  {load.text()}")
        started = time.perf_counter()
        with LoadSampler() as load, ProcessPoolExecutor(args.workers, mp_context=spawn, initializer=_open,
                                                        initargs=(url, store_path)) as pool:
            batch = list(pool.map(one_report, range(args.batch)))
        wall = time.perf_counter() - started
        sums = {k: sum(r[k] for r in batch) for k in batch[0]}
        print(f"batch of {args.batch} customers in {args.workers} processes: {wall:.1f} s wall"
              f" ({wall / args.batch:.2f} s per report); summed over reports: {sums['total_seconds']:.1f} s ="
              f" {_split(sums, '_seconds')}; CPU {sums['cpu_seconds']:.1f} s = {_split(sums, '_cpu_seconds')};"
              f" peak RSS per worker {max(r['peak_rss_mb'] for r in batch):.0f} MB")
        print(f"  {load.text()}")
        print("load average at the end (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
        print(f"goals: one report < 10 s: {'met' if runs[0]['total_seconds'] < 10 else 'NOT met'};"
              f" batch of {args.batch} < 300 s: {'met' if wall < 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
