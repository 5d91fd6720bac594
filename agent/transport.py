"""HTTP(S) to the vigil server with the standard library only (http.client + ssl).

One persistent connection is kept and reused. ``--ca FILE`` pins the server's certificate
authority: only certificates it signed are accepted. Errors below HTTP (refused, reset, cut
short, timed out, TLS failures) become :class:`TransportError`, which senders treat as
"retry later"; an HTTP answer of any status is a :class:`Response`.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class TransportError(OSError):
    """No HTTP answer: the connection failed, was dropped, or timed out."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def reason(self) -> str:
        """The server's explanation, from a JSON ``detail`` if there is one."""
        try:
            data = self.json()
        except ValueError:
            return self.body[:300].decode("utf-8", "replace").strip()
        if isinstance(data, dict) and "detail" in data:
            return str(data["detail"])[:300]
        return str(data)[:300]


class HttpClient:
    def __init__(self, base_url: str, ca_file: str | None = None, timeout_seconds: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server URL must be http(s)://host[:port], got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout_seconds
        self._ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            try:
                self._ssl = ssl.create_default_context(cafile=ca_file or None)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"CA file {ca_file} cannot be used: {exc}") from exc
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._ssl is not None:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._ssl
                )
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._conn.connect()
            if self._conn.sock is not None:
                # Small request, small answer: Nagle's algorithm would only add delay.
                self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        # A kept-alive connection the server has closed fails at once; one fresh try covers that.
        # Re-sending is safe: ingest batches carry ids, inventory is a PUT.
        reused = self._conn is not None
        try:
            return self._once(method, path, body, headers or {})
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            if not reused:
                raise TransportError(f"{self.base_url}: connection dropped: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(f"{self.base_url}: {exc}") from exc
        try:
            return self._once(method, path, body, headers or {})
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(f"{self.base_url}: {exc}") from exc

    def _once(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        conn = self._connect()
        conn.request(method, self._prefix + path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        if reply.getheader("connection", "").lower() == "close":
            self.close()
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)
