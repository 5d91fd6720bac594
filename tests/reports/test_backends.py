"""The same month read from InfluxDB (InfluxQL aggregates) gives the same known answers as the
embedded store's rollups: availability with planned and unplanned downtime, days until full,
the SLA attainment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from vigil.server.config import MetricsSettings
from vigil.server.metrics import open_store
from vigil.server.reports.gather import gather
from vigil.server.reports.i18n import fmt_percent
from vigil.server.reports.period import parse_period

from tests.reports import scenario
from tests.reports.conftest import SQLITE_ONLY, World

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _figures(world: World, store: object) -> tuple[str, str, str, str | None, int]:
    period = parse_period("month", scenario.MONTH, "Asia/Shanghai")
    with world.ctx.sessions() as db:
        data = gather(db, store, world.seed.a.customer_id, period, now=NOW)  # type: ignore[arg-type]
    host = next(d for d in data.devices if d.name == "acme-agent")
    volume = next(v for v in data.volumes if v.name == "/data")
    assert data.availability is not None and host.availability is not None
    return (
        fmt_percent(data.availability.percent),
        fmt_percent(host.availability.percent),
        f"{volume.days_until_full:.1f}",
        fmt_percent(data.service.sla_attainment_percent, 1),
        host.reboots,
    )


@SQLITE_ONLY
def test_influxdb_and_embedded_agree_on_the_known_answers(world: World, influxdb_url: str) -> None:
    database = f"report_{uuid.uuid4().hex[:8]}"
    httpx.post(f"{influxdb_url}/query", data={"q": f'CREATE DATABASE "{database}"'}, timeout=30).raise_for_status()
    influx = open_store(MetricsSettings(backend="influxdb", influx_url=influxdb_url, influx_database=database),
                        world.ctx.settings.data_dir)
    try:
        scenario.write_metrics(influx)
        expected = (scenario.EXPECTED_OVERALL_AVAILABILITY, scenario.EXPECTED_HOST_AVAILABILITY,
                    scenario.EXPECTED_DAYS_UNTIL_FULL, scenario.EXPECTED_SLA, 2)
        assert _figures(world, world.ctx.metrics) == expected
        assert _figures(world, influx) == expected
    finally:
        influx.close()
        httpx.post(f"{influxdb_url}/query", data={"q": f'DROP DATABASE "{database}"'}, timeout=30)
