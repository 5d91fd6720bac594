"""Session data for the dashboard tests: real metrics in a real InfluxDB, real tickets in a
real PostgreSQL.

- ``dashboard_metrics``: the vigil server (uvicorn on loopback) storing into the session's
  InfluxDB (``metrics.backend = influxdb``), fed by the REAL agent (``vigil.agent.runner.Agent``
  running every collector on this machine, shipping through its spool and sender) and by the
  REAL site collector (``vigil.collector.runner.Collector``, two cycles over snmpsim recordings
  of a Cisco switch, an Eaton UPS and an APC PDU and over net-snmp's snmpd, with TCP reachability
  checks), whose points are posted as line protocol to ``/api/v1/ingest`` with the collector's
  credential, so the server stamps customer, site and collector exactly as in production.
- ``desk_dsn``: a PostgreSQL database migrated by vigil's migrations, with tickets (desk_data.py).
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from vigil.agent.config import from_dict
from vigil.agent.enrollment import Credential
from vigil.agent.runner import Agent
from vigil.agent.wire import Point, encode
from vigil.collector.config import (
    CollectorConfig,
    DeviceConfig,
    PingSettings,
    SnmpCommunityCredential,
    SnmpSettings,
)
from vigil.collector.runner import Collector
from vigil.server.config import MetricsSettings, Settings

from tests.dashboards.desk_data import seed_desk
from tests.services import snmpd as snmpd_service
from tests.services import snmpsim as snmpsim_service
from tests.services.live_server import start_live_server
from tests.services.postgres import PostgresServer, fresh_postgres_url

DATABASE = "vigil_dashboards"
# device name -> (snmpsim community or None for snmpd, device kind)
DEVICES = {
    "acme-core-switch": ("cisco-c3560", "switch"),
    "acme-ups-1": ("eaton-ups", "ups"),
    "acme-pdu-1": ("apc-pdu-8641", "other"),
    "acme-linux-1": (None, "other"),
}
AGENT_MEASUREMENTS = ("cpu", "mem", "disk", "diskio", "net", "system", "procstat", "agent")


@dataclass
class DashboardMetrics:
    influx_url: str
    database: str
    vigil_url: str
    admin_token: str
    collector_points: list[Point]

    def query(self, text: str) -> list[dict[str, Any]]:
        """Run InfluxQL as Grafana's data source does (GET /query, db, epoch ms); the series list."""
        answer = httpx.get(f"{self.influx_url}/query", params={"db": self.database, "q": text, "epoch": "ms"},
                           timeout=30)
        assert answer.status_code == 200, answer.text
        result = answer.json()["results"][0]
        assert "error" not in result, f"{result['error']}: {text}"
        return list(result.get("series", []))


def _collect_device_points(snmpsim_port: int, snmpd_port: int, tcp_port: int) -> list[Point]:
    devices = []
    for name, (community, _) in DEVICES.items():
        devices.append(DeviceConfig(
            name=name, address="127.0.0.1",
            snmp=SnmpSettings(credential=SnmpCommunityCredential(community=community or "public"),  # type: ignore[arg-type]
                              port=snmpsim_port if community else snmpd_port, timeout_seconds=5, retries=1),
            ping=PingSettings(icmp=False, tcp_ports=(tcp_port,), count=2),
        ))
    points: list[Point] = []
    collector = Collector(CollectorConfig(devices=tuple(devices), interval_seconds=60), points.extend)

    async def two_cycles() -> None:
        try:
            await collector.run_once()
            await asyncio.sleep(1.5)  # counters need two samples for rates
            await collector.run_once()
        finally:
            collector.close()  # inside the loop: the SNMP client closes its transports on it

    asyncio.run(two_cycles())
    return points


def _influx_has(influx_url: str, measurements: tuple[str, ...]) -> bool:
    answer = httpx.get(f"{influx_url}/query", params={"db": DATABASE, "q": "SHOW MEASUREMENTS"}, timeout=10)
    series = answer.json()["results"][0].get("series", [])
    present = {row[0] for s in series for row in s["values"]}
    return set(measurements) <= present


def _ship_per_device(vigil_url: str, credential: str, points: list[Point]) -> dict[str, str]:
    """Post each device's points as its own batch, the switch first; {device: refusal} for refused ones.

    Known defect of the collector (reported, not ours to change): ``interface.speed_bits_per_second``
    is a float on devices read through ifHighSpeed (scale 1e6) and an integer through ifSpeed, and
    ``device_mem.used_bytes`` an integer from the Cisco profile and a float from UCD-SNMP. InfluxDB
    fixes a field's type at its first write, so the later device's conflicting points are dropped
    (InfluxDB keeps the rest of the batch) and the server answers 503. Shipping the switch first
    keeps every series the dashboards read from it; the other devices' UPS, PDU and storage
    measurements carry no conflicting field and land.
    """
    refused: dict[str, str] = {}
    for device in DEVICES:
        batch = [p for p in points if p.tags.get("device") == device]
        answer = httpx.post(f"{vigil_url}/api/v1/ingest", content=encode(batch), headers={
            "Authorization": f"Bearer {credential}", "X-Vigil-Batch-Id": uuid.uuid4().hex,
            "Content-Type": "text/plain"}, timeout=60)
        if answer.status_code != 200:
            refused[device] = answer.text
        else:
            assert answer.json()["rejected"] == [], answer.json()["rejected"][:5]
    health = [p for p in points if "device" not in p.tags]
    answer = httpx.post(f"{vigil_url}/api/v1/ingest", content=encode(health), headers={
        "Authorization": f"Bearer {credential}", "X-Vigil-Batch-Id": uuid.uuid4().hex}, timeout=60)
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text
    return refused


@pytest.fixture(scope="session")
def dashboard_metrics(influxdb_url: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory,
                      snmpsim: snmpsim_service.Snmpsim,
                      snmpd: snmpd_service.Snmpd) -> Iterator[DashboardMetrics]:
    root = tmp_path_factory.mktemp("dashboards-live")
    database = root / "live.sqlite3"
    shutil.copyfile(sqlite_template, database)
    settings = Settings(
        data_dir=root / "data", database_url=f"sqlite:///{database}",
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        metrics=MetricsSettings(backend="influxdb", influx_url=influxdb_url, influx_database=DATABASE),
    )
    live = start_live_server(settings)
    try:
        admin = live.seed.auth("admin")
        acme = live.seed.a
        for name, (_, kind) in DEVICES.items():
            answer = httpx.post(f"{live.url}/api/v1/devices", headers=admin, json={
                "customer_id": acme.customer_id, "site_id": acme.site_id, "name": name, "kind": kind,
                "node_id": acme.collector_node_id, "mgmt_address": "127.0.0.1"})
            assert answer.status_code == 201, answer.text

        # The site collector: two real cycles, shipped as line protocol through the real ingest.
        tcp_port = urlparse(influxdb_url).port or 8086
        points = _collect_device_points(snmpsim.port, snmpd.port, tcp_port)
        refused = _ship_per_device(live.url, acme.collector_credential, points)
        assert "acme-core-switch" not in refused, refused

        # The host agent: every collector on this machine, through its spool and sender.
        state = root / "agent-state"
        config = from_dict({
            "agent": {"state_dir": str(state), "interval_seconds": 0.3, "self_metrics_interval_seconds": 0.3},
            "batch": {"max_age_seconds": 0.3},
            "retry": {"initial_backoff_seconds": 0.05, "max_backoff_seconds": 0.2},
        })
        credential = Credential(live.url, str(acme.agent_node_id), acme.agent_credential, "acme", "main",
                                "acme-agent")
        agent = Agent(config, credential=credential)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while not _influx_has(influxdb_url, AGENT_MEASUREMENTS):
                assert time.monotonic() < deadline, "the agent's data did not reach InfluxDB"
                time.sleep(0.2)
            time.sleep(1.0)  # a few more samples, so rates and per-core series are there too
        finally:
            stop.set()
            thread.join(30)
        yield DashboardMetrics(influxdb_url, DATABASE, live.url, live.seed.tokens["admin"], points)
    finally:
        live.stop()


@pytest.fixture(scope="session")
def desk_dsn(postgres_server: PostgresServer, postgres_template: str) -> str:
    url = fresh_postgres_url(postgres_server, postgres_template)
    name = url.rsplit("/", 1)[1]
    dsn = postgres_server.dsn(name)
    seed_desk(dsn)
    return dsn
