"""Alembic environment: runs migrations on the URL set by vigil.server.db.migrate."""

from __future__ import annotations

import vigil.server.db.models  # noqa: F401  (registers the foundation tables)
from alembic import context
from sqlalchemy import engine_from_config, pool
from vigil.server.db.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
