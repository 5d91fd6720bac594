"""The monthly report for a customer with 100 devices and a month of 1-minute data: seconds and
peak memory for one report, and for a batch of 50 using both cores (processes), with the split
between metric queries, charts and PDF writing.

    .venv/bin/python bench/report.py [--devices 100] [--batch 50] [--workers 2]

How the month of data gets into the embedded store. Writing 100 devices x 43,200-44,640
one-minute samples x ~11 fields (about 50 million values) through ``EmbeddedStore.write`` and
letting it compact would take the better part of an hour here, so the script writes the store's
tables directly, in bulk: for every series and field it makes the month's 1-minute values with
numpy, aggregates each hour exactly as the store's compaction does (count, sum, min, max, last
and the p95 sketch with the store's own bins, :mod:`vigil.server.metrics.aggregation`) and
inserts the 1-hour rollup rows with one ``executemany``. Raw rows and 5-minute rollups are left
out: a report for a whole month (hour-aligned in the customer's time zone) reads only the 1-hour
rollups (``rollups.plan``), so they would cost disk and time here without changing what the
report reads. The relational side (customer, 100 devices, contract, 40 tickets) is made through
the models on SQLite.

The batch renders the same customer's month 50 times, 25 per worker process: every report
really queries, draws and writes its PDF, but all of them read the same stored month, so the
operating system's page cache stays warm (50 distinct customers would be ~50x the rollup rows).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from vigil.server.config import MetricsSettings  # noqa: E402
from vigil.server.metrics.aggregation import _LOG_GAMMA  # noqa: E402
from vigil.server.metrics.embedded import EmbeddedStore  # noqa: E402

NS = 1_000_000_000
ZONE = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"
START = datetime(2026, 10, 1, tzinfo=ZONE)
END = datetime(2026, 11, 1, tzinfo=ZONE)
HOURS = int((END - START).total_seconds() // 3600)
CUSTOMER = "bench"


def _series_of(devices: int) -> list[tuple[str, dict[str, str], str, str]]:
    """(measurement, tags, field, shape) for every series-field of the customer."""
    found = []
    hosts = devices * 7 // 10
    for index in range(devices):
        base = {"customer": CUSTOMER, "site": "main"}
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


def _sketch_json(row: np.ndarray) -> str:
    positive = row[row > 0]
    bins, counts = np.unique(np.ceil(np.log(positive) / _LOG_GAMMA).astype(np.int64), return_counts=True)
    negative = -row[row < 0]
    nbins, ncounts = np.unique(np.ceil(np.log(negative) / _LOG_GAMMA).astype(np.int64), return_counts=True)
    return json.dumps(
        {"p": [[int(b), int(c)] for b, c in zip(bins, counts, strict=True)],
         "n": [[int(b), int(c)] for b, c in zip(nbins, ncounts, strict=True)],
         "z": int((row == 0).sum())},
        separators=(",", ":"),
    )


def build_store(path: Path, devices: int) -> tuple[int, float]:
    """The month's hourly rollups of 1-minute data, in bulk; returns (rows, seconds)."""
    started = time.perf_counter()
    EmbeddedStore(path, 3650, 3650, maintenance_interval_seconds=None).close()  # the schema
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    rng = np.random.default_rng(7)
    minutes = HOURS * 60
    start_ns = int(START.timestamp()) * NS
    hour_starts = start_ns + np.arange(HOURS, dtype=np.int64) * 3600 * NS
    fields: dict[tuple[str, str], int] = {}
    series_ids: dict[tuple[str, str], int] = {}
    rows = 0
    for measurement, tags, field, shape in _series_of(devices):
        key = json.dumps(dict(sorted(tags.items())), ensure_ascii=False, separators=(",", ":"))
        sid = series_ids.get((measurement, key))
        if sid is None:
            cursor = conn.execute("INSERT INTO series (measurement, tags, last_ns) VALUES (?, ?, ?)",
                                  (measurement, key, start_ns + (minutes - 1) * 60 * NS))
            sid = series_ids[(measurement, key)] = int(cursor.lastrowid or 0)
        fid = fields.get((measurement, field))
        if fid is None:
            cursor = conn.execute("INSERT INTO field (measurement, name, kind) VALUES (?, ?, 'float')",
                                  (measurement, field))
            fid = fields[(measurement, field)] = int(cursor.lastrowid or 0)
        hourly = _values(shape, rng, minutes).reshape(HOURS, 60)
        totals, lows, highs, lasts = hourly.sum(axis=1), hourly.min(axis=1), hourly.max(axis=1), hourly[:, -1]
        last_ns = hour_starts + 59 * 60 * NS
        conn.executemany(
            "INSERT INTO rollup (resolution_s, field_id, series_id, bucket_ns, count, total, minimum, maximum,"
            " last_ns, last, sketch) VALUES (3600, ?, ?, ?, 60, ?, ?, ?, ?, ?, ?)",
            [(fid, sid, int(hour_starts[h]), float(totals[h]), float(lows[h]), float(highs[h]), int(last_ns[h]),
              float(lasts[h]), _sketch_json(hourly[h])) for h in range(HOURS)],
        )
        rows += HOURS
    conn.execute("COMMIT")
    conn.close()
    return rows, time.perf_counter() - started


def build_database(url: str, devices: int) -> None:
    from vigil.server.db.migrate import upgrade
    from vigil.server.db.models import Contract, Customer, Device, DeviceKind, Site
    from vigil.server.db.session import make_engine, make_sessionmaker
    from vigil.server.tickets import service

    upgrade(url)
    engine = make_engine(url)
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with make_sessionmaker(engine)() as db, db.begin():
        customer = Customer(slug=CUSTOMER, name="基准测试客户", language="zh", timezone="Asia/Shanghai",
                            report_contacts=["it@bench.example"], notice_contacts=[])
        db.add(customer)
        db.flush()
        site = Site(customer_id=customer.id, slug="main", name="Main")
        db.add(site)
        db.add(Contract(customer_id=customer.id, number="BENCH", sla_level="gold", terms={}, active=True))
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
                                         priority=("P1", "P2", "P3", "P4")[number % 4], device_id=ids[number % devices],
                                         notify=False, now=opened)
            service.change_status(db, ticket, "in_progress", actor="bench", now=opened + timedelta(minutes=10 + number))
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


def one_report(_index: int = 0) -> dict[str, float]:
    from vigil.server.reports import service
    from vigil.server.reports.config import ReportSettings

    sessions = _STATE["sessions"]
    timings = service.Timings()
    started, cpu_started = time.perf_counter(), time.process_time()
    with sessions() as db:  # type: ignore[operator]
        customer_id = 1
        pdf, *_rest = service.render_month(db, _STATE["store"], ReportSettings(), customer_id, MONTH,  # type: ignore[arg-type]
                                           timings=timings, now=datetime(2026, 11, 2, tzinfo=UTC))
        db.rollback()
    return {
        "total_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "query_seconds": timings.query_seconds,
        "gather_other_seconds": timings.gather_seconds - timings.query_seconds,
        "charts_seconds": timings.charts_seconds,
        "pdf_seconds": timings.pdf_seconds,
        "queries": timings.queries,
        "pdf_bytes": len(pdf),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _single(url: str, store_path: Path, runs: int) -> list[dict[str, float]]:
    _open(url, store_path)
    return [one_report() for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the data in this folder once and reuse it next time")
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    print("load average at start (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="vigil-bench-report-") as folder_name:
        folder = args.keep or Path(folder_name)
        folder.mkdir(parents=True, exist_ok=True)
        store_path, url = folder / "metrics.sqlite3", f"sqlite:///{folder / 'vigil.sqlite3'}"
        if not (folder / "vigil.sqlite3").exists():
            rows, seconds = build_store(store_path, args.devices)
            print(f"store: {rows:,} hourly rollup rows of 1-minute data ({args.devices} devices, {MONTH})"
                  f" written in bulk in {seconds:.1f} s; file {store_path.stat().st_size / 1e6:.0f} MB")
            started = time.perf_counter()
            build_database(url, args.devices)
            print(f"database: customer, {args.devices} devices, 40 tickets in {time.perf_counter() - started:.1f} s")
        # One report in a fresh process: the first run pays imports and font loading, the next ones not.
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            runs = pool.submit(_single, url, store_path, 3).result()
        for label, run in (("first (cold process)", runs[0]), ("warm (median of 2)", None)):
            if run is None:
                run = {k: statistics.median(r[k] for r in runs[1:]) for k in runs[1]}
            print(f"one report, {label}: {run['total_seconds']:.2f} s = queries {run['query_seconds']:.2f} s"
                  f" ({run['queries']:.0f}) + other gathering {run['gather_other_seconds']:.2f} s"
                  f" + charts {run['charts_seconds']:.2f} s + PDF {run['pdf_seconds']:.2f} s;"
                  f" CPU {run['cpu_seconds']:.2f} s;"
                  f" PDF {run['pdf_bytes'] / 1e3:.0f} kB; peak RSS {run['peak_rss_mb']:.0f} MB")
        started = time.perf_counter()
        with ProcessPoolExecutor(args.workers, mp_context=spawn, initializer=_open,
                                 initargs=(url, store_path)) as pool:
            batch = list(pool.map(one_report, range(args.batch)))
        wall = time.perf_counter() - started
        sums = {k: sum(r[k] for r in batch) for k in ("query_seconds", "gather_other_seconds", "charts_seconds",
                                                       "pdf_seconds", "total_seconds")}
        print(f"batch of {args.batch} in {args.workers} processes: {wall:.1f} s wall"
              f" ({wall / args.batch:.2f} s per report); summed over reports: queries {sums['query_seconds']:.1f} s,"
              f" other gathering {sums['gather_other_seconds']:.1f} s, charts {sums['charts_seconds']:.1f} s,"
              f" PDF {sums['pdf_seconds']:.1f} s; peak RSS per worker"
              f" {max(r['peak_rss_mb'] for r in batch):.0f} MB; CPU {sum(r['cpu_seconds'] for r in batch):.1f} s")
        print("load average at the end (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
        print(f"goals: one report < 10 s: {'met' if runs[0]['total_seconds'] < 10 else 'NOT met'};"
              f" batch of {args.batch} < 300 s: {'met' if wall < 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
