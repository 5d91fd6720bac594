"""Month-long metric queries: the embedded store (rollups) beside InfluxDB, in one run.

    .venv/bin/python bench/metric_queries.py [--hosts 10] [--step 60]

Writes 30 days of one field for ``--hosts`` series, one point per ``--step`` seconds, into a
fresh embedded store and a private influxd (started as the tests start it), compacts the
embedded rollups (5-minute, 1-hour and 1-day), then times the queries a device page and the
monthly report ask (best of three runs each). One query is also asked at a 120 s interval, which no rollup fits, so the
embedded store reads raw rows for it: that row shows what the rollups save.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vigil.agent.wire import Point  # noqa: E402
from vigil.server.config import MetricsSettings  # noqa: E402
from vigil.server.metrics import MetricStore, SeriesQuery, open_store  # noqa: E402
from vigil.server.metrics.embedded import EmbeddedStore  # noqa: E402

from tests.services.influxdb import start_influxd  # noqa: E402

NS = 1_000_000_000
DAY = 86_400
T0 = 1_764_000_000 * NS


def points(hosts: int, step_seconds: int) -> list[Point]:
    out = []
    for h in range(hosts):
        for k in range(30 * DAY // step_seconds):
            value = float((k * 7 + h * 13) % 100)
            out.append(
                Point("cpu", {"host": f"h{h}", "cpu": "total"}, {"util_percent": value}, T0 + k * step_seconds * NS)
            )
    return out


def best_of_three(store: MetricStore, query: SeriesQuery) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        store.query(query)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--step", type=int, default=60, help="seconds between points")
    args = parser.parse_args()
    data = points(args.hosts, args.step)
    end = T0 + 30 * DAY * NS
    queries = {
        "one host, hourly mean": SeriesQuery("cpu", "util_percent", T0, end, {"host": "h0"}, (), "mean", 3600),
        "all hosts, daily p95 by host": SeriesQuery("cpu", "util_percent", T0, end, {}, ("host",), "p95", DAY),
        "all hosts, month max by host": SeriesQuery("cpu", "util_percent", T0 + 437 * NS, end, {}, ("host",), "max"),
        "all hosts, month p95 by host": SeriesQuery("cpu", "util_percent", T0 + 437 * NS, end, {}, ("host",), "p95"),
        "one host, 120 s mean (raw)": SeriesQuery("cpu", "util_percent", T0, end, {"host": "h0"}, (), "mean", 120),
    }
    with tempfile.TemporaryDirectory(prefix="vigil-bench-q-") as folder_name:
        folder = Path(folder_name)
        (folder / "influxd").mkdir()
        influx = start_influxd(folder / "influxd")
        try:
            stores: dict[str, MetricStore] = {
                "embedded": open_store(MetricsSettings(backend="embedded", path=folder / "m.sqlite3"), folder),
                "influxdb": open_store(
                    MetricsSettings(backend="influxdb", influx_url=influx.url, influx_database="q"), folder
                ),
            }
            for store in stores.values():
                for i in range(0, len(data), 5000):
                    store.write(data[i : i + 5000])
                if isinstance(store, EmbeddedStore):
                    store.compact()
            print(f"{len(data):,} points: {args.hosts} series, 30 days, every {args.step} s")
            print(f"{'query':<32}{'embedded ms':>13}{'influxdb ms':>13}   load average {os.getloadavg()[0]:.1f}")
            for name, query in queries.items():
                embedded = best_of_three(stores["embedded"], query) * 1000
                influxdb = best_of_three(stores["influxdb"], query) * 1000
                print(f"{name:<32}{embedded:>13.1f}{influxdb:>13.1f}")
            for store in stores.values():
                store.close()
        finally:
            influx.stop()


if __name__ == "__main__":
    main()
