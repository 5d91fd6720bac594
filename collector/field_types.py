"""One field, one type: InfluxDB (and the embedded store) refuse a field whose type changes.

A profile may read a percentage as an INTEGER from one vendor and compute it as a float for
another, so every field the collector writes goes through :func:`typed`, following the same
conventions as the host agent: ``*_bytes``, ``*_count``, ``*_code`` and flags are integers,
text stays text, every other number is a float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from vigil.agent.wire import FieldValue, Point

FLAGS = frozenset({"up", "ok", "oper_up", "admin_up", "on_battery", "battery_ok", "battery_replace",
                   "hostkey_ok", "heartbeat", "failed", "readonly"})
INTEGER_SUFFIXES = ("_bytes", "_count", "_code")


def typed(name: str, value: FieldValue) -> FieldValue | None:
    """The value in its field's one type; None for a number that cannot be stored (NaN, inf)."""
    if isinstance(value, str):
        return value
    number = float(value)
    if not math.isfinite(number):
        return None
    if name in FLAGS or name.endswith(INTEGER_SUFFIXES):
        return int(round(number))
    return number


def typed_fields(fields: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for name, value in fields.items():
        converted = typed(name, value)
        if converted is not None:
            out[name] = converted
    return out


def typed_point(point: Point) -> Point:
    return Point(point.measurement, point.tags, typed_fields(point.fields), point.time_ns)
