"""Panel factories: every panel vigil ships has a unit, and thresholds from the default rules.

Each factory returns an SDK panel builder (time series, stat, table, bar gauge). ``unit`` is a
required argument, never defaulted, and ``rule`` names the ``(measurement, field)`` whose
default rule colours the panel (see :mod:`vigil.dashboards.thresholds`). Grafana unit ids used
here: ``percent``, ``bytes``, ``Bps`` (bytes/s), ``bps`` (bits/s), ``s``, ``cps`` (counts/s),
``celsius``, ``volt``, ``amp``, ``short`` (a plain count), ``none`` (a state or text).
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, ReduceDataOptions
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.common import GraphThresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    ValueMap,
    ValueMappingResult,
)
from vigil.dashboards.queries import INFLUX
from vigil.dashboards.thresholds import plain_thresholds, thresholds_for

Target = cogbuilder.Builder[cogvariants.Dataquery]
Rule = tuple[str, str]

UP_DOWN = [ValueMap(options={
    "0": ValueMappingResult(text="down", color="red", index=0),
    "1": ValueMappingResult(text="up", color="green", index=1),
})]
OK_FAULT = [ValueMap(options={
    "0": ValueMappingResult(text="fault", color="red", index=0),
    "1": ValueMappingResult(text="normal", color="green", index=1),
})]
FAULT_OK = [ValueMap(options={
    "0": ValueMappingResult(text="no", color="green", index=0),
    "1": ValueMappingResult(text="yes", color="red", index=1),
})]


def _thresholds(rule: Rule | None) -> ThresholdsConfig:
    found = thresholds_for(*rule) if rule else None
    return found or plain_thresholds()


def time_series(title: str, unit: str, targets: Sequence[Target], *, rule: Rule | None = None,
                description: str = "", width: int = 12, height: int = 8,
                datasource: DataSourceRef = INFLUX) -> timeseries.Panel:
    panel = (
        timeseries.Panel().title(title).description(description).unit(unit).datasource(datasource)
        .targets(list(targets)).thresholds(_thresholds(rule)).span(width).height(height)
    )
    if rule and thresholds_for(*rule):
        panel = panel.thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.LINE))
    return panel


def stat_panel(title: str, unit: str, targets: Sequence[Target], *, rule: Rule | None = None,
               mappings: list[ValueMap] | None = None, description: str = "", width: int = 6, height: int = 4,
               datasource: DataSourceRef = INFLUX, calc: str = "lastNotNull") -> stat.Panel:
    panel = (
        stat.Panel().title(title).description(description).unit(unit).datasource(datasource)
        .targets(list(targets)).thresholds(_thresholds(rule)).span(width).height(height)
        .reduce_options(ReduceDataOptions().calcs([calc]).values(False))
    )
    if mappings:
        panel = panel.mappings(list(mappings))
    return panel


def table_panel(title: str, unit: str, targets: Sequence[Target], *, rule: Rule | None = None,
                mappings: list[ValueMap] | None = None, description: str = "", width: int = 12, height: int = 8,
                datasource: DataSourceRef = INFLUX) -> table.Panel:
    panel = (
        table.Panel().title(title).description(description).unit(unit).datasource(datasource)
        .targets(list(targets)).thresholds(_thresholds(rule)).span(width).height(height)
    )
    if mappings:
        panel = panel.mappings(list(mappings))
    return panel


def bar_gauge(title: str, unit: str, targets: Sequence[Target], *, rule: Rule | None = None,
              description: str = "", width: int = 12, height: int = 8,
              datasource: DataSourceRef = INFLUX) -> bargauge.Panel:
    return (
        bargauge.Panel().title(title).description(description).unit(unit).datasource(datasource)
        .targets(list(targets)).thresholds(_thresholds(rule)).span(width).height(height)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
