"""Typed query models the Grafana Foundation SDK lacks: InfluxQL and PostgreSQL targets.

The SDK (pinned to the Grafana 11.6 build) types every panel, variable and threshold, but has
no query type for the InfluxDB or PostgreSQL data sources. :class:`InfluxQLQuery` and
:class:`SQLQuery` subclass the SDK's ``Dataquery`` variant, so the SDK's panel builders accept
them like their own, and serialise to exactly the target JSON those data sources store
(``query``/``rawQuery``/``resultFormat`` for InfluxDB, ``rawSql``/``format``/``editorMode``
for PostgreSQL). Their builders (:class:`InfluxQL`, :class:`SQL`) follow the SDK's builder shape.

:func:`select` writes the InfluxQL text every time-series panel uses, so every query has the
same shape: one field, the identity filters as anchored regexes over the dashboard's variables
(``"site" =~ /^$site$/``), ``$timeFilter`` and ``GROUP BY time($__interval)``. That surface is
plain InfluxQL, which InfluxDB 1.x, 2.x (v1 compatibility API) and 3.x all answer.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from vigil.agent.schema import IDENTITY_TAGS, MEASUREMENTS

INFLUX_TYPE = "influxdb"
POSTGRES_TYPE = "grafana-postgresql-datasource"
INFLUX_UID = "vigil-influxdb"
POSTGRES_UID = "vigil-postgres"

INFLUX = DataSourceRef(type_val=INFLUX_TYPE, uid=INFLUX_UID)
POSTGRES = DataSourceRef(type_val=POSTGRES_TYPE, uid=POSTGRES_UID)

ResultFormat = typing.Literal["time_series", "table"]
SqlFormat = typing.Literal["time_series", "table"]


class InfluxQLQuery(cogvariants.Dataquery):
    """A raw InfluxQL target of Grafana's InfluxDB data source (query language InfluxQL)."""

    def __init__(self, ref_id: str = "A", query: str = "", alias: str | None = None,
                 result_format: ResultFormat = "time_series") -> None:
        self.ref_id = ref_id
        self.query = query
        self.alias = alias
        self.result_format = result_format

    def to_json(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "refId": self.ref_id,
            "datasource": INFLUX.to_json(),
            "query": self.query,
            "rawQuery": True,
            "resultFormat": self.result_format,
        }
        if self.alias is not None:
            payload["alias"] = self.alias
        return payload


class InfluxQL(cogbuilder.Builder[InfluxQLQuery]):
    def __init__(self, query: str) -> None:
        self._internal = InfluxQLQuery(query=query)

    def build(self) -> InfluxQLQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> typing.Self:
        self._internal.ref_id = ref_id
        return self

    def alias(self, alias: str) -> typing.Self:
        """Legend text; ``$tag_<key>`` names the series by a GROUP BY tag."""
        self._internal.alias = alias
        return self

    def table(self) -> typing.Self:
        self._internal.result_format = "table"
        return self


class SQLQuery(cogvariants.Dataquery):
    """A raw SQL target of Grafana's PostgreSQL data source (code editor mode)."""

    def __init__(self, ref_id: str = "A", raw_sql: str = "", format_val: SqlFormat = "table") -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.format_val = format_val

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": POSTGRES.to_json(),
            "rawSql": self.raw_sql,
            "rawQuery": True,
            "editorMode": "code",
            "format": self.format_val,
        }


class SQL(cogbuilder.Builder[SQLQuery]):
    def __init__(self, raw_sql: str) -> None:
        self._internal = SQLQuery(raw_sql=raw_sql)

    def build(self) -> SQLQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> typing.Self:
        self._internal.ref_id = ref_id
        return self

    def time_series(self) -> typing.Self:
        self._internal.format_val = "time_series"
        return self


Aggregate = typing.Literal["mean", "max", "min", "last", "sum", "count"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which identity tags a dashboard filters on, each bound to the variable of the same name."""

    tags: tuple[str, ...]

    def where(self) -> str:
        return " AND ".join(f'"{tag}" =~ /^${tag}$/' for tag in self.tags)


class SchemaMismatch(ValueError):
    """A query names a measurement, field or tag the metric schema (vigil.agent.schema) lacks."""


def check_schema(measurement: str, fields: typing.Iterable[str], tags: typing.Iterable[str]) -> None:
    known = MEASUREMENTS.get(measurement)
    if known is None:
        raise SchemaMismatch(f"unknown measurement {measurement!r}")
    unknown_fields = sorted(set(fields) - set(known.fields))
    unknown_tags = sorted(set(tags) - set(known.tags) - IDENTITY_TAGS)
    if unknown_fields or unknown_tags:
        raise SchemaMismatch(f"{measurement}: unknown fields {unknown_fields} or tags {unknown_tags}")


def select(measurement: str, fields: typing.Sequence[str], scope: Scope, *, by: typing.Sequence[str] = (),
           aggregate: Aggregate = "mean", extra_where: str = "", grouped_by_time: bool = True) -> str:
    """One InfluxQL statement: aggregated fields of a measurement, filtered by the scope's tags.

    The measurement, fields and tags are checked against the metric schema, so a renamed field
    fails when the dashboards are built, not as an empty panel in Grafana.
    """
    check_schema(measurement, fields, (*scope.tags, *by))
    columns = ", ".join(f'{aggregate}("{f}") AS "{f}"' for f in fields)
    conditions = [scope.where(), "$timeFilter"]
    if extra_where:
        conditions.insert(1, extra_where)
    groups = (["time($__interval)"] if grouped_by_time else []) + [f'"{tag}"' for tag in by]
    text = f'SELECT {columns} FROM "{measurement}" WHERE ' + " AND ".join(c for c in conditions if c)  # noqa: S608 - query text built from constants, no input
    if groups:
        text += " GROUP BY " + ", ".join(groups)
    if grouped_by_time:
        text += " fill(none)"
    return text
