"""Host: what the vigil agent reports (CPU, memory, load, disks, disk I/O, network, processes)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.panels import stat_panel, table_panel, time_series
from vigil.dashboards.queries import InfluxQL, Scope, select

TITLE = "Host"
FLEET_ONLY = False
SCOPE = Scope(("customer", "site", "host"))


def _q(measurement: str, fields: list[str], by: tuple[str, ...] = ("host",), alias: str = "$tag_host $col",
       extra: str = "", aggregate: str = "mean") -> InfluxQL:
    text = select(measurement, fields, SCOPE, by=by, extra_where=extra, aggregate=aggregate)  # type: ignore[arg-type]
    return InfluxQL(text).alias(alias)


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("Health of hosts running the vigil agent.")
    for variable in (variables.customer(ctx.customer), variables.site(), variables.host()):
        board = board.with_variable(variable)
    total = "\"cpu\" = 'total'"
    panels = [
        stat_panel("Uptime", "s", [InfluxQL(select("system", ["uptime_seconds"], SCOPE, by=("host",),
                                                   aggregate="last")).alias("$tag_host")]),
        stat_panel("Processes", "short", [_q("system", ["processes_count"], alias="$tag_host", aggregate="last")]),
        stat_panel("Logged-in users", "short", [_q("system", ["users_count"], alias="$tag_host", aggregate="last")]),
        stat_panel("Memory used", "percent", [_q("mem", ["used_percent"], alias="$tag_host", aggregate="last")],
                   rule=("mem", "used_percent")),
        time_series("CPU busy", "percent", [_q("cpu", ["util_percent"], extra=total, alias="$tag_host")],
                    rule=("cpu", "util_percent")),
        time_series("CPU time by kind", "percent",
                    [_q("cpu", ["user_percent", "system_percent", "iowait_percent", "steal_percent"],
                        extra=total)]),
        time_series("Memory used", "percent", [_q("mem", ["used_percent"], alias="$tag_host")],
                    rule=("mem", "used_percent")),
        time_series("Memory", "bytes", [_q("mem", ["used_bytes", "available_bytes", "cached_bytes"])]),
        time_series("Swap used", "percent", [_q("mem", ["swap_used_percent"], alias="$tag_host")],
                    rule=("mem", "swap_used_percent")),
        time_series("Load per core (1 min)", "short", [_q("system", ["load1_per_core"], alias="$tag_host")],
                    rule=("system", "load1_per_core")),
        time_series("File system used", "percent",
                    [_q("disk", ["used_percent"], by=("host", "path"), alias="$tag_host $tag_path")],
                    rule=("disk", "used_percent")),
        time_series("Inodes used", "percent",
                    [_q("disk", ["inodes_used_percent"], by=("host", "path"), alias="$tag_host $tag_path")],
                    rule=("disk", "inodes_used_percent")),
        time_series("Disk throughput", "Bps",
                    [_q("diskio", ["read_bytes_per_second", "write_bytes_per_second"], by=("host", "name"),
                        alias="$tag_host $tag_name $col")]),
        time_series("Disk busy", "percent",
                    [_q("diskio", ["busy_percent"], by=("host", "name"), alias="$tag_host $tag_name")]),
        time_series("Disk wait per operation", "s",
                    [_q("diskio", ["await_seconds"], by=("host", "name"), alias="$tag_host $tag_name")]),
        time_series("Network traffic", "Bps",
                    [_q("net", ["recv_bytes_per_second", "sent_bytes_per_second"], by=("host", "interface"),
                        alias="$tag_host $tag_interface $col")]),
        time_series("Network receive errors", "cps",
                    [_q("net", ["recv_errors_per_second"], by=("host", "interface"),
                        alias="$tag_host $tag_interface")],
                    rule=("net", "recv_errors_per_second")),
        time_series("Network drops", "cps",
                    [_q("net", ["recv_drops_per_second", "sent_drops_per_second"], by=("host", "interface"),
                        alias="$tag_host $tag_interface $col")]),
        table_panel("Heaviest processes (resident memory)", "bytes",
                    [InfluxQL(select("procstat", ["rss_bytes"], SCOPE, by=("host", "process"),
                                     extra_where="\"rank_by\" = 'memory'", aggregate="last",
                                     grouped_by_time=False)).table()]),
        time_series("Agent spool", "bytes", [_q("agent", ["spool_bytes"], alias="$tag_host",
                                                extra="\"collector_name\" = ''")]),
        time_series("Agent: oldest unsent data", "s",
                    [_q("agent", ["oldest_unsent_age_seconds"], alias="$tag_host", extra="\"collector_name\" = ''")]),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board
