"""Site collector health: heartbeat, cycle time, devices polled and late, errors by kind,
varbinds read, and per-device poll durations."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.panels import UP_DOWN, stat_panel, table_panel, time_series
from vigil.dashboards.queries import Aggregate, InfluxQL, Scope, select

TITLE = "Site collector health"
FLEET_ONLY = False
SCOPE = Scope(("customer", "site", "collector"))


def _q(measurement: str, fields: list[str], by: tuple[str, ...] = ("collector",), alias: str = "$tag_collector",
       aggregate: Aggregate = "mean") -> InfluxQL:
    return InfluxQL(select(measurement, fields, SCOPE, by=by, aggregate=aggregate)).alias(alias)


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("The site collectors themselves: are they alive, keeping up, and reaching devices?")
    for variable in (variables.customer(ctx.customer), variables.site(), variables.collector()):
        board = board.with_variable(variable)
    errors = ["errors_snmp_timeout_count", "errors_snmp_auth_count", "errors_ssh_count", "errors_hostkey_count"]
    panels = [
        stat_panel("Heartbeats in range", "short", [_q("collector", ["heartbeat"], aggregate="count")],
                   calc="sum", description="collector_silent pages after 3 missed one-minute heartbeats."),
        stat_panel("Devices polled", "short", [_q("collector", ["devices_count"], aggregate="last")]),
        stat_panel("Devices late", "short", [_q("collector", ["devices_late_count"], aggregate="last")]),
        stat_panel("Errors, last cycle", "short", [_q("collector", ["errors_count"], aggregate="last")]),
        time_series("Heartbeats", "short", [_q("collector", ["heartbeat"], aggregate="count")]),
        time_series("Cycle duration", "s", [_q("collector", ["cycle_duration_seconds"])]),
        time_series("Devices polled and late", "short", [_q("collector", ["devices_count", "devices_late_count"],
                                                            alias="$tag_collector $col")]),
        time_series("Errors by kind", "short", [_q("collector", errors, alias="$tag_collector $col", aggregate="max")]),
        time_series("Varbinds read per cycle", "short", [_q("collector", ["varbinds_count"])]),
        time_series("SNMP poll duration by device", "s",
                    [_q("snmp", ["poll_duration_seconds"], by=("collector", "device"), alias="$tag_device")]),
        table_panel("Devices answering SNMP", "none",
                    [InfluxQL(select("snmp", ["up"], SCOPE, by=("collector", "device"), aggregate="last",
                                     grouped_by_time=False)).table()],
                    mappings=UP_DOWN, width=24),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board
