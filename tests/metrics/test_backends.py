"""Opening stores by name, unreachable stores, the v2 writer, threads, and InfluxQL quoting."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from vigil.agent.wire import Point
from vigil.server.config import MetricsSettings
from vigil.server.metrics import (
    LatestValue,
    MetricStoreError,
    MetricStoreUnavailable,
    Series,
    SeriesQuery,
    influxql,
    open_store,
)
from vigil.server.metrics.embedded import EmbeddedStore
from vigil.server.metrics.influxdb import InfluxStore

from tests.services.influxdb import start_influxd
from tests.services.influxdb_v2_shim import InfluxV2
from tests.services.metric_stores import embedded_store
from tests.services.ports import free_port

NS = 1_000_000_000
T0 = 1_764_000_000 * NS
POINT = Point("cpu", {"host": "a"}, {"util_percent": 1.0}, T0)


def test_open_store_finds_the_backend_by_name(tmp_path: Path, influxdb_url: str) -> None:
    embedded = open_store(MetricsSettings(), tmp_path)
    try:
        assert isinstance(embedded, EmbeddedStore)
        embedded.write([POINT])
        assert (tmp_path / "metrics.sqlite3").exists()
    finally:
        embedded.close()
    influx = open_store(
        MetricsSettings(backend="influxdb", influx_url=influxdb_url, influx_database="opened"), tmp_path
    )
    try:
        assert isinstance(influx, InfluxStore)
        influx.write([POINT])
        assert influx.tag_values("cpu", "host", {}) == ["a"]
    finally:
        influx.close()
        httpx.post(f"{influxdb_url}/query", data={"q": 'DROP DATABASE "opened"'})


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_unreachable_influxdb_raises_unavailable(tmp_path: Path, api: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = MetricsSettings(
        backend="influxdb",
        influx_api=api,  # type: ignore[arg-type]
        influx_url=closed,
        influx_token="t",  # type: ignore[arg-type]
        influx_org="o",
        influx_bucket="b",
        influx_timeout_seconds=2,
    )
    store = open_store(settings, tmp_path)  # opening does not need the server up
    try:
        with pytest.raises(MetricStoreUnavailable):
            store.write([POINT])
        with pytest.raises(MetricStoreUnavailable):
            store.query(SeriesQuery("cpu", "util_percent", T0, T0 + NS))
        with pytest.raises(MetricStoreUnavailable):
            store.latest("cpu", "util_percent", {})
        with pytest.raises(MetricStoreUnavailable):
            store.tag_values("cpu", "host", {})
    finally:
        store.close()


def test_v2_writer_reports_a_server_without_the_v2_api(tmp_path: Path, influxdb_url: str) -> None:
    """InfluxDB 1.6.7 answers 404 on /api/v2/write: an error, but not "retry later"."""
    settings = MetricsSettings(
        backend="influxdb",
        influx_api="v2",
        influx_url=influxdb_url,
        influx_token="t",  # type: ignore[arg-type]
        influx_org="o",
        influx_bucket="b",
    )
    store = open_store(settings, tmp_path)
    try:
        with pytest.raises(MetricStoreError) as caught:
            store.write([POINT])
        assert not isinstance(caught.value, MetricStoreUnavailable)
        assert "404" in str(caught.value)
    finally:
        store.close()


def test_v2_writer_with_a_refused_token_is_an_error_not_retryable(tmp_path: Path, influxdb_v2: InfluxV2) -> None:
    settings = MetricsSettings(
        backend="influxdb",
        influx_api="v2",
        influx_url=influxdb_v2.url,
        influx_token="wrong",  # type: ignore[arg-type]
        influx_org=influxdb_v2.org,
        influx_bucket="b",
    )
    store = open_store(settings, tmp_path)
    try:
        with pytest.raises(MetricStoreError, match="401") as caught:
            store.write([POINT])
        assert not isinstance(caught.value, MetricStoreUnavailable)
    finally:
        store.close()


def test_v2_needs_token_org_and_bucket(tmp_path: Path) -> None:
    with pytest.raises(MetricStoreError, match="influx_token"):
        open_store(MetricsSettings(backend="influxdb", influx_api="v2"), tmp_path)


def test_embedded_store_in_an_unusable_place_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(MetricStoreUnavailable):
        open_store(MetricsSettings(path=tmp_path / "file" / "metrics.sqlite3"), tmp_path)


def test_embedded_store_is_safe_across_threads(tmp_path: Path) -> None:
    store = embedded_store(tmp_path / "m.sqlite3")
    errors: list[BaseException] = []

    def writer(host: str) -> None:
        try:
            for batch in range(20):
                store.write(
                    [
                        Point("cpu", {"host": host}, {"util_percent": 1.0}, T0 + (batch * 100 + i) * NS)
                        for i in range(100)
                    ]
                )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(50):
                store.query(SeriesQuery("cpu", "util_percent", T0, T0 + 3600 * NS, {}, ("host",), "count", 600))
                store.tag_values("cpu", "host", {})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"h{n}",)) for n in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        result = store.query(SeriesQuery("cpu", "util_percent", T0, T0 + 3600 * NS, {}, ("host",), "count"))
        assert result == [Series({"host": f"h{n}"}, [(T0, 2000.0)]) for n in range(4)]
    finally:
        store.close()


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = embedded_store(tmp_path / "m.sqlite3")
    store.close()
    with pytest.raises(MetricStoreError, match="closed"):
        store.write([POINT])


def test_influxql_quoting() -> None:
    assert influxql.literal("a'b\\c\nd\"e") == "'a\\'b\\\\c\\nd\\\"e'"
    assert influxql.identifier('we"ird\\') == '"we\\"ird\\\\"'
    query = SeriesQuery("cpu", "util_percent", 1, 2, {"host": "x' OR '1'='1"}, ("host",), "p95", 60)
    assert influxql.select(query) == (
        "SELECT PERCENTILE(\"util_percent\", 95) FROM \"cpu\" WHERE \"host\" = 'x\\' OR \\'1\\'=\\'1'"
        ' AND time >= 1 AND time < 2 GROUP BY time(60s), "host"'
    )


@pytest.fixture(scope="module")
def influxdb_with_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private influxd that requires credentials; its admin is ``vigil`` / ``s3cret pass``."""
    if shutil.which("influxd") is None:
        pytest.fail("influxd is not installed (apt-get install influxdb)")
    server = start_influxd(tmp_path_factory.mktemp("influxd-auth"), auth=True)
    try:
        created = httpx.post(
            f"{server.url}/query", data={"q": "CREATE USER vigil WITH PASSWORD 's3cret pass' WITH ALL PRIVILEGES"}
        )
        assert created.status_code == 200, created.text
        yield server.url
    finally:
        server.stop()


def test_username_and_password_reach_influxdb_on_every_path(tmp_path: Path, influxdb_with_auth: str) -> None:
    """HTTP Basic credentials on the httpx client (queries, single writes) and on the ingest's
    write pipeline, against an influxd that requires them; a wrong password is an error that
    retrying will not mend."""
    settings = MetricsSettings(
        backend="influxdb",
        influx_url=influxdb_with_auth,
        influx_database="with_auth",
        influx_username="vigil",
        influx_password="s3cret pass",  # type: ignore[arg-type]
    )
    store = open_store(settings, tmp_path)
    assert isinstance(store, InfluxStore)
    try:
        store.write([POINT])
        pipeline = store.pipeline()
        pipeline.send(0, 1, f"cpu,host=b util_percent=2 {T0}\n".encode())
        assert pipeline.finish() == ([], None)
        assert store.tag_values("cpu", "host", {}) == ["a", "b"]
        assert store.latest("cpu", "util_percent", {"host": "b"}) == [LatestValue({}, T0, 2.0)]
    finally:
        store.close()
    wrong = open_store(settings.model_copy(update={"influx_password": SecretStr("nope")}), tmp_path)
    assert isinstance(wrong, InfluxStore)
    try:
        with pytest.raises(MetricStoreError) as caught:
            wrong.write([POINT])
        assert not isinstance(caught.value, MetricStoreUnavailable)
        pipeline = wrong.pipeline()
        pipeline.send(0, 1, f"cpu,host=c util_percent=3 {T0}\n".encode())
        refused, failure = pipeline.finish()
        assert refused == [] and failure is not None and not isinstance(failure, MetricStoreUnavailable)
    finally:
        wrong.close()
