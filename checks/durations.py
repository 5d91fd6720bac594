"""Durations as people write them in rule files (``30s``, ``5m``, ``2h``, ``7d``, ``1w``).

Rule models keep durations as seconds (``float``); ``parse_duration_seconds`` is their
pydantic before-validator, so ``for: 5m`` and ``for: 300`` both mean five minutes.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration_seconds(value: object) -> float:
    """``"1h30m"`` -> 5400.0; numbers are taken as seconds. Raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration cannot be true/false")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"a duration must be text like '5m' or a number of seconds, not {value!r}")
    text = value.strip()
    if not text:
        raise ValueError("empty duration")
    total = 0.0
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h, 7d)")
    return total


def format_duration(seconds: float) -> str:
    """A short human form: 90 -> '1m30s', 86400 -> '1d'."""
    remaining = int(round(seconds))
    if remaining == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Seconds = Annotated[float, BeforeValidator(parse_duration_seconds)]
"""A duration field: accepts ``5m`` or a number of seconds, holds seconds."""

NS_PER_SECOND = 1_000_000_000


def seconds_to_ns(seconds: float) -> int:
    return int(round(seconds * NS_PER_SECOND))
