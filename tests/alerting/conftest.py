"""Fixtures for the alerting tests: a migrated database (SQLite, or PostgreSQL when asked)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.db.session import make_engine, make_sessionmaker


@pytest.fixture
def sessions(tmp_path: Path, sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh SQLite database at the newest schema."""
    target = tmp_path / "alerting.sqlite3"
    shutil.copyfile(sqlite_template, target)
    engine = make_engine(f"sqlite:///{target}")
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()
