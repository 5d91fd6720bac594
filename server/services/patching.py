"""Applying a partial update (PATCH) to a row, refusing null where the column cannot hold it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from vigil.server.errors import InvalidInput


def apply_patch(row: Any, changes: dict[str, Any]) -> None:
    columns = inspect(type(row)).columns
    for key, value in changes.items():
        if value is None and key in columns and not columns[key].nullable:
            raise InvalidInput(f"{key} cannot be null")
    for key, value in changes.items():
        setattr(row, key, value)
