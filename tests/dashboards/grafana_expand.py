"""Expand panel and variable queries the way Grafana does before it sends them to a data source.

Mirrors Grafana's InfluxDB data source (``interpolateQueryExpr``: a multi-valued or "All"
variable becomes the regex-escaped value, or ``(a|b)`` for several; ``$timeFilter`` becomes
``time >= now() - 1h`` for a range ending now; ``$__interval`` the interval such as ``10s``) and
its SQL data sources (a multi-valued variable becomes ``'a','b'``; ``$__timeFilter(col)``
becomes ``col BETWEEN '<from>' AND '<to>'`` in RFC 3339).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_REGEX_SPECIALS = re.compile(r"[\\^$*+?.()|\[\]{}/]")
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def regex_escape(value: str) -> str:
    return _REGEX_SPECIALS.sub(lambda m: "\\" + m.group(0), value)


def _substitute(text: str, render: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return render.get(name, match.group(0))

    return _VARIABLE.sub(replace, text)


def expand_influxql(query: str, values: dict[str, list[str]], *, range_hours: int = 1, interval: str = "10s") -> str:
    text = query.replace("$timeFilter", f"time >= now() - {range_hours}h").replace("$__interval", interval)
    render = {}
    for name, chosen in values.items():
        escaped = [regex_escape(v) for v in chosen]
        render[name] = escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    expanded = _substitute(text, render)
    leftover = _VARIABLE.search(expanded)
    assert leftover is None or leftover.group(0).startswith("$col") or leftover.group(0).startswith("$tag"), (
        f"unexpanded variable {leftover.group(0)} in {expanded}")
    return expanded


def expand_sql(query: str, values: dict[str, list[str]], *, range_days: int = 30) -> str:
    now = datetime.now(UTC)
    start = (now - timedelta(days=range_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = re.sub(r"\$__timeFilter\(([^)]+)\)", lambda m: f"{m.group(1)} BETWEEN '{start}' AND '{end}'", query)
    render = {name: ",".join("'" + v.replace("'", "''") + "'" for v in chosen) for name, chosen in values.items()}
    expanded = _substitute(text, render)
    assert "$" not in expanded, f"unexpanded macro or variable in {expanded}"
    return expanded
