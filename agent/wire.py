"""The wire format between senders (agent, collector) and the server: InfluxDB line protocol.

A :class:`Point` is one line: measurement, tags, fields and a nanosecond timestamp.
``encode`` writes lines; ``parse_line`` reads one back strictly, raising
:class:`LineProtocolError` with a reason a person can act on. The server's ingest uses the
same parser, so what a sender writes is exactly what the server accepts.

Escaping follows InfluxDB: in the measurement, commas and spaces; in tag keys, tag values and
field keys, commas, equals signs and spaces; in string field values, double quotes and
backslashes. Newlines are never allowed inside a line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

FieldValue = float | int | bool | str


class LineProtocolError(ValueError):
    """A line that is not valid line protocol; the message says why."""


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: dict[str, str] = field(default_factory=dict)
    fields: dict[str, FieldValue] = field(default_factory=dict)
    time_ns: int = 0

    def series_key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return (self.measurement, tuple(sorted(self.tags.items())))


_MEAS_ESC = str.maketrans({",": "\\,", " ": "\\ "})
_KEY_ESC = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})


def _clean(text: str) -> str:
    # Newlines would split a line in two; device strings can carry anything.
    return text.replace("\n", " ").replace("\r", " ")


def _format_field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise LineProtocolError("NaN and Inf cannot be written")
        return repr(value)
    escaped = _clean(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def encode_point(point: Point) -> str:
    """One line of line protocol, without the trailing newline."""
    if not point.fields:
        raise LineProtocolError(f"{point.measurement}: a point needs at least one field")
    head = _clean(point.measurement).translate(_MEAS_ESC)
    for key in sorted(point.tags):
        value = point.tags[key]
        if value == "":
            continue  # InfluxDB rejects empty tag values; an absent tag means the same.
        head += f",{_clean(key).translate(_KEY_ESC)}={_clean(value).translate(_KEY_ESC)}"
    body = ",".join(f"{_clean(k).translate(_KEY_ESC)}={_format_field(v)}" for k, v in point.fields.items())
    return f"{head} {body} {point.time_ns}"


def encode(points: list[Point]) -> bytes:
    """Lines joined by newlines; points with NaN/Inf fields lose only those fields."""
    lines = []
    for point in points:
        finite = {k: v for k, v in point.fields.items() if not (isinstance(v, float) and not math.isfinite(v))}
        if not finite:
            continue
        if len(finite) != len(point.fields):
            point = Point(point.measurement, point.tags, finite, point.time_ns)
        lines.append(encode_point(point))
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _split_unescaped(text: str, sep: str, quotes: bool = False) -> list[str]:
    """Split on ``sep`` where it is not escaped by a backslash (nor, with ``quotes``, quoted)."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if quotes and ch == '"':
            in_quotes = not in_quotes
        if ch == sep and not in_quotes:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if in_quotes:
        raise LineProtocolError("unterminated string field")
    parts.append("".join(current))
    return parts


def _partition_unescaped(text: str, sep: str) -> tuple[str, str, str]:
    parts = _split_unescaped(text, sep)
    return parts[0], sep, sep.join(parts[1:])


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ', ="\\':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_field_value(raw: str) -> FieldValue:
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise LineProtocolError(f"bad string field value {raw[:40]!r}")
        return _unescape(raw[1:-1])
    if raw in ("t", "T", "true", "True", "TRUE"):
        return True
    if raw in ("f", "F", "false", "False", "FALSE"):
        return False
    if raw.endswith("i") or raw.endswith("u"):
        try:
            return int(raw[:-1])
        except ValueError:
            raise LineProtocolError(f"bad integer field value {raw[:40]!r}") from None
    try:
        number = float(raw)
    except ValueError:
        raise LineProtocolError(f"bad field value {raw[:40]!r}") from None
    if not math.isfinite(number):
        raise LineProtocolError("NaN and Inf are not accepted")
    return number


def _parse_plain(line: str, default_time_ns: int) -> Point:
    """The common case: no backslash and no quote, so plain splits are exact."""
    sections = line.split()
    if len(sections) < 2:
        raise LineProtocolError("expected 'measurement[,tags] fields [timestamp]'")
    if len(sections) > 3:
        raise LineProtocolError("unexpected text after the timestamp")
    measurement, *raw_tags = sections[0].split(",")
    if not measurement:
        raise LineProtocolError("empty measurement name")
    tags: dict[str, str] = {}
    for raw_tag in raw_tags:
        key, sep, value = raw_tag.partition("=")
        if not sep or not key or not value or "=" in value:
            raise LineProtocolError(f"bad tag {raw_tag[:40]!r}")
        tags[key] = value
    fields: dict[str, FieldValue] = {}
    for raw_field in sections[1].split(","):
        key, sep, value = raw_field.partition("=")
        if not sep or not key or not value or "=" in value:
            raise LineProtocolError(f"bad field {raw_field[:40]!r}")
        fields[key] = _parse_field_value(value)
    time_ns = default_time_ns
    if len(sections) == 3:
        try:
            time_ns = int(sections[2])
        except ValueError:
            raise LineProtocolError(f"bad timestamp {sections[2][:40]!r}") from None
    return Point(measurement, tags, fields, time_ns)


def parse_line(line: str, default_time_ns: int = 0) -> Point:
    """Parse one line strictly; a line without a timestamp gets ``default_time_ns``."""
    if "\n" in line or "\r" in line:
        raise LineProtocolError("a line cannot contain a newline")
    if "\\" not in line and '"' not in line:
        return _parse_plain(line, default_time_ns)
    # Quotes matter only in the field set: a tag value may hold a literal '"'.
    head, _, rest = _partition_unescaped(line.strip(), " ")
    sections = [head] + [s for s in _split_unescaped(rest, " ", quotes=True) if s != ""]
    if len(sections) < 2:
        raise LineProtocolError("expected 'measurement[,tags] fields [timestamp]'")
    if len(sections) > 3:
        raise LineProtocolError("unexpected text after the timestamp")
    head_parts = _split_unescaped(sections[0], ",")
    measurement = _unescape(head_parts[0])
    if not measurement:
        raise LineProtocolError("empty measurement name")
    tags: dict[str, str] = {}
    for raw_tag in head_parts[1:]:
        key_value = _split_unescaped(raw_tag, "=")
        if len(key_value) != 2 or not key_value[0] or not key_value[1]:
            raise LineProtocolError(f"bad tag {raw_tag[:40]!r}")
        tags[_unescape(key_value[0])] = _unescape(key_value[1])
    fields: dict[str, FieldValue] = {}
    for raw_field in _split_unescaped(sections[1], ",", quotes=True):
        key_value = _split_unescaped(raw_field, "=", quotes=True)
        if len(key_value) != 2 or not key_value[0] or not key_value[1]:
            raise LineProtocolError(f"bad field {raw_field[:40]!r}")
        fields[_unescape(key_value[0])] = _parse_field_value(key_value[1])
    time_ns = default_time_ns
    if len(sections) == 3:
        try:
            time_ns = int(sections[2])
        except ValueError:
            raise LineProtocolError(f"bad timestamp {sections[2][:40]!r}") from None
    return Point(measurement, tags, fields, time_ns)
