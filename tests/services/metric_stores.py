"""The ``metric_store`` fixture: a fresh metric store of each backend, so a test runs on both.

``embedded`` is a SQLite file in the test's tmp_path (no background maintenance thread: tests
call ``maintain()`` themselves); ``influxdb`` is the session's private influxd with a fresh
database per test, dropped afterwards. Registered in tests/conftest.py through ``pytest_plugins``.
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

BACKENDS = ("embedded", "influxdb")


def embedded_store(path: Path, **settings: int) -> EmbeddedStore:
    """An embedded store without the background thread (tests drive maintenance)."""
    config = MetricsSettings(backend="embedded", path=path, **settings)  # type: ignore[arg-type]
    return EmbeddedStore(
        path,
        raw_retention_days=config.raw_retention_days,
        rollup_retention_days=config.rollup_retention_days,
        maintenance_interval_seconds=None,
    )


@pytest.fixture(params=BACKENDS)
def metric_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetricStore]:
    """A fresh, empty metric store: embedded, then InfluxDB v1."""
    if request.param == "embedded":
        store: MetricStore = embedded_store(tmp_path / "metrics.sqlite3")
        try:
            yield store
        finally:
            store.close()
        return
    url: str = request.getfixturevalue("influxdb_url")
    database = f"test_{uuid.uuid4().hex}"
    settings = MetricsSettings(backend="influxdb", influx_url=url, influx_database=database)
    store = open_store(settings, tmp_path)
    try:
        yield store
    finally:
        store.close()
        httpx.post(f"{url}/query", data={"q": f'DROP DATABASE "{database}"'}, timeout=30)
