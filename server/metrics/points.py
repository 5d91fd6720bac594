"""What both metric backends do to points before storing them, so they store the same thing.

InfluxDB receives points as line protocol written by :func:`vigil.agent.wire.encode`, which
turns newlines into spaces, drops empty tag values and drops non-finite float fields (a point
left without fields is dropped). The embedded store applies the same normalisation here, so a
tag value written with a newline reads back the same from either backend.

A few names cannot be carried by line protocol at all: a tag key or value ending in a
backslash escapes the separator after it; InfluxDB 1.x reads backslashes in measurement names
and field keys inconsistently (``x\\,y`` as a field key is refused, ``a\\,b`` as a measurement
is read as ``a,b``), so those may hold none (vigil's own are schema names); a measurement
cannot start with white space, which InfluxDB skips; and InfluxDB refuses the key ``time``
(tested against a real influxd in tests/metrics/test_wire_influxdb.py). Such points are
refused with :class:`MetricWriteRejected` before anything is written.
``point_problem`` lets the ingest reject them per line instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from vigil.agent.wire import FieldValue, Point
from vigil.server.metrics.base import MetricWriteRejected


def clean(text: str) -> str:
    """Newlines to spaces, as ``wire.encode`` does: line protocol cannot carry them."""
    return text.replace("\n", " ").replace("\r", " ")


_clean = clean


def point_problem(point: Point) -> str | None:
    """Why line protocol cannot carry this point, or None when it can."""
    if not point.measurement:
        return "empty measurement name"
    if "\\" in point.measurement:
        return "measurement name has a backslash"
    if point.measurement[0].isspace():
        return "measurement name starts with white space"
    for key, value in point.tags.items():
        if not key:
            return "empty tag key"
        if key == "time":
            return "'time' cannot be a tag key"
        if key.endswith("\\") or value.endswith("\\"):
            return f"tag {key[:40]!r} ends with a backslash"
    if not point.fields:
        return "a point needs at least one field"
    for key in point.fields:
        if not key:
            return "empty field key"
        if key == "time":
            return "'time' cannot be a field key"
        if "\\" in key:
            return f"field key {key[:40]!r} has a backslash"
    return None


def check_points(points: Sequence[Point]) -> None:
    """Raise MetricWriteRejected naming the first point line protocol cannot carry."""
    for index, point in enumerate(points):
        problem = point_problem(point)
        if problem is not None:
            raise MetricWriteRejected(f"point {index} ({point.measurement[:60]!r}): {problem}")


def _clean_value(value: FieldValue) -> FieldValue:
    return _clean(value) if isinstance(value, str) else value


def normalise(points: Sequence[Point]) -> list[Point]:
    """The points as InfluxDB would store them after ``wire.encode`` (see the module docstring)."""
    out: list[Point] = []
    for point in points:
        fields = {
            _clean(key): _clean_value(value)
            for key, value in point.fields.items()
            if not (isinstance(value, float) and not math.isfinite(value))
        }
        if not fields:
            continue
        tags = {_clean(key): _clean(value) for key, value in point.tags.items() if value != ""}
        out.append(Point(_clean(point.measurement), tags, fields, point.time_ns))
    return out
