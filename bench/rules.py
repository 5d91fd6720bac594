"""Rules benchmark: what the default rules cost ingest, and how fast a point becomes a ticket.

    .venv/bin/python bench/rules.py [--devices 10000] [--cycles 3] [--backend embedded|influxdb]

In one run, in process (no HTTP, so the rules' share is not diluted by request handling):

1. a SQLite database with one customer and ``--devices`` agent hosts (nodes and devices
   inserted directly), and a metric store (embedded SQLite, or a private influxd started like
   the tests start it), holding the last 25 minutes of every host (a sample every 2.5 minutes,
   written straight to the store): the state of a server that has been running for a while;
2. **ingest without rules**: every host sends one batch (its agent's usual mix: cpu total and
   per core, mem, system, two file systems, a network interface, failed services) per 10-second
   cycle, for ``--cycles`` cycles, through :class:`IngestService` (parse, schema checks,
   stamping, store write, batch record); the figure is points per second;
3. **ingest with the default rules**: the same into a fresh database and store, with the
   alerting hooks on ingest (the recent-samples memory, warmed with the same 25 minutes, and
   the arrival queue) and its arrival worker thread running beside it, as in the server.
   In the last cycle 1% of the hosts report a lower uptime than before (a reboot): the default
   ``host_reboot`` rule fires at once, and the time from the start of that host's ingest call
   to the commit of its ticket is the ingest-to-ticket latency (median and p99);
4. rule evaluations per second: (device, rule) evaluations the worker ran, over the time it was
   busy.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from vigil.agent.wire import Point, parse_line  # noqa: E402
from vigil.checks.engine import AlertEvent  # noqa: E402
from vigil.server.alerting.config import AlertingSettings  # noqa: E402
from vigil.server.alerting.driver import ARRIVAL_TYPES, AlertDriver  # noqa: E402
from vigil.server.alerting.install import ArrivalQueue, attach_to_ingest  # noqa: E402
from vigil.server.alerting.recent import RecentSamples  # noqa: E402
from vigil.server.alerting.source import MetricStoreSource  # noqa: E402
from vigil.server.config import IngestLimits, MetricsSettings  # noqa: E402
from vigil.server.db.migrate import upgrade  # noqa: E402
from vigil.server.db.models import Customer, Device, DeviceKind, Node, NodeKind, Site  # noqa: E402
from vigil.server.db.session import make_engine, make_sessionmaker  # noqa: E402
from vigil.server.metrics import MetricStore, open_store  # noqa: E402
from vigil.server.metrics.embedded import EmbeddedStore  # noqa: E402
from vigil.server.services.enrollment import NodeIdentity  # noqa: E402
from vigil.server.services.ingest import IngestService  # noqa: E402

NS = 1_000_000_000
CUSTOMER, SITE = "bench", "dc1"


def batch_lines(cycle: int, uptime_s: int) -> bytes:
    """One agent cycle: 9 lines, 52 fields (timestamps are the server's receive time)."""
    load = 0.2 + (cycle % 5) / 10
    lines = [
        f"cpu,cpu=total util_percent={12.5 + cycle % 7},user_percent=8.25,system_percent=3,iowait_percent=0.5,"
        f"steal_percent=0,idle_percent={87.5 - cycle % 7}",
        "cpu,cpu=0 util_percent=11.5,user_percent=8,system_percent=3,iowait_percent=0.5,idle_percent=88.5",
        "cpu,cpu=1 util_percent=13.5,user_percent=9,system_percent=4,iowait_percent=0.5,idle_percent=86.5",
        "mem total_bytes=34359738368i,used_bytes=12884901888i,available_bytes=21474836480i,cached_bytes=4294967296i,"
        "used_percent=37.5,swap_total_bytes=8589934592i,swap_used_bytes=0i,swap_used_percent=0",
        f"system load1={load * 8},load5=1.5,load15=1.2,load1_per_core={load},uptime_seconds={uptime_s}i,"
        "users_count=2i,processes_count=312i,zombies_count=0i",
        "disk,path=/,fstype=ext4 total_bytes=107374182400i,used_bytes=42949672960i,free_bytes=64424509440i,"
        "used_percent=40,inodes_total_count=6553600i,inodes_used_count=655360i,inodes_used_percent=10,readonly=0i",
        "disk,path=/var,fstype=xfs total_bytes=536870912000i,used_bytes=107374182400i,free_bytes=429496729600i,"
        "used_percent=20,inodes_total_count=26214400i,inodes_used_count=262144i,inodes_used_percent=1,readonly=0i",
        "net,interface=eth0 recv_bytes_per_second=125000,sent_bytes_per_second=98000,recv_errors_per_second=0,"
        "sent_errors_per_second=0,recv_drops_per_second=0,sent_drops_per_second=0,up=1i",
        "services,unit=_all failed_count=0i",
    ]
    return "\n".join(lines).encode()


POINTS_PER_BATCH = 9


@dataclass
class World:
    folder: Path
    sessions: sessionmaker[Session]
    store: MetricStore
    nodes: list[NodeIdentity] = field(default_factory=list)


WARM_SECONDS = 25 * 60
WARM_STEP_SECONDS = 150


def warm_points(world: World, now_ns: int) -> list[Point]:
    """The last 25 minutes of every host, identity stamped as ingest would."""
    points: list[Point] = []
    for step in range(WARM_SECONDS // WARM_STEP_SECONDS, 0, -1):
        time_ns = now_ns - step * WARM_STEP_SECONDS * NS
        for node in world.nodes:
            stamp = {"customer": CUSTOMER, "site": SITE, "host": node.name}
            for raw in batch_lines(step, 90_000 - step * WARM_STEP_SECONDS).decode().split("\n"):
                point = parse_line(raw, time_ns)
                # As ingest stores them: integers as floats (one type per field).
                fields = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                          for k, v in point.fields.items()}
                points.append(Point(point.measurement, {**point.tags, **stamp}, fields, time_ns))
    return points


def build_world(folder: Path, devices: int, backend: str, influx_url: str | None) -> World:
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'vigil.sqlite3'}"
    upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    if backend == "embedded":
        store: MetricStore = EmbeddedStore(
            folder / "metrics.sqlite3",
            raw_retention_days=40,
            rollup_retention_days=800,
            maintenance_interval_seconds=None,
        )
    else:
        settings = MetricsSettings(backend="influxdb", influx_url=influx_url, influx_database=f"b{folder.name}")
        store = open_store(settings, folder)
    world = World(folder, sessions, store)
    with sessions() as db, db.begin():
        customer = Customer(
            slug=CUSTOMER, name="Bench Co", timezone="Asia/Shanghai", report_contacts=[], notice_contacts=[]
        )
        db.add(customer)
        db.flush()
        site = Site(customer_id=customer.id, slug=SITE, name="DC 1")
        db.add(site)
        db.flush()
        nodes = [
            Node(
                public_id=secrets.token_hex(8),
                customer_id=customer.id,
                site_id=site.id,
                kind=NodeKind.agent,
                name=f"host{i:05d}",
                credential_hash=secrets.token_hex(32),
            )
            for i in range(devices)
        ]
        db.add_all(nodes)
        db.flush()
        db.add_all(
            Device(
                customer_id=customer.id,
                site_id=site.id,
                name=n.name,
                kind=DeviceKind.host,
                node_id=n.id,
                tags=[],
                inventory={},
            )
            for n in nodes
        )
        world.nodes = [
            NodeIdentity(n.id, n.public_id, NodeKind.agent, n.name, customer.id, CUSTOMER, site.id, SITE) for n in nodes
        ]
    return world


def warm(world: World, points: list[Point]) -> None:
    for start in range(0, len(points), 20_000):
        world.store.write(points[start : start + 20_000])


def ingest_cycle(
    service: IngestService, world: World, cycle: int, reboot_now: set[int], sent_at: dict[str, float]
) -> tuple[int, float]:
    """Every host sends one batch; returns (points, seconds)."""
    points = 0
    started = time.perf_counter()
    for index, node in enumerate(world.nodes):
        reboot = index in reboot_now
        body = batch_lines(cycle, 30 if reboot else 100_000 + cycle * 10)
        if reboot:
            sent_at[node.name] = time.perf_counter()
        result = service.ingest(node, f"{node.name}-{cycle}", body, None)
        if result.rejected:
            raise SystemExit(f"ingest rejected lines of {node.name}: {result.rejected}")
        points += result.accepted
    return points, time.perf_counter() - started


@dataclass
class WorkerStats:
    busy_seconds: float = 0.0
    evaluations: int = 0
    rounds: int = 0
    ticket_at: dict[str, float] = field(default_factory=dict)


def run_worker(driver: AlertDriver, queue: ArrivalQueue, stop: threading.Event, stats: WorkerStats) -> None:
    while not stop.is_set():
        keys = queue.take(0.2, 0.05)
        if not keys:
            continue
        started = time.perf_counter()
        summary = driver.evaluate(keys, types=ARRIVAL_TYPES)
        stats.busy_seconds += time.perf_counter() - started
        stats.evaluations += summary.evaluations
        stats.rounds += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--backend", choices=["embedded", "influxdb"], default="embedded")
    parser.add_argument("--reboot-share", type=float, default=0.01)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vigil-bench-rules-") as tmp:
        root = Path(tmp)
        influx_url = None
        influxd = None
        if args.backend == "influxdb":
            from tests.services.influxdb import start_influxd

            (root / "influxd").mkdir()
            influxd = start_influxd(root / "influxd")
            influx_url = influxd.url
        try:
            step = max(1, int(1 / args.reboot_share))
            rebooting = set(range(0, args.devices, step))

            plain = build_world(root / "plain", args.devices, args.backend, influx_url)
            ruled = build_world(root / "ruled", args.devices, args.backend, influx_url)
            started_ns = time.time_ns()
            history = warm_points(plain, started_ns)
            warm(plain, history)
            warm(ruled, history)
            # The memory has been filling since before the warm-up history began.
            recent = RecentSamples(MetricStoreSource(ruled.store), clock=lambda: started_ns - (WARM_SECONDS + 60) * NS)
            driver = AlertDriver(ruled.sessions, recent, inventory_ttl_seconds=3600)
            stats = WorkerStats()

            def on_events(events: list[AlertEvent]) -> None:
                now = time.perf_counter()
                for event in events:
                    if event.kind == "opened":
                        stats.ticket_at.setdefault(event.device, now)

            driver.listeners.append(on_events)
            driver.inventory()  # loaded once, as a running server holds it; plans the memory
            recent.add(history)
            del history
            queue = ArrivalQueue(AlertingSettings().device_interval_seconds)
            stop = threading.Event()
            worker = threading.Thread(target=run_worker, args=(driver, queue, stop, stats), daemon=True)
            worker.start()
            sent_at: dict[str, float] = {}
            plain_service = IngestService(plain.sessions, plain.store, IngestLimits())
            ruled_service = IngestService(ruled.sessions, ruled.store, IngestLimits())
            attach_to_ingest(ruled_service, recent, queue)  # as the server wires it
            # Cycles alternate between the two worlds, so a busy neighbour on the machine
            # slows both alike.
            plain_points = ruled_points = 0
            plain_seconds = ruled_seconds = 0.0
            for cycle in range(args.cycles):
                last = cycle == args.cycles - 1
                points, seconds = ingest_cycle(plain_service, plain, cycle, set(), {})
                plain_points, plain_seconds = plain_points + points, plain_seconds + seconds
                points, seconds = ingest_cycle(ruled_service, ruled, cycle, rebooting if last else set(), sent_at)
                ruled_points, ruled_seconds = ruled_points + points, ruled_seconds + seconds
            ingest_done = time.perf_counter()
            series_held, samples_held = recent.size()
            deadline = time.monotonic() + 120
            while len(stats.ticket_at) < len(sent_at) and time.monotonic() < deadline:
                time.sleep(0.05)
            drained_at = time.perf_counter()
            stop.set()
            worker.join()
        finally:
            if influxd is not None:
                influxd.stop()

    plain_rate = plain_points / plain_seconds
    ruled_rate = ruled_points / ruled_seconds
    latencies = sorted(stats.ticket_at[name] - sent_at[name] for name in sent_at if name in stats.ticket_at)
    print(
        f"backend {args.backend}, {args.devices} hosts x {args.cycles} cycles, "
        f"{POINTS_PER_BATCH} points a batch, {len(rebooting)} reboots in the last cycle"
    )
    print(f"ingest without rules   {plain_rate:12,.0f} points/s   ({plain_seconds:.1f} s)")
    print(
        f"ingest with the rules  {ruled_rate:12,.0f} points/s   ({ruled_seconds:.1f} s)  "
        f"= {ruled_rate / plain_rate:.2f} x without"
    )
    print(
        f"rule evaluations       {stats.evaluations / stats.busy_seconds:12,.0f} per s of worker time "
        f"({stats.evaluations:,} in {stats.rounds} rounds, {stats.busy_seconds:.1f} s busy; "
        f"queue drained {drained_at - ingest_done:.1f} s after the last batch)"
    )
    print(
        f"queries answered from memory {recent.answered:,}, passed to the store {recent.passed_on:,}; "
        f"memory holds {series_held:,} series, {samples_held:,} samples; "
        f"peak RSS of the whole bench {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
        print(
            f"ingest to ticket       median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
            f"({len(latencies)} of {len(sent_at)} tickets)"
        )
    else:
        print("ingest to ticket       no ticket opened")


if __name__ == "__main__":
    main()
