"""A stand-in for InfluxDB 2.x's write API in front of the session's real influxd 1.6.7.

No InfluxDB 2.x or 3.x can run here (SERVICES.md: Debian ships 1.6.7, which answers 404 on
``/api/v2/*``), so this small loopback HTTP server takes ``POST /api/v2/write?org=&bucket=
&precision=ns`` with ``Authorization: Token``, checks them as InfluxDB 2.x does, and passes the
body to influxd's ``/write?db=<bucket>``; answers come back in 2.x's JSON error shape
(``{"code", "message"}``). Everything else (``/query``, ``/ping``) is passed through unchanged.
It lets the tests drive the real ``influxdb-client`` write path end to end against a real
storage engine. It is a fake of InfluxDB's v2 front door only: nothing of vigil is faked.

Fixture: ``influxdb_v2`` (session scope) gives (url, token, org).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

TOKEN = "shim-token"
ORG = "vigil-test"
_CODES = {400: "invalid", 401: "unauthorized", 404: "not found", 413: "request too large"}


@dataclass(frozen=True)
class InfluxV2:
    url: str
    token: str
    org: str


def _handler(upstream: str) -> type[BaseHTTPRequestHandler]:
    client = httpx.Client(base_url=upstream, timeout=30)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

        def _reply(self, status: int, body: bytes = b"", content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            code = _CODES.get(status, "internal error")
            self._reply(status, json.dumps({"code": code, "message": message}).encode())

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            answer = client.get(self.path)
            self._reply(answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"))

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            url = urlsplit(self.path)
            body = self._body()
            if url.path != "/api/v2/write":
                headers = {"Content-Type": self.headers.get("Content-Type", "application/x-www-form-urlencoded")}
                answer = client.post(self.path, content=body, headers=headers)
                self._reply(answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"))
                return
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                self._error(401, "unauthorized access")
                return
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            if params.get("org") != ORG:
                self._error(404, f'organization name "{params.get("org")}" not found')
                return
            if not params.get("bucket"):
                self._error(400, "bucket not specified")
                return
            precision = params.get("precision", "ns")
            headers = {}
            if self.headers.get("Content-Encoding"):
                headers["Content-Encoding"] = self.headers["Content-Encoding"]
            answer = client.post(
                "/write", params={"db": params["bucket"], "precision": precision}, content=body, headers=headers
            )
            if answer.status_code == 204:
                self._reply(204)
                return
            try:
                message = str(answer.json().get("error", answer.text))
            except ValueError:
                message = answer.text
            self._error(answer.status_code, message)

    return Handler


@pytest.fixture(scope="session")
def influxdb_v2(influxdb_url: str) -> Iterator[InfluxV2]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(influxdb_url))
    thread = threading.Thread(target=server.serve_forever, name="influxdb-v2-shim", daemon=True)
    thread.start()
    try:
        yield InfluxV2(f"http://127.0.0.1:{server.server_address[1]}", TOKEN, ORG)
    finally:
        server.shutdown()
        server.server_close()
