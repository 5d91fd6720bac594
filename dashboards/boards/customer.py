"""Customer overview: one customer's devices up and down, hosts, busiest CPUs and fullest disks,
interface utilisation, reachability, UPSs on battery and open tickets."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import sql, variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.boards._overview import devices_up_down, hosts_reporting
from vigil.dashboards.panels import FAULT_OK, bar_gauge, stat_panel, table_panel, time_series
from vigil.dashboards.queries import POSTGRES, SQL, InfluxQL, Scope, select

TITLE = "Customer overview"
FLEET_ONLY = False
SCOPE = Scope(("customer", "site"))


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("One customer's sites: devices, hosts, power and tickets.")
    for variable in (variables.customer(ctx.customer), variables.site()):
        board = board.with_variable(variable)
    panels = [
        stat_panel("Devices up / down", "short", [InfluxQL(devices_up_down(SCOPE)).alias("$col")], width=6),
        stat_panel("Hosts reporting", "short", [InfluxQL(hosts_reporting(SCOPE))], width=6),
        stat_panel("UPSs on battery", "short", [InfluxQL(
            'SELECT sum("on_battery") AS "on battery" FROM (SELECT last("on_battery") AS "on_battery" FROM "ups" '  # noqa: S608 - query text built from constants, no input
            f'WHERE {SCOPE.where()} AND $timeFilter GROUP BY "device")')], mappings=None, width=6),
        bar_gauge("Open tickets by priority", "short", [SQL(sql.OPEN_BY_PRIORITY)], datasource=POSTGRES, width=6),
        time_series("CPU busy by host", "percent",
                    [InfluxQL(select("cpu", ["util_percent"], SCOPE, by=("host",), extra_where="\"cpu\" = 'total'"))
                     .alias("$tag_host")], rule=("cpu", "util_percent")),
        time_series("Fullest file systems", "percent",
                    [InfluxQL(select("disk", ["used_percent"], SCOPE, by=("host", "path"), aggregate="max"))
                     .alias("$tag_host $tag_path")], rule=("disk", "used_percent")),
        time_series("Busiest interfaces (receive)", "percent",
                    [InfluxQL(select("interface", ["in_util_percent"], SCOPE, by=("device",), aggregate="max"))
                     .alias("$tag_device")], rule=("interface", "in_util_percent")),
        time_series("Ping round trip", "s",
                    [InfluxQL(select("ping", ["rtt_seconds"], SCOPE, by=("device",))).alias("$tag_device")],
                    rule=("ping", "rtt_seconds")),
        table_panel("Devices", "none",
                    [InfluxQL(select("snmp", ["up", "uptime_seconds"], SCOPE, by=("site", "device"),
                                     aggregate="last", grouped_by_time=False)).table()], width=24)
        .override_by_name("uptime_seconds", _unit("s")),
        table_panel("UPS on battery", "none",
                    [InfluxQL(select("ups", ["on_battery"], SCOPE, by=("device",),
                                     aggregate="last", grouped_by_time=False)).table()],
                    mappings=FAULT_OK, width=24),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def _unit(unit: str):  # type: ignore[no-untyped-def]
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [DynamicConfigValue(id_val="unit", value=unit)]
