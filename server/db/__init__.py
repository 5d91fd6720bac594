"""Relational persistence: SQLAlchemy models, engine and sessions, Alembic migrations."""
