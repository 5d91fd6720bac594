"""Network device: interfaces (traffic, utilisation, errors, status), CPU, memory, temperatures,
storage and reachability of the devices a site collector polls."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.panels import UP_DOWN, stat_panel, table_panel, time_series
from vigil.dashboards.queries import Aggregate, InfluxQL, Scope, select

TITLE = "Network device"
FLEET_ONLY = False
DEVICE = Scope(("customer", "site", "device"))
INTERFACE = Scope(("customer", "site", "device", "interface"))


def _q(measurement: str, fields: list[str], scope: Scope = DEVICE, by: tuple[str, ...] = ("device",),
       alias: str = "$tag_device", extra: str = "", aggregate: Aggregate = "mean") -> InfluxQL:
    return InfluxQL(select(measurement, fields, scope, by=by, extra_where=extra, aggregate=aggregate)).alias(alias)


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("Devices polled by the site collector over SNMP, SSH and ping.")
    for variable in (variables.customer(ctx.customer), variables.site(), variables.device(("interface",)),
                     variables.interface()):
        board = board.with_variable(variable)
    per_if = ("device", "interface")
    panels = [
        stat_panel("SNMP answering", "none", [_q("snmp", ["up"], aggregate="last")], mappings=UP_DOWN),
        stat_panel("Uptime", "s", [_q("snmp", ["uptime_seconds"], aggregate="last")]),
        stat_panel("Interfaces up", "short", [InfluxQL(
            'SELECT sum("oper_up") AS "up" FROM (SELECT last("oper_up") AS "oper_up" FROM "interface" WHERE '  # noqa: S608 - query text built from constants, no input
            + INTERFACE.where() + ' AND $timeFilter GROUP BY "device", "interface") GROUP BY "device"'
        ).alias("$tag_device")]),
        stat_panel("Ping round trip", "s", [_q("ping", ["rtt_seconds"], aggregate="last")],
                   rule=("ping", "rtt_seconds")),
        time_series("Interface traffic", "bps",
                    [_q("interface", ["in_bits_per_second", "out_bits_per_second"], INTERFACE, per_if,
                        "$tag_device $tag_interface $col")]),
        time_series("Interface receive utilisation", "percent",
                    [_q("interface", ["in_util_percent"], INTERFACE, per_if, "$tag_device $tag_interface")],
                    rule=("interface", "in_util_percent")),
        time_series("Interface send utilisation", "percent",
                    [_q("interface", ["out_util_percent"], INTERFACE, per_if, "$tag_device $tag_interface")],
                    rule=("interface", "out_util_percent")),
        time_series("Interface receive errors", "cps",
                    [_q("interface", ["in_errors_per_second"], INTERFACE, per_if, "$tag_device $tag_interface")],
                    rule=("interface", "in_errors_per_second")),
        time_series("Interface send errors and discards", "cps",
                    [_q("interface", ["out_errors_per_second", "in_discards_per_second", "out_discards_per_second"],
                        INTERFACE, per_if, "$tag_device $tag_interface $col")]),
        table_panel("Interface status", "none",
                    [InfluxQL(select("interface", ["oper_up", "admin_up"], INTERFACE, by=per_if, aggregate="last",
                                     grouped_by_time=False)).table()],
                    mappings=UP_DOWN, width=24),
        time_series("CPU", "percent", [_q("device_cpu", ["util_percent"], by=("device", "unit"),
                                          alias="$tag_device $tag_unit")],
                    rule=("device_cpu", "util_percent")),
        time_series("Memory used", "percent", [_q("device_mem", ["used_percent"], by=("device", "unit"),
                                                  alias="$tag_device $tag_unit")],
                    rule=("device_mem", "used_percent")),
        time_series("Temperatures", "celsius", [_q("device_sensor", ["temperature_celsius"], by=("device", "sensor"),
                                                   alias="$tag_device $tag_sensor")],
                    rule=("device_sensor", "temperature_celsius")),
        time_series("Storage used", "percent", [_q("device_storage", ["used_percent"], by=("device", "storage"),
                                                   alias="$tag_device $tag_storage")],
                    rule=("device_storage", "used_percent")),
        time_series("Ping round trip", "s", [_q("ping", ["rtt_seconds"])], rule=("ping", "rtt_seconds")),
        time_series("Ping loss", "percent", [_q("ping", ["loss_percent"])]),
        time_series("SNMP poll duration", "s", [_q("snmp", ["poll_duration_seconds"])]),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board
