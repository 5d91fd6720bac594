"""The server goes away and comes back: the collector keeps polling its last device list, the
points wait in the agent's durable spool, and arrive once the server is back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import uvicorn
from vigil.collector.cli import main as collector_main
from vigil.collector.service import CollectorService, ServiceSettings
from vigil.server.app import create_app
from vigil.server.context import build_context
from vigil.server.metrics.base import SeriesQuery

from tests.services.live_server import LiveServer
from tests.services.snmpd import Snmpd


def wait_for(check, timeout_seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_points_collected_during_an_outage_arrive_later(live_server: LiveServer, snmpd: Snmpd,
                                                        tmp_path: Path) -> None:
    seed, url = live_server.seed, live_server.url
    admin = seed.auth("admin")
    token = httpx.post(f"{url}/api/v1/enrollment-tokens", headers=admin, json={
        "customer_id": seed.a.customer_id, "site_id": seed.a.site_id, "kind": "collector"}).json()["token"]
    state = tmp_path / "collector"
    assert collector_main(["enroll", "--server", url, "--token", token, "--name", "outage-col",
                           "--state-dir", str(state)]) == 0
    node_id = next(n["id"] for n in httpx.get(f"{url}/api/v1/nodes", headers=admin).json() if n["name"] == "outage-col")
    device = httpx.post(f"{url}/api/v1/devices", headers=admin, json={
        "customer_id": seed.a.customer_id, "site_id": seed.a.site_id, "name": "outage-sw", "kind": "switch",
        "mgmt_address": "127.0.0.1", "node_id": node_id}).json()
    httpx.put(f"{url}/api/v1/devices/{device['id']}/credentials", headers=admin, json={
        "snmp": {"version": "2c", "port": snmpd.port, "community": "public"}}).raise_for_status()

    service = CollectorService(ServiceSettings(state, interval_seconds=1.0, fsync=False))
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    server: uvicorn.Server | None = None
    try:
        wait_for(lambda: bool(live_server.ctx.metrics.latest("snmp", "up", {"device": "outage-sw"})), 30,
                 "the first points")
        live_server.stop()
        outage_started = time.time_ns()
        assert service.collector is not None and service.spool is not None
        cycles = service.collector.cycles
        wait_for(lambda: service.collector.cycles >= cycles + 3 and service.spool.stats().pending_batches > 0,
                 30, "cycles during the outage")  # type: ignore[union-attr]
        outage_ended = time.time_ns()

        ctx = build_context(live_server.settings)
        port = int(url.rsplit(":", 1)[1])
        server = uvicorn.Server(uvicorn.Config(create_app(live_server.settings, ctx), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        wait_for(lambda: service.spool.stats().pending_batches == 0, 60, "the spool to drain")  # type: ignore[union-attr]
        during = ctx.metrics.query(SeriesQuery("snmp", "up", outage_started, outage_ended,
                                               {"device": "outage-sw"}, aggregate="count"))
        assert during and sum(v for s in during for _, v in s.rows if v) >= 3
    finally:
        stop.set()
        thread.join(30)
        if server is not None:
            server.should_exit = True
