"""UPS and power: mains/battery state, charge, runtime, load, voltages, battery temperature and
rack PDU load."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.panels import FAULT_OK, OK_FAULT, stat_panel, time_series
from vigil.dashboards.queries import Aggregate, InfluxQL, Scope, select

TITLE = "UPS and power"
FLEET_ONLY = False
SCOPE = Scope(("customer", "site", "device"))


def _q(measurement: str, fields: list[str], by: tuple[str, ...] = ("device",), alias: str = "$tag_device",
       aggregate: Aggregate = "mean") -> InfluxQL:
    return InfluxQL(select(measurement, fields, SCOPE, by=by, aggregate=aggregate)).alias(alias)


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("UPSs (UPS-MIB and vendor MIBs) and rack PDUs polled by the site collector.")
    for variable in (variables.customer(ctx.customer), variables.site(), variables.device(("ups", "pdu"))):
        board = board.with_variable(variable)
    panels = [
        stat_panel("On battery", "none", [_q("ups", ["on_battery"], aggregate="last")], mappings=FAULT_OK,
                   description="Mains power lost: the ups_on_battery rule pages at once."),
        stat_panel("Battery status", "none", [_q("ups", ["battery_ok"], aggregate="last")], mappings=OK_FAULT,
                   description="UPS-MIB upsBatteryStatus; a replacement request opens a maintenance ticket."),
        stat_panel("Battery charge", "percent", [_q("ups", ["battery_charge_percent"], aggregate="last")],
                   rule=("ups", "battery_charge_percent")),
        stat_panel("Runtime left", "s", [_q("ups", ["battery_runtime_seconds"], aggregate="last")]),
        time_series("Battery charge", "percent", [_q("ups", ["battery_charge_percent"])],
                    rule=("ups", "battery_charge_percent")),
        time_series("Runtime left", "s", [_q("ups", ["battery_runtime_seconds"])]),
        time_series("Output load", "percent", [_q("ups", ["load_percent"])], rule=("ups", "load_percent")),
        time_series("Voltages", "volt", [_q("ups", ["input_voltage_volts", "output_voltage_volts"],
                                            alias="$tag_device $col")]),
        time_series("Battery temperature", "celsius", [_q("ups", ["battery_temperature_celsius"])],
                    rule=("ups", "battery_temperature_celsius")),
        time_series("PDU load", "amp", [_q("pdu", ["load_amps"], by=("device", "bank"),
                                           alias="$tag_device bank $tag_bank")]),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board
