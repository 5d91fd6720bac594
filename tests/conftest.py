"""Session-wide test fixtures: real services on loopback, databases on both engines, servers.

Services (PostgreSQL, InfluxDB, and those other parts add) start once per session. Tests that
touch the database take ``database_url``, parametrised over SQLite and PostgreSQL; tests that
need the HTTP API take ``client`` (in-process ASGI) or ``live_server`` (uvicorn on a free
loopback port, for agents and collectors that speak real HTTP).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from vigil.server.app import create_app
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context

from tests.seed import Seed, seed_tenants
from tests.services.live_server import LiveServer, start_live_server
from tests.services.postgres import PostgresServer, fresh_postgres_url

pytest_plugins = [
    "tests.services.device_peers",
    "tests.services.influxdb",
    "tests.services.influxdb_v2_shim",
    "tests.services.metric_stores",
    "tests.services.postgres",
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once to the newest schema; tests get copies."""
    from vigil.server.db.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, fully migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "vigil.sqlite3"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite:///{target}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    return fresh_postgres_url(server, template)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
    )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings)
    yield context


@pytest.fixture
def client(settings: Settings, ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ctx)) as test_client:
        yield test_client


@pytest.fixture
def seed(ctx: AppContext) -> Seed:
    """Two customers (A and B) with sites, staff, viewers and tokens; see tests/seed.py."""
    return seed_tenants(ctx)


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The real server on a free loopback port, on SQLite and the embedded metric store."""
    database = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, database)
    settings = Settings(
        data_dir=tmp_path / "live-data",
        database_url=f"sqlite:///{database}",
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
    )
    server = start_live_server(settings)
    try:
        yield server
    finally:
        server.stop()
