"""The wire format between senders (agent, collector) and the server: InfluxDB line protocol.

A :class:`Point` is one line: measurement, tags, fields and a nanosecond timestamp.
``encode`` writes lines; ``parse_line`` reads one back strictly, raising
:class:`LineProtocolError` with a reason a person can act on. The server's ingest uses the
same parser, so what a sender writes is exactly what the server accepts.

Escaping follows InfluxDB 1.x, checked against a real influxd (tests/metrics/test_wire_influxdb.py):
in the measurement, commas and spaces; in tag keys, tag values and field keys, commas, equals
signs and spaces. There a separator counts as escaped when the character before it is a
backslash, and only an escaped special character loses its backslash when read (``a\\\\b``
stays two backslashes), so a name ending in a backslash cannot be written (the server refuses
it). In string field values a backslash escapes the character after it, and double quotes and
backslashes are escaped. Newlines are never allowed inside a line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

FieldValue = float | int | bool | str


class LineProtocolError(ValueError):
    """A line that is not valid line protocol; the message says why."""


_set = object.__setattr__


class Point:
    """One line: measurement, tags, fields and a timestamp in nanoseconds. Immutable.

    Written out rather than ``@dataclass(frozen=True, slots=True)``, and behaving as that did
    (keyword or positional construction, tags and fields new empty dicts by default, equality
    and hash by value, assignment refused): the agent's long-running process does without
    ``dataclasses``, whose import costs it ~1.3 MiB resident (see vigil.agent.record). Not a
    record: a point is not a tuple, and no one should unpack or index one.
    """

    __slots__ = ("measurement", "tags", "fields", "time_ns")

    measurement: str
    tags: dict[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int

    def __init__(
        self,
        measurement: str,
        tags: dict[str, str] | None = None,
        fields: Mapping[str, FieldValue] | None = None,
        time_ns: int = 0,
    ) -> None:
        _set(self, "measurement", measurement)
        _set(self, "tags", {} if tags is None else tags)
        _set(self, "fields", {} if fields is None else fields)
        _set(self, "time_ns", time_ns)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Point is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a Point is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.measurement, self.tags, self.fields, self.time_ns) == (
            other.measurement,
            other.tags,
            other.fields,
            other.time_ns,
        )

    def __hash__(self) -> int:  # as the frozen dataclass: hashable only if tags and fields were
        return hash((self.measurement, self.tags, self.fields, self.time_ns))

    def __repr__(self) -> str:
        return (
            f"Point(measurement={self.measurement!r}, tags={self.tags!r}, fields={self.fields!r},"
            f" time_ns={self.time_ns!r})"
        )

    def __reduce__(self) -> tuple[type[Point], tuple[str, dict[str, str], Mapping[str, FieldValue], int]]:
        # pickle and copy: __setattr__ refuses the default way of restoring slots
        return (Point, (self.measurement, self.tags, self.fields, self.time_ns))

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


def _split_names(text: str, sep: str) -> list[str]:
    """Split a name section on ``sep`` where the character before it is not a backslash: how
    InfluxDB reads measurements, tag keys and values, and field keys."""
    if "\\" not in text:
        return text.split(sep)
    parts: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == sep and (i == 0 or text[i - 1] != "\\"):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _scan_fields(text: str) -> tuple[list[tuple[str, str]], str]:
    """The field set at the start of ``text`` as raw (key, value) pairs, and the text after it.

    As InfluxDB reads it: a key runs to the first ``=`` without a backslash before it (quotes
    in a key are plain characters); a value is either a quoted string, in which a backslash
    escapes the next character, or runs to the first comma or space without a backslash
    before it."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        start = i
        while i < n and not (text[i] in "= ," and (i == start or text[i - 1] != "\\")):
            i += 1
        if i >= n or text[i] != "=":
            raise LineProtocolError(f"bad field {text[start : i + 1][:40]!r}")
        key = text[start:i]
        i += 1
        value_start = i
        if i < n and text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if i >= n:
                raise LineProtocolError("unterminated string field")
            i += 1
        else:
            while i < n and not (text[i] in ", " and text[i - 1] != "\\"):
                i += 1
        pairs.append((key, text[value_start:i]))
        if i < n and text[i] == ",":
            i += 1
            continue
        return pairs, text[i:]


def _unescape_name(text: str, specials: str = ", =") -> str:
    """InfluxDB's unescaping of names: only an escaped special character loses its backslash
    (``\\\\`` stays two backslashes)."""
    if "\\" not in text:
        return text
    for ch in specials:
        text = text.replace("\\" + ch, ch)
    return text


def _unescape_string(text: str) -> str:
    """A string field value: ``\\"`` and ``\\\\`` are escapes; any other backslash is itself."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
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
        return _unescape_string(raw[1:-1])
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
    sections = [section for section in line.split(" ") if section]  # a tab is part of a name
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
    stripped = line.strip(" ")
    head_end = next(
        (i for i, ch in enumerate(stripped) if ch == " " and (i == 0 or stripped[i - 1] != "\\")), len(stripped)
    )
    head, rest = stripped[:head_end], stripped[head_end + 1 :].lstrip(" ")
    pairs, after = _scan_fields(rest)
    stamp = after.strip(" ")
    if " " in stamp:
        raise LineProtocolError("unexpected text after the timestamp")
    head_parts = _split_names(head, ",")
    measurement = _unescape_name(head_parts[0], ", ")
    if not measurement:
        raise LineProtocolError("empty measurement name")
    tags: dict[str, str] = {}
    for raw_tag in head_parts[1:]:
        key_value = _split_names(raw_tag, "=")
        if len(key_value) != 2 or not key_value[0] or not key_value[1]:
            raise LineProtocolError(f"bad tag {raw_tag[:40]!r}")
        tags[_unescape_name(key_value[0])] = _unescape_name(key_value[1])
    fields: dict[str, FieldValue] = {}
    for raw_key, raw_value in pairs:
        if not raw_key or not raw_value:
            raise LineProtocolError(f"bad field {raw_key[:20]!r}={raw_value[:20]!r}")
        fields[_unescape_name(raw_key, ', ="')] = _parse_field_value(raw_value)
    sections = [head, rest] + ([stamp] if stamp else [])
    time_ns = default_time_ns
    if len(sections) == 3:
        try:
            time_ns = int(sections[2])
        except ValueError:
            raise LineProtocolError(f"bad timestamp {sections[2][:40]!r}") from None
    return Point(measurement, tags, fields, time_ns)
