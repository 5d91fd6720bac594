"""Report fixtures: the scenario's metrics written once per session into an embedded store file
(each test works on a copy), an app context over it on SQLite and PostgreSQL, the seeded tenants
with the scenario's tickets and windows, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from vigil.server.app import create_app
from vigil.server.config import MetricsSettings, Settings
from vigil.server.context import AppContext, build_context
from vigil.server.metrics.embedded import EmbeddedStore

from tests.desk.receivers import SmtpServers, start_smtp
from tests.reports import scenario
from tests.seed import Seed, seed_tenants

# For tests that are not about the database: once, on SQLite, keeps the suite's time down.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


@pytest.fixture(scope="session")
def scenario_metrics_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-metrics") / "metrics.sqlite3"
    store = EmbeddedStore(path, raw_retention_days=3650, rollup_retention_days=3650, maintenance_interval_seconds=None)
    scenario.write_metrics(store)
    store.compact()
    store.close()
    return path


@pytest.fixture
def report_settings(tmp_path: Path, database_url: str, scenario_metrics_file: Path) -> Settings:
    copy = tmp_path / "metrics.sqlite3"
    shutil.copyfile(scenario_metrics_file, copy)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        metrics=MetricsSettings(path=copy, raw_retention_days=3650, rollup_retention_days=3650),
        extra_sections={"reports": {"enabled": False}, "desk": {"workers": False}},
    )


@pytest.fixture
def report_ctx(report_settings: Settings) -> Iterator[AppContext]:
    context = build_context(report_settings)
    yield context
    context.close()


@dataclass
class World:
    ctx: AppContext
    seed: Seed


@pytest.fixture
def world(report_ctx: AppContext) -> World:
    seed = seed_tenants(report_ctx)
    with report_ctx.sessions() as db, db.begin():
        scenario.prepare_world(db, seed)
    return World(report_ctx, seed)


@pytest.fixture
def report_client(report_settings: Settings, report_ctx: AppContext, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(report_settings, report_ctx)) as client:
        yield client


@pytest.fixture(scope="session")
def report_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServers]:
    yield from start_smtp(tmp_path_factory.mktemp("report-smtp"))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
