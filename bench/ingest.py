"""Ingest benchmark: points per second through the vigil server into each metric store.

    .venv/bin/python bench/ingest.py [--batches 40] [--profile DIR]

In one run, against a private influxd started like the tests start it (a temporary folder,
free loopback ports):

1. **direct**: the batches, identity tags already in them, POSTed straight to InfluxDB's
   ``/write`` (the reference);
2. **server → influxdb**: the same batches as an agent sends them (no identity tags) POSTed to
   ``/api/v1/ingest`` of a real vigil server (uvicorn in a subprocess, SQLite database), which
   checks, stamps and writes them to InfluxDB through the metric store, with the default rules
   engine running (the alerting hooks and the arrival worker);
3. **same, rules off**: the same server with ``[extra_sections.alerting] enabled = false``:
   the ingest path alone;
4. **server → embedded**: the same into a server on the embedded SQLite store;
5. in-process breakdowns without HTTP: ``parse_line`` alone, the strict ``LineChecker.check``
   (parse, schema checks, stamping), the server's ``BatchChecker`` (its fast path for series
   heads it has seen, see server/services/ingest_check.py), ``wire.encode`` and the InfluxDB
   store's ``LineEncoder``, and ``store.write`` of parsed points for each backend.

Batches are 5,000 lines of a host agent's usual mix (cpu per core, mem, disk, diskio, net),
sent one after another over one keep-alive connection (``--senders N``: N such connections at
once, for both the direct and the server paths), after two warm-up batches. The HTTP
paths take turns in ``--rounds`` rounds (each round a share of the batches per path), so a
change in the machine's load during the run hits all of them alike. The figures
are points (lines) per second; ratios are against the direct rate of the same run, overall and
per round (median and range: the steadier figure on a shared machine).
``--profile DIR`` samples the server process with py-spy during step 2 and prints where its
time goes (self time per function, and inclusive time of a few stages).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from vigil.agent.wire import Point, encode, parse_line  # noqa: E402

from tests.services.influxdb import InfluxServer, start_influxd  # noqa: E402
from tests.services.ports import free_port  # noqa: E402

LINES_PER_BATCH = 5000
NS = 1_000_000_000


def agent_points(count: int, start_ns: int) -> list[Point]:
    """``count`` points of a host agent's mix, 10 s apart per cycle, oldest first."""
    points: list[Point] = []
    step = 0
    while len(points) < count:
        t = start_ns + step * 10 * NS
        for cpu in ["total", *map(str, range(16))]:
            fields = {"util_percent": 12.5 + step % 7, "user_percent": 8.25, "system_percent": 3.0}
            fields |= {"iowait_percent": 0.5, "steal_percent": 0.0, "idle_percent": 87.5 - step % 7}
            points.append(Point("cpu", {"cpu": cpu}, fields, t))  # type: ignore[arg-type]
        points.append(
            Point(
                "mem",
                {},
                {
                    "total_bytes": 34359738368,
                    "used_bytes": 12884901888 + step,
                    "available_bytes": 21474836480 - step,
                    "cached_bytes": 4294967296,
                    "used_percent": 37.5,
                    "swap_total_bytes": 8589934592,
                    "swap_used_bytes": 0,
                    "swap_used_percent": 0.0,
                },
                t,
            )
        )
        for path in ("/", "/var", "/home", "/data"):
            points.append(
                Point(
                    "disk",
                    {"path": path, "fstype": "ext4", "device_name": "sda1"},
                    {"total_bytes": 500107862016, "used_bytes": 250053931008 + step, "used_percent": 50.0},
                    t,
                )
            )
        for name in ("sda", "sdb", "nvme0n1"):
            points.append(
                Point(
                    "diskio",
                    {"name": name},
                    {
                        "read_bytes_per_second": 1048576.0,
                        "write_bytes_per_second": 524288.0 + step,
                        "busy_percent": 3.5,
                    },
                    t,
                )
            )
        for interface in ("eth0", "eth1", "lo"):
            points.append(
                Point(
                    "net",
                    {"interface": interface},
                    {
                        "recv_bytes_per_second": 125000.0 + step,
                        "sent_bytes_per_second": 64000.0,
                        "recv_packets_per_second": 900.0,
                        "sent_packets_per_second": 450.0,
                        "up": 1,
                        "speed_bits_per_second": 1000000000,
                    },
                    t,
                )
            )
        step += 1
    return points[:count]


def stamp(points: list[Point], identity: dict[str, str]) -> list[Point]:
    return [Point(p.measurement, {**p.tags, **identity}, p.fields, p.time_ns) for p in points]


def batches_of(points: list[Point]) -> list[bytes]:
    return [encode(points[i : i + LINES_PER_BATCH]) for i in range(0, len(points), LINES_PER_BATCH)]


@dataclass
class Rate:
    lines: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.lines / self.seconds


def _post_serial(url: str, bodies: list[bytes], headers: dict[str, str], ingest: bool) -> int:
    lines = 0
    with httpx.Client(timeout=120) as client:
        for body in bodies:
            extra = {"X-Vigil-Batch-Id": uuid.uuid4().hex} if ingest else {}
            response = client.post(url, content=body, headers={**headers, **extra})
            if response.status_code not in (200, 204):
                raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
            if ingest:
                answer = response.json()
                if answer["rejected"]:
                    raise RuntimeError(f"lines rejected: {answer['rejected'][:3]}")
                lines += answer["accepted"]
            else:
                lines += body.count(b"\n")
    return lines


def post_all(url: str, bodies: list[bytes], headers: dict[str, str], ingest: bool, senders: int = 1) -> Rate:
    """POST the bodies from ``senders`` threads (each with its own keep-alive connection)."""
    shares = [bodies[i::senders] for i in range(senders)]
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        lines = sum(pool.map(lambda share: _post_serial(url, share, headers, ingest), shares))
    return Rate(lines, time.perf_counter() - started)


# ---- the server under test, in its own process ----


def serve(config_path: str, port: int) -> None:
    from vigil.server.app import serve
    from vigil.server.config import Settings

    settings = Settings(**json.loads(Path(config_path).read_text()))
    serve(settings, "127.0.0.1", port, log_level="warning", access_log=False)


@dataclass
class Server:
    url: str
    credential: str
    identity: dict[str, str]
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_server(folder: Path, metrics: dict[str, Any], extra_sections: dict[str, Any] | None = None) -> Server:
    from vigil.server.config import Settings
    from vigil.server.context import build_context
    from vigil.server.db.migrate import upgrade

    from tests.seed import seed_tenants

    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "data_dir": str(folder / "data"),
        "database_url": f"sqlite:///{folder / 'vigil.sqlite3'}",
        "secret_key": "bench-secret-key",
        "metrics": metrics,
        "extra_sections": extra_sections or {},
    }
    upgrade(config["database_url"])
    ctx = build_context(Settings(**config))
    seed = seed_tenants(ctx)
    ctx.close()
    (folder / "settings.json").write_text(json.dumps(config))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(folder / "settings.json"), str(port)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                identity = {"customer": seed.a.slug, "site": "main", "host": f"{seed.a.slug}-agent"}
                return Server(url, seed.a.agent_credential, identity, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the vigil server did not start")


def _ingest_headers(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credential}", "Content-Type": "text/plain"}


def warm_up(server: Server, bodies: list[bytes]) -> None:
    post_all(f"{server.url}/api/v1/ingest", bodies, _ingest_headers(server), ingest=True)


def run_server_path(server: Server, bodies: list[bytes], senders: int) -> Rate:
    return post_all(f"{server.url}/api/v1/ingest", bodies, _ingest_headers(server), ingest=True, senders=senders)


def start_profiler(server: Server, output: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the server process (all threads) until sent SIGINT."""
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.process.pid)]
        + ["--format", "raw", "--rate", "200", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    return spy


def check_rate(lines: list[str], identity: dict[str, str]) -> tuple[Rate, Rate]:
    """The ingest's per-line work without HTTP: parse, check against the schema, stamp. First
    the strict path alone (``LineChecker``), then the server's ``BatchChecker`` (fast path for
    heads it has seen, strict for the rest) over 5,000-line batches, second pass timed."""
    from vigil.server.config import IngestLimits
    from vigil.server.db.models import NodeKind
    from vigil.server.services.enrollment import NodeIdentity
    from vigil.server.services.ingest_check import BatchChecker, LineChecker

    node = NodeIdentity(1, "bench", NodeKind.agent, identity["host"], 1, identity["customer"], 1, identity["site"])
    checker = LineChecker(node, IngestLimits(), frozenset(), time.time_ns())
    started = time.perf_counter()
    for line in lines:
        checker.check(line)
    strict = Rate(len(lines), time.perf_counter() - started)
    batches = ["\n".join(lines[i : i + LINES_PER_BATCH]).encode() for i in range(0, len(lines), LINES_PER_BATCH)]
    fast = BatchChecker(IngestLimits())
    fast.check(node, frozenset(), batches[0], time.time_ns(), [])  # learns the heads
    started = time.perf_counter()
    accepted = sum(len(fast.check(node, frozenset(), batch, time.time_ns(), [])) for batch in batches)
    return strict, Rate(accepted, time.perf_counter() - started)


# ---- profiling ----


STAGES = (
    "IngestService.ingest",
    "decompress",
    "LineChecker.check",
    "BatchChecker.check",
    "AcceptedBatch.line_protocol",
    "_V1Pipeline.send",
    "parse_line",
    "InfluxStore.write",
    "EmbeddedStore.write",
    "check_points",
    "encode",
    "V1Writer.write",
    "IngestService._record",
    "IngestService._device_names",
)


def _function(frame: str) -> str:
    """``name (path:line)`` -> ``name (path)``: time per function, not per line."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def profile_summary(raw: Path, top: int = 15) -> str:
    """Self time per function and inclusive time of the ingest stages, from py-spy's raw output.

    Percentages are of the samples of the server's threads while the batches ran, idle
    threads included (a thread waiting in ``select`` shows as self time there).
    """
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";")]
        total += count
        self_time[frames[-1]] += count
        for name in {f.partition(" (")[0] for f in frames}:
            inclusive[name] += count
    busy = total - sum(n for name, n in self_time.items() if "select" in name or "wait" in name.lower())
    out = [f"samples: {total}, of which not waiting: {busy}", "self time (share of busy samples):"]
    out += [
        f"  {100 * n / busy:5.1f}%  {name}"
        for name, n in self_time.most_common(top + 5)
        if "select" not in name and "wait" not in name.lower()
    ][:top]
    out.append("inclusive time of the ingest stages (share of busy samples):")
    out += [f"  {100 * inclusive[name] / busy:5.1f}%  {name}" for name in STAGES if inclusive[name]]
    return "\n".join(out)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_paths(
    args: argparse.Namespace, folder: Path, influx: InfluxServer, points: list[Point]
) -> tuple[dict[str, Rate], dict[str, list[float]], dict[str, tuple[float, float]]]:
    """Direct /write and the servers, in interleaved rounds so load changes hit all alike.
    Returns the rates; per server path, its ratio to the direct rate in each round; and per
    path the CPU milliseconds per batch of the vigil server process and of influxd."""
    influx_url = influx.url
    results: dict[str, Rate] = {}
    ratios: dict[str, list[float]] = {}
    cpu: dict[str, tuple[float, float]] = {}
    servers: list[Server] = []
    spy: subprocess.Popen[bytes] | None = None
    try:
        influx_metrics = {"backend": "influxdb", "influx_url": influx_url, "influx_database": "bench_server"}
        server = start_server(folder / "server-influx", influx_metrics)
        servers.append(server)
        # The same server with the rules engine switched off: the ingest path alone.
        bare_metrics = {**influx_metrics, "influx_database": "bench_server_bare"}
        bare = start_server(folder / "server-influx-bare", bare_metrics, {"alerting": {"enabled": False}})
        servers.append(bare)
        embedded = start_server(folder / "server-embedded", {"backend": "embedded"})
        servers.append(embedded)
        bodies = batches_of(points)
        stamped = batches_of(stamp(points, server.identity))
        httpx.post(f"{influx_url}/query", data={"q": "CREATE DATABASE bench_direct"})
        direct_url = f"{influx_url}/write?db=bench_direct&precision=ns"
        post_all(direct_url, stamped[:2], {}, ingest=False)
        for target in servers:
            warm_up(target, bodies[:2])
        if args.profile:
            spy = start_profiler(server, args.profile / "server-influxdb.txt")
        pids = {
            "direct /write": None,
            "server -> influxdb": server.process.pid,
            "  same, rules off": bare.process.pid,
            "server -> embedded": embedded.process.pid,
        }
        paths = {
            "direct /write": lambda share: post_all(direct_url, share[1], {}, False, args.senders),
            "server -> influxdb": lambda share: run_server_path(server, share[0], args.senders),
            "  same, rules off": lambda share: run_server_path(bare, share[0], args.senders),
            "server -> embedded": lambda share: run_server_path(embedded, share[0], args.senders),
        }
        for round_number in range(args.rounds):
            share = (bodies[2 + round_number :: args.rounds], stamped[2 + round_number :: args.rounds])
            direct_rate = 0.0
            for name, run in paths.items():
                pid = pids[name]
                server_before = cpu_seconds(pid) if pid else 0.0
                influx_before = cpu_seconds(influx.process.pid)
                rate = run(share)
                server_ms, influx_ms = cpu.get(name, (0.0, 0.0))
                cpu[name] = (
                    server_ms + (cpu_seconds(pid) - server_before if pid else 0.0),
                    influx_ms + cpu_seconds(influx.process.pid) - influx_before,
                )
                before = results.get(name, Rate(0, 0.0))
                results[name] = Rate(before.lines + rate.lines, before.seconds + rate.seconds)
                if name == "direct /write":
                    direct_rate = rate.per_second
                else:
                    ratios.setdefault(name, []).append(rate.per_second / direct_rate)
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        for target in servers:
            target.stop()
    per_batch = {}
    for name, (server_s, influx_s) in cpu.items():
        batches = results[name].lines / LINES_PER_BATCH
        per_batch[name] = (1000 * server_s / batches, 1000 * influx_s / batches)
    return results, ratios, per_batch


def in_process(folder: Path, influx_url: str, points: list[Point]) -> dict[str, Rate]:
    """The stages of the server's path without HTTP, one after another, same lines."""
    from vigil.server.config import MetricsSettings
    from vigil.server.metrics import open_store
    from vigil.server.metrics.line_encoder import LineEncoder

    identity = {"customer": "bench", "site": "main", "host": "bench-agent"}
    results: dict[str, Rate] = {}
    text_lines = [line for body in batches_of(points) for line in body.decode().splitlines()]
    started = time.perf_counter()
    parsed = [parse_line(line) for line in text_lines]
    results["parse_line only"] = Rate(len(parsed), time.perf_counter() - started)
    results["LineChecker.check"], results["BatchChecker.check"] = check_rate(text_lines, identity)
    parsed = stamp(parsed, identity)
    for name, encode_batch in (("wire.encode", encode), ("LineEncoder.encode", LineEncoder().encode)):
        started = time.perf_counter()
        for i in range(0, len(parsed), LINES_PER_BATCH):
            encode_batch(parsed[i : i + LINES_PER_BATCH])
        results[name] = Rate(len(parsed), time.perf_counter() - started)
    stores = {
        "store.write influxdb": MetricsSettings(
            backend="influxdb", influx_url=influx_url, influx_database="bench_store"
        ),
        "store.write embedded": MetricsSettings(backend="embedded", path=folder / "store.sqlite3"),
    }
    for name, settings in stores.items():
        store = open_store(settings, folder)
        try:
            started = time.perf_counter()
            for i in range(0, len(parsed), LINES_PER_BATCH):
                store.write(parsed[i : i + LINES_PER_BATCH])
            results[name] = Rate(len(parsed), time.perf_counter() - started)
        finally:
            store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=40, help="timed 5,000-line batches (plus 2 warm-up)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds over the three HTTP paths")
    parser.add_argument("--senders", type=int, default=1, help="concurrent senders, each on its own connection")
    parser.add_argument("--profile", type=Path, help="folder for py-spy output of the server (InfluxDB run)")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    count = (args.batches + 2) * LINES_PER_BATCH
    points = agent_points(count, time.time_ns() - 6 * 86400 * NS)  # inside the ingest's 7-day window
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as folder_name:
        folder = Path(folder_name)
        (folder / "influxd").mkdir()
        influx = start_influxd(folder / "influxd")
        try:
            results, ratios, cpu = http_paths(args, folder, influx, points)
            results |= in_process(folder, influx.url, points[2 * LINES_PER_BATCH :])
        finally:
            influx.stop()

    direct = results["direct /write"].per_second
    print(
        f"{args.batches} batches of {LINES_PER_BATCH} lines in {args.rounds} interleaved rounds,"
        f" {args.senders} sender(s), CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'path':<24}{'points/s':>12}{'vs direct':>11}  per round: median (range)"
        "  CPU ms per batch: vigil server, influxd"
    )
    for name, rate in results.items():
        line = f"{name:<24}{rate.per_second:>12,.0f}{rate.per_second / direct:>10.0%}"
        if name in ratios:
            low, mid, high = min(ratios[name]), statistics.median(ratios[name]), max(ratios[name])
            line += f"  {mid:>6.0%} ({low:.0%}-{high:.0%})"
        if name in cpu:
            line = f"{line:<60}  {cpu[name][0]:6.1f} {cpu[name][1]:6.1f}"
        print(line)
    if args.profile:
        print()
        print(profile_summary(args.profile / "server-influxdb.txt"))


if __name__ == "__main__":
    main()
