"""Every panel query and every variable query, expanded as Grafana expands them, runs against
real data and returns rows: InfluxQL against the session's InfluxDB holding what the real agent
and the real site collector shipped through vigil's ingest (see conftest.py), SQL against a
PostgreSQL migrated by vigil's own migrations. A query that returns nothing fails.

Variables are resolved in dashboard order by running their own queries ("All" selected), so a
variable query that returns nothing fails too.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from vigil.dashboards.boards import BoardContext, load, names, render
from vigil.dashboards.queries import INFLUX_TYPE, POSTGRES_TYPE

from tests.dashboards.conftest import DashboardMetrics
from tests.dashboards.desk_data import AT_RISK_NUMBERS, PAUSED_NUMBER
from tests.dashboards.grafana_expand import expand_influxql, expand_sql

CASES = [(name, customer) for name in names() for customer in (None, "acme")
         if customer is None or not load(name).fleet_only]


def _sql_rows(dsn: str, text: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(text).fetchall())  # type: ignore[arg-type]


def _resolve_variables(board: dict[str, Any], metrics: DashboardMetrics, dsn: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for variable in board["templating"]["list"]:
        name = variable["name"]
        if variable["type"] == "custom":
            values[name] = [v.strip() for v in variable["query"].split(",")]
        elif variable["datasource"]["type"] == POSTGRES_TYPE:
            values[name] = [str(row[0]) for row in _sql_rows(dsn, expand_sql(variable["query"], values))]
        else:
            series = metrics.query(expand_influxql(variable["query"], values))
            values[name] = sorted({str(row[1]) for s in series for row in s["values"]})
        assert values[name], f"variable {name} has no values: {variable['query']}"
    return values


def _targets(board: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(panel["title"], target) for panel in board["panels"] for target in panel.get("targets", [])]


@pytest.mark.parametrize(("name", "customer"), CASES, ids=[f"{n}-{c or 'fleet'}" for n, c in CASES])
def test_every_panel_query_returns_rows(name: str, customer: str | None, dashboard_metrics: DashboardMetrics,
                                        desk_dsn: str) -> None:
    board = render(load(name), BoardContext(customer))
    values = _resolve_variables(board, dashboard_metrics, desk_dsn)
    if "customer" in values:
        assert "acme" in values["customer"]
    empty: list[str] = []
    for title, target in _targets(board):
        kind = target["datasource"]["type"]
        if kind == INFLUX_TYPE:
            text = expand_influxql(target["query"], values)
            series = dashboard_metrics.query(text)
            numbers = [v for s in series for row in s["values"] for v in row[1:] if isinstance(v, int | float)]
            if not numbers:
                empty.append(f"{title}: {text}")
        else:
            assert kind == POSTGRES_TYPE
            text = expand_sql(target["rawSql"], values)
            rows = _sql_rows(desk_dsn, text)
            if not rows or all(v is None for row in rows for v in row):
                empty.append(f"{title}: {text}")
    assert not empty, "queries without data:\n" + "\n".join(empty)


def test_sla_at_risk_lists_the_due_and_overdue_tickets_but_not_paused_or_closed_ones(desk_dsn: str) -> None:
    board = render(load("sla"), BoardContext("acme"))
    target = next(t for title, t in _targets(board) if title == "SLA at risk" and "LIMIT" in t["rawSql"])
    rows = _sql_rows(desk_dsn, expand_sql(target["rawSql"], {"customer": ["acme"]}))
    numbers = {row[0] for row in rows}
    assert numbers == AT_RISK_NUMBERS and PAUSED_NUMBER not in numbers
    overdue = next(row for row in rows if row[0] == "T-ACME-1")
    assert overdue[5] == "response" and overdue[7] < 0


def test_open_tickets_by_priority_counts_only_open_tickets_of_the_chosen_customers(desk_dsn: str) -> None:
    board = render(load("sla"), BoardContext(None))
    target = next(t for title, t in _targets(board) if title == "Open tickets by priority")
    acme = dict(_sql_rows(desk_dsn, expand_sql(target["rawSql"], {"customer": ["acme"]})))
    both = dict(_sql_rows(desk_dsn, expand_sql(target["rawSql"], {"customer": ["acme", "bravo"]})))
    assert acme == {"P1": 1, "P2": 2, "P3": 1, "P4": 0}
    assert both == {"P1": 1, "P2": 2, "P3": 1, "P4": 1}  # bravo's P1 is resolved, its P2 closed


def test_pinned_customer_sees_only_its_own_series(dashboard_metrics: DashboardMetrics, desk_dsn: str) -> None:
    board = render(load("host"), BoardContext("bravo"))
    target = next(t for title, t in _targets(board) if title == "CPU busy")
    values = {"customer": ["bravo"], "site": ["main"], "host": ["acme-agent"]}
    assert dashboard_metrics.query(expand_influxql(target["query"], values)) == []
