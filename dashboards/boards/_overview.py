"""InfluxQL shared by the fleet and customer overviews: devices up and down, hosts reporting.

A device is up when the last ``snmp.up`` in the time range is 1; the counts come from a
subquery of the last value per device (InfluxQL subqueries: InfluxDB 1.2 and later, 2.x's v1
API, 3.x).
"""

from __future__ import annotations

from vigil.dashboards.queries import Scope


def devices_up_down(scope: Scope, by: tuple[str, ...] = ()) -> str:
    inner_by = ", ".join(f'"{t}"' for t in (*by, "device"))
    outer = f" GROUP BY {', '.join(repr_tag(t) for t in by)}" if by else ""
    return (
        'SELECT count("up") AS "devices", sum("up") AS "up", count("up") - sum("up") AS "down" '  # noqa: S608 - query text built from constants, no input
        f'FROM (SELECT last("up") AS "up" FROM "snmp" WHERE {scope.where()} AND $timeFilter GROUP BY {inner_by})'
        + outer
    )


def hosts_reporting(scope: Scope, by: tuple[str, ...] = ()) -> str:
    inner_by = ", ".join(f'"{t}"' for t in (*by, "host"))
    outer = f" GROUP BY {', '.join(repr_tag(t) for t in by)}" if by else ""
    return (
        'SELECT count("uptime") AS "hosts" FROM (SELECT last("uptime_seconds") AS "uptime" FROM "system" '  # noqa: S608 - query text built from constants, no input
        f"WHERE {scope.where()} AND $timeFilter GROUP BY {inner_by})" + outer
    )


def repr_tag(tag: str) -> str:
    return f'"{tag}"'
