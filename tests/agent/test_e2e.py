"""The agent against the real vigil server (uvicorn on loopback, SQLite, embedded metric store):
enrol with a token, ship every family, land in the metric store, inventory on the device,
replays dropped by batch id, a revoked credential refused."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
from vigil.agent.cli import main
from vigil.agent.config import RetrySection, from_dict
from vigil.agent.enrollment import load_credential
from vigil.agent.runner import Agent
from vigil.agent.sender import Batcher, Sender
from vigil.agent.spool import Spool
from vigil.agent.transport import HttpClient
from vigil.agent.wire import Point

from tests.agent.test_runner import fast_config
from tests.services.live_server import LiveServer

FAMILIES = {
    "cpu": "util_percent",
    "mem": "used_bytes",
    "disk": "used_bytes",
    "diskio": "read_bytes_per_second",
    "net": "recv_bytes_per_second",
    "system": "uptime_seconds",
    "procstat": "rss_bytes",
    "agent": "spool_bytes",
}


def _token(live: LiveServer) -> str:
    answer = httpx.post(
        f"{live.url}/api/v1/enrollment-tokens",
        json={"customer_id": live.seed.a.customer_id, "site_id": live.seed.a.site_id, "kind": "agent"},
        headers=live.seed.auth("admin"),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_enrolled_agent_ships_every_family_into_the_metric_store(tmp_path: Path, live_server: LiveServer) -> None:
    state = tmp_path / "state"
    token = _token(live_server)
    args = ["--state-dir", str(state), "enroll", "--server", live_server.url, "--token", token, "--name", "e2e-host"]
    assert main(args) == 0
    config = from_dict(fast_config(state, interval=0.3))
    agent = Agent(config)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    thread.start()
    identity = {"customer": "acme", "host": "e2e-host"}

    def landed() -> set[str]:
        return {m for m, f in FAMILIES.items() if live_server.ctx.metrics.latest(m, f, identity)}

    try:
        _wait(lambda: landed() == set(FAMILIES) and agent.inventory_sent > 0)
    finally:
        stop.set()
        thread.join(30)
    assert agent.sender is not None
    assert agent.sender.stats.rejected_lines == 0 and agent.sender.stats.refused_points == 0
    mem = live_server.ctx.metrics.latest("mem", "total_bytes", identity)
    assert mem and mem[0].value == float(Path("/proc/meminfo").read_text().split()[1]) * 1024
    admin = live_server.seed.auth("admin")
    devices = httpx.get(f"{live_server.url}/api/v1/devices", headers=admin).json()
    host = next(d for d in devices if d["name"] == "e2e-host")
    assert host["inventory"]["cpu_threads"] and host["inventory"]["interfaces"]
    nodes = httpx.get(f"{live_server.url}/api/v1/nodes", headers=admin).json()
    node = next(n for n in nodes if n["name"] == "e2e-host")
    assert node["last_seen_at"] and node["version"]


def test_replays_are_dropped_and_a_revoked_credential_is_refused(tmp_path: Path, live_server: LiveServer) -> None:
    state = tmp_path / "state"
    assert main(["--state-dir", str(state), "enroll", "--server", live_server.url, "--token", _token(live_server)]) == 0
    cred = load_credential(state / "credential.json")
    retry = RetrySection(initial_backoff_seconds=0.01, max_backoff_seconds=0.05)
    now = time.time_ns()
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    batcher = Batcher(spool, max_bytes=1 << 16, max_age_seconds=60)
    batcher.add([Point("mem", {}, {"used_percent": 10.0 + i}, now + i * 10**9) for i in range(3)])
    batcher.flush()
    # An agent delivered the batch and died before acknowledging it in its spool...
    batch = spool.peek()
    assert batch is not None
    headers = {"Authorization": f"Bearer {cred.credential}", "X-Vigil-Batch-Id": batch.batch_id}
    first = HttpClient(live_server.url).request(
        "POST", "/api/v1/ingest", batch.payload, {**headers, "Content-Encoding": "gzip"}
    )
    assert first.status == 200 and first.json()["accepted"] == 3
    # ...so after the restart it goes again, with the same batch id.
    sender = Sender(spool, HttpClient(live_server.url), cred.credential, retry, random.Random(1))
    assert sender.send_one().kind == "sent"
    assert sender.stats.replayed_batches == 1
    from vigil.server.metrics.base import SeriesQuery

    host = cred.name
    query = SeriesQuery("mem", "used_percent", now - 10**9, now + 10 * 10**9, {"host": host}, aggregate="count")
    assert live_server.ctx.metrics.query(query)[0].rows[0][1] == 3  # stored once

    nodes = httpx.get(f"{live_server.url}/api/v1/nodes", headers=live_server.seed.auth("admin")).json()
    node_id = next(n["id"] for n in nodes if n["public_id"] == cred.node_id)
    revoked = httpx.post(f"{live_server.url}/api/v1/nodes/{node_id}/revoke", headers=live_server.seed.auth("admin"))
    assert revoked.status_code == 200
    batcher = Batcher(spool, max_bytes=1 << 16, max_age_seconds=60)
    batcher.add([Point("mem", {}, {"used_percent": 50.0}, now + 100 * 10**9)])
    batcher.flush()
    outcome = sender.send_one()
    assert (outcome.kind, outcome.status) == ("refused", 401)
    assert sender.stats.refused_points == 1 and spool.stats().pending_batches == 0
    spool.close()


def test_families_this_host_cannot_produce_are_accepted_by_the_server(tmp_path: Path, live_server: LiveServer) -> None:
    """This machine has no systemd and no sensors; their lines, shaped exactly as the collectors
    shape them, must still pass the server's schema."""
    state = tmp_path / "state"
    assert main(["--state-dir", str(state), "enroll", "--server", live_server.url, "--token", _token(live_server)]) == 0
    cred = load_credential(state / "credential.json")
    now = time.time_ns()
    points = [
        Point("services", {"unit": "_all"}, {"failed_count": 1}, now),
        Point("services", {"unit": "nginx.service"}, {"failed": 1}, now),
        Point(
            "sensors", {"sensor": "coretemp/Package_id_0", "kind": "temperature"}, {"temperature_celsius": 51.0}, now
        ),
        Point("sensors", {"sensor": "thinkpad/fan1", "kind": "fan"}, {"fan_rpm": 2100.0}, now),
        Point("sensors", {"sensor": "battery", "kind": "battery"}, {"battery_percent": 87.0}, now),
    ]
    with Spool(tmp_path / "spool", max_bytes=1 << 20) as spool:
        batcher = Batcher(spool, max_bytes=1 << 16, max_age_seconds=60)
        batcher.add(points)
        batcher.flush()
        sender = Sender(spool, HttpClient(live_server.url), cred.credential, RetrySection(), random.Random(1))
        assert sender.send_one().kind == "sent"
        assert sender.stats.rejected_lines == 0
    identity = {"host": cred.name}
    assert live_server.ctx.metrics.latest("services", "failed_count", identity)[0].value == 1
    assert live_server.ctx.metrics.latest("sensors", "fan_rpm", identity)[0].value == 2100.0
