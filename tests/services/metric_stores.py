"""The ``metric_store`` fixture: a fresh metric store of each backend, so a test runs on both.

``embedded`` is a SQLite file in the test's tmp_path (no background maintenance thread: tests
call ``maintain()`` themselves); ``influxdb`` is the session's private influxd with a fresh
database per test, dropped afterwards; ``influxdb-v2`` is the same influxd written through
``influxdb-client`` via the v2 front door of tests/services/influxdb_v2_shim.py.
Registered in tests/conftest.py through ``pytest_plugins``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from vigil.server.config import MetricsSettings
from vigil.server.metrics import MetricStore, open_store
from vigil.server.metrics.embedded import EmbeddedStore

from tests.services.influxdb_v2_shim import InfluxV2

BACKENDS = ("embedded", "influxdb", "influxdb-v2")


def embedded_store(path: Path, **settings: int) -> EmbeddedStore:
    """An embedded store without the background thread (tests drive maintenance)."""
    config = MetricsSettings(backend="embedded", path=path, **settings)  # type: ignore[arg-type]
    return EmbeddedStore(
        path,
        raw_retention_days=config.raw_retention_days,
        rollup_retention_days=config.rollup_retention_days,
        maintenance_interval_seconds=None,
    )


def _influx_settings(request: pytest.FixtureRequest, database: str) -> MetricsSettings:
    url: str = request.getfixturevalue("influxdb_url")
    if request.param == "influxdb":
        return MetricsSettings(backend="influxdb", influx_url=url, influx_database=database)
    # influxdb-client's write path through the v2 front door (tests/services/influxdb_v2_shim.py).
    v2: InfluxV2 = request.getfixturevalue("influxdb_v2")
    httpx.post(f"{url}/query", data={"q": f'CREATE DATABASE "{database}"'}, timeout=30)
    return MetricsSettings(
        backend="influxdb",
        influx_api="v2",
        influx_url=v2.url,
        influx_token=v2.token,  # type: ignore[arg-type]
        influx_org=v2.org,
        influx_bucket=database,
        influx_database=database,
    )


@pytest.fixture(params=BACKENDS)
def metric_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetricStore]:
    """A fresh, empty metric store: embedded, InfluxDB through API v1, then through API v2."""
    if request.param == "embedded":
        store: MetricStore = embedded_store(tmp_path / "metrics.sqlite3")
        try:
            yield store
        finally:
            store.close()
        return
    database = f"test_{uuid.uuid4().hex}"
    store = open_store(_influx_settings(request, database), tmp_path)
    try:
        yield store
    finally:
        store.close()
        url: str = request.getfixturevalue("influxdb_url")
        httpx.post(f"{url}/query", data={"q": f'DROP DATABASE "{database}"'}, timeout=30)
