"""Turning metric values into what rules compare: numbers, or normalised state words."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Literal

from vigil.checks.source import Value

Comparison = Literal[">", ">=", "<", "<="]

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def as_number(value: Value) -> float | None:
    """Numbers and booleans as float; text and NaN as None (not comparable)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def as_state(value: object) -> str:
    """A value as a state word for equality: ``True`` -> "true", ``2`` and ``2.0`` -> "2"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{float(value):g}"
    return str(value).strip().lower()


def worst(op: Comparison, values: list[float]) -> float:
    """The value furthest into the breaching side: the max for ``>``, the min for ``<``."""
    return max(values) if op in (">", ">=") else min(values)


def clear_holds(op: Comparison, value: float, clear_threshold: float) -> bool:
    """The hysteresis side: for ``>`` the value must drop below the clear threshold."""
    if op in (">", ">="):
        return value < clear_threshold
    return value > clear_threshold
