"""Footprint of the vigil agent beside Prometheus' node_exporter, measured in the same run.

Both run side by side on this machine for the same wall-clock time:

- the agent (``python -m vigil.agent.cli run``) with every collector enabled at a 10-second
  interval (the slower families at their scaled defaults), shipping gzip batches to a small
  ingest sink on loopback (a stdlib HTTP server in this process that answers 200). It runs
  twice: ``agent`` as deployed, with only ``vigil.agent`` and psutil on its path
  (``python -S``, so none of the development venv's ``.pth`` hooks run), and ``agent-devvenv``
  from the development venv, for comparison;
- Debian's ``prometheus-node-exporter`` with its default collectors, scraped every 10 seconds
  by this script (the scrape body is read and discarded).

For each we print the resident memory (median and peak of samples every 10 s), the unique
(private) memory the process alone holds (USS: shared library pages not counted), and the CPU time
(user + system, from /proc) spent after a warm-up, as CPU seconds per hour; start-up cost is
shown apart. Ratios are agent / node_exporter. This is a benchmark, not a test: it asserts
nothing.

    .venv/bin/python bench/agent_footprint.py                  # 10 minutes (default)
    .venv/bin/python bench/agent_footprint.py --duration 120   # quicker, noisier
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vigil.agent.enrollment import Credential, save_credential

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Accepts ingest and inventory requests and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _ok(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.requests += 1
                sink.bytes += len(body)
                data = json.dumps({"batch_id": "", "accepted": 0, "rejected": [], "replayed": False}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

            do_POST = _ok  # noqa: N815
            do_PUT = _ok  # noqa: N815

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES


def uss_bytes(pid: int) -> int:
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1]) * 1024
    return total


def deployed_layout(work: Path) -> Path:
    """A folder holding only vigil.agent and psutil, as a package install of the agent would."""
    import psutil

    lib = work / "lib"
    (lib / "vigil").mkdir(parents=True)
    (lib / "vigil" / "agent").symlink_to(Path(__file__).resolve().parents[1] / "agent")
    (lib / "psutil").symlink_to(Path(psutil.__file__).parent)
    return lib


def scrape(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - loopback only
        return len(reply.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="measured seconds after warm-up")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before measuring")
    parser.add_argument("--interval", type=float, default=10.0, help="agent interval and scrape period")
    args = parser.parse_args()

    exporter = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if exporter is None:
        print("prometheus-node-exporter is not installed (apt-get install -y prometheus-node-exporter)")
        return 2
    sink = Sink()
    work = Path(tempfile.mkdtemp(prefix="vigil-footprint-"))
    state = work / "state"
    save_credential(
        state / "credential.json",
        Credential(f"http://127.0.0.1:{sink.port}", "bench", "bench-credential", "bench", "bench", "bench"),
    )
    config = work / "agent.toml"
    config.write_text(
        f'[agent]\nstate_dir = "{state}"\ninterval_seconds = {args.interval}\n'
        f'self_metrics_interval_seconds = {args.interval}\nlog_level = "warning"\n'
    )
    exporter_port = free_port()
    config_dev = work / "agent-dev.toml"
    config_dev.write_text(config.read_text().replace(str(state), str(work / "state-dev")))
    save_credential(work / "state-dev" / "credential.json", Credential(f"http://127.0.0.1:{sink.port}", *["b"] * 5))
    lib = deployed_layout(work)
    started = time.monotonic()
    agent = subprocess.Popen(
        [sys.executable, "-S", "-m", "vigil.agent.cli", "--config", str(config), "run"],
        env={"PYTHONPATH": str(lib), "PATH": os.environ.get("PATH", "")},
    )
    agent_dev = subprocess.Popen([sys.executable, "-m", "vigil.agent.cli", "--config", str(config_dev), "run"])
    node = subprocess.Popen(
        [exporter, f"--web.listen-address=127.0.0.1:{exporter_port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"
    procs = {"agent": agent.pid, "agent-devvenv": agent_dev.pid, "node_exporter": node.pid}
    samples: dict[str, list[int]] = {name: [] for name in procs}
    uss: dict[str, list[int]] = {name: [] for name in procs}
    scrape_bytes = 0
    try:
        next_tick = time.monotonic()
        base: dict[str, float] = {}
        measure_from = started + args.warmup
        end = measure_from + args.duration
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_tick:
                try:
                    scrape_bytes = scrape(metrics_url)
                except OSError:
                    pass  # not up yet
                if now >= measure_from:
                    if not base:
                        base = {name: cpu_seconds(pid) for name, pid in procs.items()}
                        base["_t"] = now
                    for name, pid in procs.items():
                        samples[name].append(rss_bytes(pid))
                        uss[name].append(uss_bytes(pid))
                next_tick += args.interval
            time.sleep(max(0.0, min(next_tick, end) - time.monotonic()))
        elapsed = time.monotonic() - base["_t"]
        final = {name: cpu_seconds(pid) for name, pid in procs.items()}
    finally:
        for proc in (agent, agent_dev, node):
            proc.terminate()
        for proc in (agent, agent_dev, node):
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"measured {elapsed:.0f} s after a {args.warmup:.0f} s warm-up; interval {args.interval:.0f} s")
    print(f"agent shipped {sink.requests} requests, {sink.bytes / 1024:.1f} KiB gzip; last scrape {scrape_bytes} bytes")
    header = f"{'':16}{'RSS median MiB':>16}{'RSS peak MiB':>14}{'USS median MiB':>16}{'CPU s/hour':>12}"
    print(header + f"{'start-up CPU s':>16}")
    figures = {}
    for name in procs:
        rss = samples[name]
        per_hour = (final[name] - base[name]) / elapsed * 3600
        figures[name] = (statistics.median(rss), statistics.median(uss[name]), per_hour)
        print(
            f"{name:16}{statistics.median(rss) / 2**20:16.1f}{max(rss) / 2**20:14.1f}"
            f"{statistics.median(uss[name]) / 2**20:16.1f}{per_hour:12.2f}{base[name]:16.2f}"
        )
    n = figures["node_exporter"]
    for name in ("agent", "agent-devvenv"):
        a = figures[name]
        print(f"ratio {name}/node_exporter: RSS {a[0] / n[0]:.2f}x, USS {a[1] / n[1]:.2f}x, CPU {a[2] / n[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
