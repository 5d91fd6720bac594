"""Desk fixtures: SMTP servers and an HTTP receiver on loopback (session-wide), desk test data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vigil.server.config import Settings
from vigil.server.context import AppContext

from tests.desk.receivers import HttpReceiver, SmtpServers, start_http_receiver, start_smtp
from tests.desk.world import DeskWorld, prepare_desk
from tests.seed import Seed


@pytest.fixture(scope="session")
def smtp_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServers]:
    folder: Path = tmp_path_factory.mktemp("smtp")
    yield from start_smtp(folder)


@pytest.fixture()
def mailbox(smtp_servers: SmtpServers) -> Iterator[SmtpServers]:
    smtp_servers.box.clear()
    yield smtp_servers
    smtp_servers.box.clear()


@pytest.fixture(scope="session")
def _http_receiver() -> Iterator[HttpReceiver]:
    receiver, server = start_http_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture()
def http_receiver(_http_receiver: HttpReceiver) -> Iterator[HttpReceiver]:
    _http_receiver.clear()
    yield _http_receiver
    _http_receiver.clear()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The suite's settings with the desk's workers off: tests drive them with a controlled clock."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        extra_sections={"desk": {"workers": False}},
    )


@pytest.fixture()
def desk(ctx: AppContext, seed: Seed) -> DeskWorld:
    """The two seeded tenants made ready for the desk: contacts, a contract each, staff tiers."""
    return prepare_desk(ctx, seed)
