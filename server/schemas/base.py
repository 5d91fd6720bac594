"""Shared bases for the API models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _check_text(value: Any, path: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'text'}: NUL characters are not accepted")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{path or 'text'}: not valid Unicode (lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]")


class StrictIn(BaseModel):
    """Input: unknown keys are refused, strings stripped, and text the databases cannot
    store (NUL, lone surrogates) refused with a clear error instead of failing on write."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check_text(data, "")
        return data


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def input_utc(value: datetime) -> datetime:
    """A date-time from a request as UTC; for a field validator (ValueError: a 422 naming the
    field). A naive time is refused: the server cannot guess the sender's zone."""
    if value.tzinfo is None:
        raise ValueError("needs a time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
