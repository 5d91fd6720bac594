"""The InfluxDB metric store: line protocol in, InfluxQL out.

Writes go through one of two writers, chosen by ``settings.influx_api`` (a registry, see
``WRITERS``):

- ``v1``: ``POST /write?db=`` with httpx. InfluxDB 1.x, and 2.x/3.x through their
  v1-compatible API. Authentication by username/password (HTTP Basic) or by token
  (``Authorization: Token``). The database is created when missing (``CREATE DATABASE``).
- ``v2``: ``influxdb-client``'s synchronous write API (token, org, bucket), for 2.x/3.x.

Points are encoded by :class:`~vigil.server.metrics.line_encoder.LineEncoder`, which writes the
bytes of ``vigil.agent.wire.encode`` but keeps escaped series heads (see its docstring for why).

Reads always use the v1-compatible ``POST /query`` (InfluxQL) with the same credentials, on the
database ``influx_database`` (on 2.x that name must be mapped to the bucket, a DBRP mapping;
on 3.x use the bucket's name). All query text is built by :mod:`vigil.server.metrics.influxql`.

Errors: connection failures, timeouts and 5xx answers raise :class:`MetricStoreUnavailable`;
points InfluxDB refuses (400: a field type conflict, a bad line; 422 on 2.x) raise
:class:`MetricWriteRejected` (InfluxDB keeps the other points of such a batch); anything else,
including a refused credential, raises :class:`MetricStoreError`.
"""

from __future__ import annotations

import base64
import ssl
import threading
from collections.abc import Callable, Sequence
from http import client as http_client
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx
from vigil.agent.wire import FieldValue, Point
from vigil.server.config import MetricsSettings
from vigil.server.metrics import influxql
from vigil.server.metrics.base import (
    LatestValue,
    MetricStoreError,
    MetricStoreUnavailable,
    MetricWriteRejected,
    Series,
    SeriesQuery,
    WritePipeline,
)
from vigil.server.metrics.line_encoder import LineEncoder

_TYPES: dict[str, Callable[[Any], FieldValue]] = {
    "float": float,
    "integer": int,
    "boolean": bool,
    "string": str,
}
NUMERIC_TYPES = frozenset({"float", "integer"})


class LineWriter(Protocol):
    def write(self, body: bytes) -> None:
        """Send line protocol; raises the MetricStoreError tree."""

    def close(self) -> None: ...


def _answer_error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, dict) and "error" in data:
        return str(data["error"])[:300]
    return response.text[:300]


def _raise_for_write(status: int, reason: str) -> None:
    if status in (200, 204):
        return
    if status in (400, 422):  # 422: InfluxDB 2.x, e.g. points outside the bucket's retention
        raise MetricWriteRejected(f"InfluxDB refused points: {reason}")
    if status >= 500 or status == 429:
        raise MetricStoreUnavailable(f"InfluxDB answered {status}: {reason}")
    raise MetricStoreError(f"InfluxDB answered {status}: {reason}")


class HttpClient:
    """The httpx client shared by the v1 writer and the reader, with the configured credentials."""

    def __init__(self, settings: MetricsSettings) -> None:
        # The credential as headers, also used by the write pipelines' own connections.
        self.auth_headers: dict[str, str] = {}
        if settings.influx_token is not None:
            self.auth_headers["Authorization"] = f"Token {settings.influx_token.get_secret_value()}"
        elif settings.influx_username is not None:
            password = settings.influx_password.get_secret_value() if settings.influx_password else ""
            pair = base64.b64encode(f"{settings.influx_username}:{password}".encode()).decode("ascii")
            self.auth_headers["Authorization"] = f"Basic {pair}"
        self.client = httpx.Client(
            base_url=settings.influx_url,
            headers=self.auth_headers,
            timeout=settings.influx_timeout_seconds,
            verify=settings.influx_verify_tls,
        )

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.post(path, **kwargs)
        except httpx.TransportError as exc:
            raise MetricStoreUnavailable(f"InfluxDB at {self.client.base_url} unreachable: {exc}") from exc

    def close(self) -> None:
        self.client.close()


class V1Writer:
    """``POST /write`` (InfluxDB 1.x and the v1-compatible API of 2.x/3.x)."""

    def __init__(self, settings: MetricsSettings, http: HttpClient) -> None:
        self._http = http
        self._database = settings.influx_database
        # For pipelines: plain http.client connections with the same target and credentials.
        url = urlsplit(settings.influx_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._timeout = settings.influx_timeout_seconds
        self._tls: ssl.SSLContext | None = None
        if self._https:
            self._tls = ssl.create_default_context()
            if not settings.influx_verify_tls:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE
        prefix = url.path.rstrip("/")
        self.write_path = f"{prefix}/write?" + urlencode({"db": self._database, "precision": "ns"})
        self.headers = {"Content-Type": "text/plain; charset=utf-8", **http.auth_headers}
        self._idle: list[http_client.HTTPConnection] = []
        self._idle_lock = threading.Lock()

    def take_connection(self) -> http_client.HTTPConnection:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        if self._https:
            return http_client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._tls)
        return http_client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def give_back(self, conn: http_client.HTTPConnection) -> None:
        with self._idle_lock:
            if len(self._idle) < 16:
                self._idle.append(conn)
                return
        conn.close()

    def pipeline(self) -> WritePipeline:
        return _V1Pipeline(self)

    def write(self, body: bytes) -> None:
        params = {"db": self._database, "precision": "ns"}
        response = self._http.post("/write", params=params, content=body)
        if response.status_code == 404 and "database not found" in response.text:
            create_database(self._http, self._database)
            response = self._http.post("/write", params=params, content=body)
        _raise_for_write(response.status_code, _answer_error(response))

    def close(self) -> None:
        """The shared HttpClient is closed by the store; the pipelines' connections here."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class V2Writer:
    """``influxdb-client``'s synchronous write API (InfluxDB 2.x/3.x: token, org, bucket)."""

    def __init__(self, settings: MetricsSettings, http: HttpClient) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        if settings.influx_token is None or not settings.influx_org or not settings.influx_bucket:
            raise MetricStoreError("influx_api = 'v2' needs influx_token, influx_org and influx_bucket")
        self._bucket = settings.influx_bucket
        self._org = settings.influx_org
        self._client = InfluxDBClient(
            url=settings.influx_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            timeout=int(settings.influx_timeout_seconds * 1000),
            verify_ssl=settings.influx_verify_tls,
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, body: bytes) -> None:
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        try:
            self._api.write(bucket=self._bucket, org=self._org, record=body)
        except ApiException as exc:
            _raise_for_write(int(exc.status or 0), str(exc.body or exc.reason)[:300])
        except HTTPError as exc:
            raise MetricStoreUnavailable(f"InfluxDB unreachable: {exc}") from exc

    def close(self) -> None:
        self._client.close()


class _V1Pipeline(WritePipeline):
    """``/write`` requests on one kept-alive ``http.client`` connection, each piece's answer
    read just before the next piece is sent: InfluxDB stores a piece while the caller checks
    the next one, and no other thread is involved (a forwarding thread waited for the GIL
    while the request thread checked, so InfluxDB sat idle)."""

    def __init__(self, writer: V1Writer) -> None:
        super().__init__(writer.write)
        self._v1 = writer
        self._conn: http_client.HTTPConnection | None = None
        self._pending: tuple[int, int, bytes] | None = None

    def send(self, first: int, end: int, body: bytes) -> None:
        self._collect()
        if self.failure is not None or not body:
            return
        self._conn = self._conn or self._v1.take_connection()
        try:
            self._conn.request("POST", self._v1.write_path, body, self._v1.headers)
        except (OSError, http_client.HTTPException):
            self._conn.close()
            self._conn = None
            super().send(first, end, body)  # a kept-alive connection InfluxDB dropped: once more
            return
        self._pending = (first, end, body)

    def _collect(self) -> None:
        if self._pending is None or self._conn is None:
            return
        first, end, body = self._pending
        self._pending = None
        try:
            response = self._conn.getresponse()
            status, text = response.status, response.read()
        except (OSError, http_client.HTTPException):
            self._conn.close()
            self._conn = None
            super().send(first, end, body)
            return
        if status == 404 and b"database not found" in text:
            super().send(first, end, body)  # the writer creates the database and writes again
            return
        try:
            _raise_for_write(status, text.decode("utf-8", "replace")[:300])
        except MetricWriteRejected:
            self.refused.append((first, end))
        except MetricStoreError as exc:
            self.failure = exc

    def abort(self) -> None:
        if self._conn is not None:
            self._conn.close()  # an answer may still be unread: the connection cannot be reused
            self._conn = None
        self._pending = None

    def finish(self) -> tuple[list[tuple[int, int]], MetricStoreError | None]:
        self._collect()
        if self._conn is not None:
            self._v1.give_back(self._conn)
            self._conn = None
        return self.refused, self.failure


WRITERS: dict[str, Callable[[MetricsSettings, HttpClient], LineWriter]] = {
    "v1": V1Writer,
    "v2": V2Writer,
}


def create_database(http: HttpClient, name: str) -> None:
    response = http.post("/query", data={"q": influxql.create_database(name)})
    if response.status_code >= 500:
        raise MetricStoreUnavailable(f"InfluxDB answered {response.status_code}: {_answer_error(response)}")
    if response.status_code != 200:
        raise MetricStoreError(f"cannot create database {name!r}: {_answer_error(response)}")


class InfluxStore:
    """The InfluxDB backend; see the module docstring."""

    def __init__(self, settings: MetricsSettings) -> None:
        self._database = settings.influx_database
        self._http = HttpClient(settings)
        self._writer = WRITERS[settings.influx_api](settings, self._http)
        self._encoder = LineEncoder()
        # measurement -> field -> InfluxDB type; a field never changes type once written.
        self._field_types: dict[str, dict[str, str]] = {}
        self._types_lock = threading.Lock()
        if settings.influx_api == "v1":
            try:
                create_database(self._http, self._database)
            except MetricStoreError:
                pass  # unreachable or not allowed now: a write creates it on "database not found"

    def write(self, points: Sequence[Point]) -> None:
        body = self._encoder.encode(points)
        if body:
            self._writer.write(body)

    def pipeline(self) -> WritePipeline:
        """Send a batch's checked pieces one after another; with API v1 InfluxDB stores each
        piece while the caller prepares the next (see :class:`WritePipeline`)."""
        if isinstance(self._writer, V1Writer):
            return self._writer.pipeline()
        return WritePipeline(self._writer.write)

    def _statement(self, text: str) -> dict[str, Any]:
        """Run one InfluxQL statement; returns its result (``series`` may be absent)."""
        response = self._http.post("/query", data={"q": text, "db": self._database, "epoch": "ns"})
        if response.status_code >= 500:
            raise MetricStoreUnavailable(f"InfluxDB answered {response.status_code}: {_answer_error(response)}")
        if response.status_code != 200:
            raise MetricStoreError(f"InfluxDB query failed ({response.status_code}): {_answer_error(response)}")
        try:
            result: dict[str, Any] = response.json()["results"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise MetricStoreError(f"InfluxDB answered an unexpected body: {response.text[:200]}") from exc
        if "error" in result:
            raise MetricStoreError(f"InfluxDB query failed: {result['error']}")
        return result

    def _field_type(self, measurement: str, field: str) -> str | None:
        known = self._field_types.get(measurement, {})
        if field not in known:
            result = self._statement(influxql.field_keys(measurement))
            types: dict[str, str] = {}
            for series in result.get("series", []):
                for name, kind in series["values"]:
                    # A field written as integer in one shard and float in another reads as float.
                    types[name] = "float" if types.get(name, kind) != kind else kind
            with self._types_lock:
                self._field_types = {**self._field_types, measurement: types}
            known = types
        return known.get(field)

    def query(self, query: SeriesQuery) -> list[Series]:
        if query.interval_seconds is not None and query.interval_seconds <= 0:
            raise MetricStoreError("interval_seconds must be positive")
        kind = self._field_type(query.measurement, query.field)
        if kind is None or query.end_ns <= query.start_ns:
            return []
        if kind not in NUMERIC_TYPES:
            raise MetricStoreError(
                f"{query.measurement}.{query.field} is a {kind} field; only numbers can be aggregated"
            )
        result = self._statement(influxql.select(query))
        out = []
        for series in result.get("series", []):
            tags = series.get("tags") or {}
            rows: list[tuple[int, float | None]] = [
                (
                    int(time_ns) if query.interval_seconds else query.start_ns,
                    None if value is None else float(value),
                )
                for time_ns, value in series["values"]
            ]
            out.append(Series({key: tags.get(key, "") for key in query.group_by}, rows))
        return sorted(out, key=lambda s: tuple(s.tags.values()))

    def latest(
        self, measurement: str, field: str, tags: dict[str, str], group_by: tuple[str, ...] = ()
    ) -> list[LatestValue]:
        kind = self._field_type(measurement, field)
        if kind is None:
            return []
        convert = _TYPES.get(kind, float)
        result = self._statement(influxql.latest(measurement, field, tags, group_by))
        out = []
        for series in result.get("series", []):
            series_tags = series.get("tags") or {}
            for time_ns, value in series["values"]:
                if value is not None:
                    out.append(
                        LatestValue({key: series_tags.get(key, "") for key in group_by}, int(time_ns), convert(value))
                    )
        return sorted(out, key=lambda v: tuple(v.tags.values()))

    def tag_values(self, measurement: str, key: str, tags: dict[str, str]) -> list[str]:
        result = self._statement(influxql.tag_values(measurement, key, tags))
        return sorted({str(value) for series in result.get("series", []) for _key, value in series["values"]})

    def close(self) -> None:
        self._writer.close()
        self._http.close()


def open_store(settings: MetricsSettings, data_dir: Path) -> InfluxStore:
    """The registry entry for ``backend = "influxdb"``; ``data_dir`` is not used."""
    return InfluxStore(settings)
