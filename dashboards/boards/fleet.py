"""Fleet overview, all customers: devices up and down, hosts reporting, open tickets by
priority, tickets whose SLA is at risk. Staff only: it lives in the fleet folder alone."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from vigil.dashboards import sql, variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.boards._overview import devices_up_down, hosts_reporting
from vigil.dashboards.boards.sla import time_left_steps
from vigil.dashboards.panels import stat_panel, table_panel
from vigil.dashboards.queries import POSTGRES, SQL, InfluxQL, Scope

TITLE = "Fleet overview"
FLEET_ONLY = True
SCOPE = Scope(("customer",))


def build(ctx: BoardContext) -> Dashboard:
    # The customer list comes from vigil's database, so a customer without metrics still shows tickets.
    board = new_dashboard("Every customer at a glance.").with_variable(variables.customer(None, sql=True))
    panels = [
        stat_panel("Devices up", "short", [InfluxQL(devices_up_down(SCOPE)).alias("$col")], width=4),
        stat_panel("Devices down", "short", [InfluxQL(devices_up_down(SCOPE)).alias("$col")], width=4)
        .reduce_options(_fields("down")),
        stat_panel("Hosts reporting", "short", [InfluxQL(hosts_reporting(SCOPE))], width=4),
        stat_panel("SLA at risk", "short", [SQL(sql.SLA_AT_RISK_COUNT)], datasource=POSTGRES, width=4),
        stat_panel("Open P1 tickets", "short", [SQL(sql.OPEN_BY_PRIORITY)], datasource=POSTGRES, width=8)
        .reduce_options(_fields("open", limit=1)),
        table_panel("Devices by customer", "short",
                    [InfluxQL(devices_up_down(SCOPE, by=("customer",))).table().ref_id("A"),
                     InfluxQL(hosts_reporting(SCOPE, by=("customer",))).table().ref_id("B")]),
        table_panel("Open tickets by customer and priority", "short", [SQL(sql.OPEN_BY_CUSTOMER_AND_PRIORITY)],
                    datasource=POSTGRES),
        table_panel("SLA at risk", "s", [SQL(sql.SLA_AT_RISK)], datasource=POSTGRES, width=24)
        .thresholds(time_left_steps()),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def _fields(name: str, limit: int | None = None):  # type: ignore[no-untyped-def]
    from grafana_foundation_sdk.builders.common import ReduceDataOptions

    options = ReduceDataOptions().calcs(["lastNotNull"]).values(limit is not None).fields(f"/^{name}$/")
    return options.limit(limit) if limit is not None else options
