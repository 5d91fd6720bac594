"""A private PostgreSQL 15 for the test session, started on a free loopback port.

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` system user in a
folder that user owns (SERVICES.md). The session migrates one template database; each test
that asks for PostgreSQL gets a fresh copy of it (``CREATE DATABASE … TEMPLATE``), which takes
a fraction of a second.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.services.ports import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]


@dataclass
class PostgresServer:
    port: int
    root: Path
    pg_ctl: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            suffix = f" TEMPLATE {template}" if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}')  # noqa: S608 - names made by the tests
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([self.pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )


def start_postgres(root: Path) -> PostgresServer:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql-15)")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    port = free_port()
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-k {root} -p {port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200"
    subprocess.run(
        _as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "pg.log"), "-w", "start"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PostgresServer(port, root, pg_ctl)
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(server.dsn(), connect_timeout=2).close()
            return server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if _binary("initdb") is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql-15)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="vigil-pg-"))
    server = start_postgres(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The name of a database migrated to the newest schema, to copy per test."""
    from vigil.server.db.migrate import upgrade

    postgres_server.create_database("vigil_template")
    upgrade(postgres_server.url("vigil_template"))
    return "vigil_template"


def fresh_postgres_url(server: PostgresServer, template: str) -> str:
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}", template=template)
