"""Alembic migrations (env.py is loaded by Alembic, not imported)."""
