"""InfluxQL text for the metric store's queries, with every name and value escaped.

Tag values come from devices and are untrusted: they only ever enter a query through
:func:`literal` (a single-quoted string) and names through :func:`identifier` (a double-quoted
identifier). Inside both, InfluxQL's scanner knows four escapes (``\\\\``, ``\\'``, ``\\"``
and ``\\n``) and refuses a raw newline, so backslashes, both quotes and newlines are escaped and
nothing can end the quoted token early.
"""

from __future__ import annotations

from vigil.server.metrics.base import SeriesQuery

_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n"})

# The InfluxQL call for each aggregate of SeriesQuery.
FUNCTIONS: dict[str, str] = {
    "mean": "MEAN({})",
    "max": "MAX({})",
    "min": "MIN({})",
    "p95": "PERCENTILE({}, 95)",
    "last": "LAST({})",
    "count": "COUNT({})",
    "sum": "SUM({})",
}


def identifier(name: str) -> str:
    return '"' + name.translate(_ESCAPES) + '"'


def literal(value: str) -> str:
    return "'" + value.translate(_ESCAPES) + "'"


def where(tags: dict[str, str], start_ns: int | None = None, end_ns: int | None = None) -> str:
    """`` WHERE ...`` for exact tag values and an optional time range, or an empty string."""
    terms = [f"{identifier(key)} = {literal(value)}" for key, value in sorted(tags.items())]
    if start_ns is not None:
        terms.append(f"time >= {int(start_ns)}")
    if end_ns is not None:
        terms.append(f"time < {int(end_ns)}")
    return " WHERE " + " AND ".join(terms) if terms else ""


def group_by(keys: tuple[str, ...], interval_seconds: int | None = None) -> str:
    parts = [f"time({int(interval_seconds)}s)"] if interval_seconds else []
    parts += [identifier(key) for key in keys]
    return " GROUP BY " + ", ".join(parts) if parts else ""


def select(query: SeriesQuery) -> str:
    call = FUNCTIONS[query.aggregate].format(identifier(query.field))
    return (
        f"SELECT {call} FROM {identifier(query.measurement)}"  # noqa: S608 - names and values quoted above
        + where(query.tags, query.start_ns, query.end_ns)
        + group_by(query.group_by, query.interval_seconds)
    )


def latest(measurement: str, field: str, tags: dict[str, str], keys: tuple[str, ...]) -> str:
    return (
        f"SELECT LAST({identifier(field)}) FROM {identifier(measurement)}"  # noqa: S608 - quoted
        + where(tags)
        + group_by(keys)
    )


def tag_values(measurement: str, key: str, tags: dict[str, str]) -> str:
    return f"SHOW TAG VALUES FROM {identifier(measurement)} WITH KEY = {identifier(key)}" + where(tags)


def field_keys(measurement: str) -> str:
    return f"SHOW FIELD KEYS FROM {identifier(measurement)}"


def create_database(name: str) -> str:
    return f"CREATE DATABASE {identifier(name)}"
