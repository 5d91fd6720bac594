"""Line protocol for the InfluxDB store: the bytes of ``vigil.agent.wire.encode``, made faster.

Profiling the ingest (bench/ingest.py, docs/performance.md) showed half of the server's time in
``wire.encode``, which escapes and sorts the same measurement and tags again on every line. A
server sees the same series over and over, so :class:`LineEncoder` keeps the escaped head
(``measurement,tag=value,...``) per series and the escaped ``key=`` per field key, and checks a
name against :func:`vigil.server.metrics.points.point_problem`'s rules only the first time it
meets it. Its output is byte for byte that of ``wire.encode`` (a property test holds it to
that): newlines in names become spaces, empty tag values are left out, tags are sorted, and
non-finite floats are dropped (a point left without fields is dropped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from vigil.agent.wire import FieldValue, Point
from vigil.server.metrics.base import MetricWriteRejected
from vigil.server.metrics.points import point_problem

# Newlines become (escaped) spaces, as wire.encode's _clean does before escaping.
_MEAS_ESC = str.maketrans({",": "\\,", " ": "\\ ", "\n": "\\ ", "\r": "\\ "})
_KEY_ESC = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ ", "\n": "\\ ", "\r": "\\ "})
_STR_ESC = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": " ", "\r": " "})


def encode_head(measurement: str, tags: dict[str, str], sort: bool = True) -> str:
    """``measurement,tag=value,...`` escaped, empty tag values left out; tags sorted unless
    ``sort`` is false (then in the dict's order)."""
    head = measurement.translate(_MEAS_ESC)
    for key in sorted(tags) if sort else tags:
        value = tags[key]
        if value != "":
            head += f",{key.translate(_KEY_ESC)}={value.translate(_KEY_ESC)}"
    return head


def _head(point: Point) -> str:
    return encode_head(point.measurement, point.tags)


def _value(value: FieldValue) -> str | None:
    """The field value as line protocol, or None for a float that cannot be written."""
    kind = type(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else None  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if kind is str:
        return '"' + value.translate(_STR_ESC) + '"'  # type: ignore[union-attr]
    raise MetricWriteRejected(f"field value of unsupported type {kind.__name__}")


class LineEncoder:
    """Encodes points to line protocol, remembering escaped series heads and field keys."""

    def __init__(self, max_cached_series: int = 200_000) -> None:
        self._max = max_cached_series
        self._heads: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._keys: dict[str, str] = {}

    def _new_head(self, point: Point, key: tuple[str, tuple[tuple[str, str], ...]], index: int) -> str:
        # Only the measurement and tags here; fields are checked key by key below.
        problem = point_problem(Point(point.measurement, point.tags, {"_": 0}, 0))
        if problem is not None:
            raise MetricWriteRejected(f"point {index} ({point.measurement[:60]!r}): {problem}")
        if len(self._heads) >= self._max:
            self._heads = {}  # a crude bound; series are few in practice, so this is rare
        head = self._heads[key] = _head(point)
        return head

    def _new_key(self, point: Point, name: str, index: int) -> str:
        problem = point_problem(Point(point.measurement, {}, {name: 0}, 0))
        if problem is not None:
            raise MetricWriteRejected(f"point {index} ({point.measurement[:60]!r}): {problem}")
        if len(self._keys) >= self._max:
            self._keys = {}
        escaped = self._keys[name] = name.translate(_KEY_ESC) + "="
        return escaped

    def encode(self, points: Sequence[Point]) -> bytes:
        """Line protocol for ``points``; raises MetricWriteRejected before returning anything."""
        heads, keys = self._heads, self._keys
        lines: list[str] = []
        for index, point in enumerate(points):
            series = (point.measurement, tuple(point.tags.items()))
            head = heads.get(series) or self._new_head(point, series, index)
            if not point.fields:
                raise MetricWriteRejected(
                    f"point {index} ({point.measurement[:60]!r}): a point needs at least one field"
                )
            parts = []
            for name, value in point.fields.items():
                prefix = keys.get(name) or self._new_key(point, name, index)
                kind = type(value)
                # The two common kinds inline (a third of the encoder's time went to the call).
                if kind is float:
                    if value - value == 0.0:  # type: ignore[operator]  # false for NaN and +-Inf
                        parts.append(prefix + repr(value))
                elif kind is int:
                    parts.append(f"{prefix}{value}i")
                else:
                    text = _value(value)
                    if text is not None:
                        parts.append(prefix + text)
            if parts:
                lines.append(f"{head} {','.join(parts)} {point.time_ns}")
            heads, keys = self._heads, self._keys
        return ("\n".join(lines) + "\n").encode() if lines else b""
