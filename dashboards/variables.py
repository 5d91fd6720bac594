"""Template variables: customer, site, host, device, interface, collector.

In the fleet folder the customer is a variable over every customer in InfluxDB; in a customer's
folder it is a hidden one-value variable, so the same dashboard JSON serves both and every
query is written once (``"customer" =~ /^$customer$/``). Every variable is multi-valued with
"All": Grafana then expands it as a regex alternation of regex-escaped values in InfluxQL, and
as a list of quoted strings in SQL, the two forms the queries expect.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import CustomVariable, QueryVariable
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableHide,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from vigil.dashboards.queries import INFLUX, POSTGRES

VariableBuilder = CustomVariable | QueryVariable


def _query_variable(name: str, label: str, query: str, datasource: DataSourceRef = INFLUX) -> QueryVariable:
    return (
        QueryVariable(name).label(label).datasource(datasource).query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True).include_all(True)
        .current(VariableOption(text="All", value="$__all", selected=True))
    )


def customer(pinned: str | None, *, sql: bool = False) -> VariableBuilder:
    """The customer: one pinned, hidden value in a customer's folder, else every customer."""
    if pinned is not None:
        return (
            CustomVariable("customer").label("Customer").values(pinned).multi(True).include_all(False)
            .allow_custom_value(False).hide(VariableHide.HIDE_VARIABLE)
            .options([VariableOption(text=pinned, value=pinned, selected=True)])
            .current(VariableOption(text=[pinned], value=[pinned], selected=True))
        )
    if sql:
        return _query_variable("customer", "Customer", "SELECT slug FROM customers ORDER BY slug", POSTGRES)
    return _query_variable("customer", "Customer", 'SHOW TAG VALUES WITH KEY = "customer"')


def _where(*tags: str) -> str:
    return " AND ".join(f'"{t}" =~ /^${t}$/' for t in tags)


def site() -> QueryVariable:
    return _query_variable("site", "Site", f'SHOW TAG VALUES WITH KEY = "site" WHERE {_where("customer")}')


def host() -> QueryVariable:
    return _query_variable(
        "host", "Host", f'SHOW TAG VALUES FROM "system" WITH KEY = "host" WHERE {_where("customer", "site")}'
    )


def device(measurements: tuple[str, ...]) -> QueryVariable:
    source = f'"{measurements[0]}"' if len(measurements) == 1 else "/^(" + "|".join(measurements) + ")$/"
    return _query_variable(
        "device", "Device", f'SHOW TAG VALUES FROM {source} WITH KEY = "device" WHERE {_where("customer", "site")}'
    )


def interface() -> QueryVariable:
    return _query_variable(
        "interface", "Interface",
        f'SHOW TAG VALUES FROM "interface" WITH KEY = "interface" WHERE {_where("customer", "site", "device")}',
    )


def collector() -> QueryVariable:
    return _query_variable(
        "collector", "Collector",
        f'SHOW TAG VALUES FROM "collector" WITH KEY = "collector" WHERE {_where("customer", "site")}',
    )
