"""Footprint of the vigil agent beside Prometheus' node_exporter, measured in the same run.

Both run side by side on this machine for the same wall-clock time:

- the agent with every collector enabled at a 10-second interval (the slower families at their
  scaled defaults), shipping gzip batches to a small ingest sink in this process (a stdlib HTTP
  server that answers 200). It runs as deployed: from a virtual environment whose site-packages
  hold only ``vigil.agent`` and psutil, started with the very command ``install-service`` writes
  into the systemd unit (``vigil.agent.service.exec_start``); ``run`` then hands over to the lean
  ``vigil.agent.daemon`` process (same pid). It runs twice, side by side:
  ``agent-http`` ships over plain http to the sink on loopback (``ssl`` is never imported), and
  ``agent-https`` ships over https with a pinned CA (``--ca``) to a TLS sink, as a production
  server would be reached;
- Debian's ``prometheus-node-exporter`` with its default collectors, scraped every 10 seconds
  by this script (the scrape body is read and discarded).

For each we print the resident memory (median and peak of samples every 10 s), the unique
(private) memory the process alone holds (USS: shared library pages not counted), how much of
the RSS is libcrypto/libssl, and the CPU time (user + system, from /proc) spent after a warm-up,
as CPU seconds per hour; start-up cost is shown apart. Ratios are agent / node_exporter, with
the load average of the machine. This is a benchmark, not a test: it asserts nothing.

    .venv/bin/python bench/agent_footprint.py                  # 10 minutes (default)
    .venv/bin/python bench/agent_footprint.py --duration 120   # quicker, noisier
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from vigil.agent.enrollment import Credential, save_credential
from vigil.agent.service import exec_start

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Accepts ingest and inventory requests and counts them."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
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
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def tls_files(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A throw-away CA (its PEM file returned, for the agent to pin) and a server context it signed."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "footprint bench CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_file, server_file = folder / "ca.pem", folder / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_file)
    return ca_file, context


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


def tls_libs_bytes(pid: int) -> int:
    """Resident bytes of the libssl and libcrypto mappings (what https adds besides Python's own)."""
    total, counting = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and not head[0].endswith(":"):  # a mapping's first line: address range ... path
            counting = len(head) > 5 and ("libssl" in head[5] or "libcrypto" in head[5])
        elif counting and head[0] == "Rss:":
            total += int(head[1]) * 1024
    return total


def deployed_venv(work: Path) -> Path:
    """A virtual environment holding only vigil.agent and psutil, as a package install of the agent
    would (vigil.agent linked from this checkout). Returns its python."""
    import psutil

    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "vigil").mkdir()
    agent, psutil_dir = Path(__file__).resolve().parents[1] / "agent", Path(psutil.__file__).parent
    (site / "vigil" / "agent").symlink_to(agent)
    (site / "psutil").symlink_to(psutil_dir)
    # As pip does at install time: compiled modules, so no process compiles (and holds the memory).
    # (compileall does not follow the links, so the folders themselves.)
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(agent), str(psutil_dir)], check=True)
    return venv / "bin" / "python"


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
    work = Path(tempfile.mkdtemp(prefix="vigil-footprint-"))
    ca_file, server_tls = tls_files(work)
    sinks = {"agent-http": Sink(), "agent-https": Sink(server_tls)}
    python = deployed_venv(work)
    commands = {}
    for name, sink in sinks.items():
        state = work / name
        https = sink is sinks["agent-https"]
        url = f"{'https' if https else 'http'}://127.0.0.1:{sink.port}"
        save_credential(
            state / "credential.json",
            Credential(url, "bench", "bench-credential", "bench", "bench", name, str(ca_file) if https else ""),
        )
        config = work / f"{name}.toml"
        config.write_text(
            f'[agent]\nstate_dir = "{state}"\ninterval_seconds = {args.interval}\n'
            f'self_metrics_interval_seconds = {args.interval}\nlog_level = "warning"\n'
        )
        commands[name] = exec_start(str(python), config, state)
    exporter_port = free_port()
    print(f"agent command (as install-service writes it): {' '.join(commands['agent-http'])}")
    started = time.monotonic()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # nothing of this shell's Python setup
    agents = {name: subprocess.Popen(command, env=env) for name, command in commands.items()}
    node = subprocess.Popen(
        [exporter, f"--web.listen-address=127.0.0.1:{exporter_port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"
    procs = {**{name: proc.pid for name, proc in agents.items()}, "node_exporter": node.pid}
    samples: dict[str, list[int]] = {name: [] for name in procs}
    uss: dict[str, list[int]] = {name: [] for name in procs}
    tls_libs: dict[str, list[int]] = {name: [] for name in procs}
    loads: list[float] = []
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
                    loads.append(os.getloadavg()[0])
                    for name, pid in procs.items():
                        samples[name].append(rss_bytes(pid))
                        uss[name].append(uss_bytes(pid))
                        tls_libs[name].append(tls_libs_bytes(pid))
                next_tick += args.interval
            time.sleep(max(0.0, min(next_tick, end) - time.monotonic()))
        elapsed = time.monotonic() - base["_t"]
        final = {name: cpu_seconds(pid) for name, pid in procs.items()}
    finally:
        everything = [*agents.values(), node]
        for proc in everything:
            proc.terminate()
        for proc in everything:
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{when}: measured {elapsed:.0f} s after a {args.warmup:.0f} s warm-up; interval {args.interval:.0f} s")
    print(f"load average (1 min) while measuring: median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    for name, sink in sinks.items():
        print(f"{name} shipped {sink.requests} requests, {sink.bytes / 1024:.1f} KiB gzip")
    print(f"last node_exporter scrape {scrape_bytes} bytes")
    header = f"{'':16}{'RSS median MiB':>16}{'RSS peak MiB':>14}{'USS median MiB':>16}{'ssl libs MiB':>14}"
    print(header + f"{'CPU s/hour':>12}{'start-up CPU s':>16}")
    figures = {}
    for name in procs:
        rss = samples[name]
        per_hour = (final[name] - base[name]) / elapsed * 3600
        figures[name] = (statistics.median(rss), statistics.median(uss[name]), per_hour)
        print(
            f"{name:16}{statistics.median(rss) / 2**20:16.1f}{max(rss) / 2**20:14.1f}"
            f"{statistics.median(uss[name]) / 2**20:16.1f}{statistics.median(tls_libs[name]) / 2**20:14.1f}"
            f"{per_hour:12.2f}{base[name]:16.2f}"
        )
    n = figures["node_exporter"]
    for name in agents:
        a = figures[name]
        print(f"ratio {name}/node_exporter: RSS {a[0] / n[0]:.2f}x, USS {a[1] / n[1]:.2f}x, CPU {a[2] / n[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
