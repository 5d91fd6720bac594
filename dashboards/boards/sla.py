"""SLA and tickets, from vigil's relational database (PostgreSQL data source): open tickets by
priority and status, tickets whose SLA is at risk, tickets opened, and SLA attainment."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig as Steps
from grafana_foundation_sdk.models.dashboard import Threshold, ThresholdsMode
from vigil.dashboards import sql, variables
from vigil.dashboards.boards import BoardContext, new_dashboard
from vigil.dashboards.panels import bar_gauge, stat_panel, table_panel, time_series
from vigil.dashboards.queries import POSTGRES, SQL

TITLE = "SLA and tickets"
FLEET_ONLY = False


def attainment_steps() -> Steps:
    return Steps().mode(ThresholdsMode.ABSOLUTE).steps([
        Threshold(value=None, color="red"), Threshold(value=90, color="orange"), Threshold(value=95, color="green"),
    ])


def time_left_steps() -> Steps:
    return Steps().mode(ThresholdsMode.ABSOLUTE).steps([
        Threshold(value=None, color="red"), Threshold(value=0, color="orange"),
        Threshold(value=sql.AT_RISK_SECONDS / 2, color="yellow"),
    ])


def build(ctx: BoardContext) -> Dashboard:
    board = new_dashboard("Tickets and SLA clocks from vigil's database.").with_variable(
        variables.customer(ctx.customer, sql=True))
    panels = [
        stat_panel("SLA at risk", "short", [SQL(sql.SLA_AT_RISK_COUNT)], datasource=POSTGRES,
                   description="Open, unpaused tickets due within an hour or overdue."),
        stat_panel("Responded in time", "percent", [SQL(sql.RESPONSE_MET_PERCENT)], datasource=POSTGRES)
        .thresholds(attainment_steps()),
        stat_panel("Resolved in time", "percent", [SQL(sql.RESOLUTION_MET_PERCENT)], datasource=POSTGRES)
        .thresholds(attainment_steps()),
        stat_panel("Mean time to respond", "s", [SQL(sql.MEAN_RESPONSE_SECONDS)], datasource=POSTGRES),
        bar_gauge("Open tickets by priority", "short", [SQL(sql.OPEN_BY_PRIORITY)], datasource=POSTGRES),
        bar_gauge("Open tickets by status", "short", [SQL(sql.OPEN_BY_STATUS)], datasource=POSTGRES),
        table_panel("SLA at risk", "s", [SQL(sql.SLA_AT_RISK)], datasource=POSTGRES, width=24)
        .thresholds(time_left_steps()),
        time_series("Tickets opened per day", "short", [SQL(sql.OPENED_PER_DAY).time_series()],
                    datasource=POSTGRES, width=24),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board
