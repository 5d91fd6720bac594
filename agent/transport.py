"""HTTP(S) to the vigil server: a small HTTP/1.1 client over ``socket``, with ``ssl`` for https.

One persistent connection is kept and reused (keep-alive). ``--ca FILE`` pins the server's
certificate authority: only certificates it signed are accepted; without it the system's trusted
CAs are used. Errors below HTTP (refused, reset, cut short, timed out, TLS failures, an answer
that is not HTTP) become :class:`TransportError`, which senders treat as "retry later"; an HTTP
answer of any status is a :class:`Response`. Each socket operation (connect, send, each read)
has the timeout.

Why not ``http.client``: it imports the ``email`` package to parse headers, and it imports
``ssl`` even for plain http. In the running agent those cost about 1.3 MiB and 4 MiB of
resident memory (``ssl`` maps libssl and libcrypto), a fifth of the agent. This client does
what the agent and the collector need and no more: ``Content-Length`` and chunked answers,
answers delimited by the connection closing, interim 1xx answers skipped, ``Connection: close``
honoured. ``ssl`` is imported only when the URL is https. Host names are handed to the resolver
and to TLS as bytes, so the ``idna`` codec (and ``unicodedata``) is loaded only for a name that
is not ASCII.
"""

from __future__ import annotations

import json
import socket

from vigil.agent.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import typing or ssl for them
    import ssl
    from typing import Any

MAX_HEADER_LINE_BYTES = 65536
MAX_HEADERS = 100
MAX_BODY_BYTES = 64 * 1024 * 1024
_READ_BYTES = 65536
_NO_BODY_STATUSES = (204, 304)


class TransportError(OSError):
    """No HTTP answer: the connection failed, was dropped, or timed out."""


class _BadAnswer(Exception):
    """The peer answered something that is not HTTP/1.x."""


class _Closed(ConnectionResetError):
    """The peer closed the connection before answering (a kept-alive connection it had dropped)."""


class Response(Record):
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


def _bad_url(url: str) -> ValueError:
    return ValueError(f"server URL must be http(s)://host[:port], got {url!r}")


def split_url(url: str) -> tuple[str, str, int, str]:
    """``scheme://host[:port][/prefix]`` as (scheme, host, port, prefix without trailing slash)."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise _bad_url(url)
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority, path = rest[:end], rest[end:]
    path = path.split("?", 1)[0].split("#", 1)[0]
    if "@" in authority or any(c.isspace() for c in authority):
        raise _bad_url(url)
    port_text = ""
    if authority.startswith("["):  # IPv6 literal
        host, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise _bad_url(url)
        port_text = after[1:]
    else:
        host, colon, port_text = authority.partition(":")
        if colon and not port_text:
            raise _bad_url(url)
    if not host:
        raise _bad_url(url)
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _bad_url(url)
        port = int(port_text)
    else:
        port = 443 if scheme == "https" else 80
    return scheme, host.lower(), port, path.rstrip("/")


def _host_bytes(host: str) -> bytes:
    # Encoding a str host is what would load the idna codec; ASCII names need none of it.
    return host.encode("ascii") if host.isascii() else host.encode("idna")


class _Connection:
    """One open socket with its read buffer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> bool:
        data = self.sock.recv(_READ_BYTES)
        if not data:
            return False
        self._buf += data
        return True

    def line(self) -> bytes | None:
        """One line without its CRLF; None if the peer closed before sending any of it."""
        while True:
            end = self._buf.find(b"\n")
            if end != -1:
                line, self._buf = self._buf[:end], self._buf[end + 1 :]
                return line.rstrip(b"\r")
            if len(self._buf) > MAX_HEADER_LINE_BYTES:
                raise _BadAnswer("header line too long")
            if not self._fill():
                if self._buf:
                    raise _BadAnswer("connection closed in the middle of a line")
                return None

    def exact(self, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._fill():
                raise _BadAnswer(f"connection closed after {len(self._buf)} of {size} body bytes")
        data, self._buf = self._buf[:size], self._buf[size:]
        return data

    def until_closed(self) -> bytes:
        while self._fill():
            if len(self._buf) > MAX_BODY_BYTES:
                raise _BadAnswer("answer too large")
        data, self._buf = self._buf, b""
        return data


def _headers(conn: _Connection) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = ""
    while True:
        raw = conn.line()
        if raw is None:
            raise _BadAnswer("connection closed in the headers")
        if not raw:
            return headers
        if raw[:1] in (b" ", b"\t") and last:  # obsolete line folding
            headers[last] += " " + raw.strip().decode("latin-1")
            continue
        name, colon, value = raw.partition(b":")
        if not colon or not name.strip():
            raise _BadAnswer(f"malformed header line {raw[:80]!r}")
        if len(headers) >= MAX_HEADERS:
            raise _BadAnswer(f"more than {MAX_HEADERS} headers")
        last = name.strip().decode("latin-1").lower()
        headers[last] = value.strip().decode("latin-1")


def _status(conn: _Connection) -> tuple[str, int]:
    raw = conn.line()
    if raw is None:
        raise _Closed("the server closed the connection without answering")
    version, _, rest = raw.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit() or rest[3:4] not in (b"", b" "):
        raise _BadAnswer(f"not an HTTP/1.x status line: {raw[:80]!r}")
    return version.decode("ascii"), int(code)


def _chunked(conn: _Connection) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        raw = conn.line()
        if raw is None:
            raise _BadAnswer("connection closed in a chunked body")
        size_text = raw.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadAnswer(f"bad chunk size {raw[:40]!r}") from None
        if size == 0:
            _headers(conn)  # trailers, up to the blank line
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise _BadAnswer("answer too large")
        parts.append(conn.exact(size))
        if conn.line() != b"":
            raise _BadAnswer("chunk not followed by CRLF")


_TLS_CONTEXTS: dict[str, ssl.SSLContext] = {}


def _tls_context(ca_file: str) -> ssl.SSLContext:
    """One context per CA file (empty: the system's CAs), shared by every client in the process.

    Each context holds its parsed CA certificates; the system's set alone is over a MiB here.
    """
    context = _TLS_CONTEXTS.get(ca_file)
    if context is None:
        import ssl  # only for https: it maps libssl and libcrypto

        try:
            context = ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"CA file {ca_file} cannot be used: {exc}") from exc
        _TLS_CONTEXTS[ca_file] = context
    return context


class HttpClient:
    def __init__(self, base_url: str, ca_file: str | None = None, timeout_seconds: float = 10.0) -> None:
        scheme, host, port, prefix = split_url(base_url)
        self.base_url = base_url.rstrip("/")
        self._host = host
        self._port = port
        self._prefix = prefix
        self._timeout = timeout_seconds
        self._addr_host = _host_bytes(host)
        named = f"[{host}]" if ":" in host else _host_bytes(host).decode("ascii")
        default_port = 443 if scheme == "https" else 80
        self._host_header = named if port == default_port else f"{named}:{port}"
        self._ssl = _tls_context(ca_file or "") if scheme == "https" else None
        self._conn: _Connection | None = None

    def _connect(self) -> _Connection:
        if self._conn is None:
            sock = socket.create_connection((self._addr_host, self._port), self._timeout)  # type: ignore[arg-type]
            try:
                # Small request, small answer: Nagle's algorithm would only add delay.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._ssl is not None:
                    sock = self._ssl.wrap_socket(sock, server_hostname=self._addr_host)  # type: ignore[arg-type]
            except BaseException:
                sock.close()
                raise
            self._conn = _Connection(sock)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        head = self._head(method, path, body, headers or {})
        # A kept-alive connection the server has closed fails at once; one fresh try covers that.
        # Re-sending is safe: ingest batches carry ids, inventory is a PUT.
        reused = self._conn is not None
        try:
            return self._once(method, head, body)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            if not reused:
                raise TransportError(f"{self.base_url}: connection dropped: {exc}") from exc
        except (OSError, _BadAnswer) as exc:
            self.close()
            raise TransportError(f"{self.base_url}: {exc}") from exc
        try:
            return self._once(method, head, body)
        except (OSError, _BadAnswer) as exc:
            self.close()
            raise TransportError(f"{self.base_url}: {exc}") from exc

    def _head(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> bytes:
        given = {name.lower() for name in headers}
        lines = [f"{method} {self._prefix}{path} HTTP/1.1"]
        if "host" not in given:
            lines.append(f"Host: {self._host_header}")
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")
        if "content-length" not in given and (body is not None or method in ("POST", "PUT", "PATCH")):
            lines.append(f"Content-Length: {len(body or b'')}")
        for name, value in headers.items():
            lines.append(f"{name}: {value}")
        if any(c in line for line in lines for c in "\n\r\0") or not method.isalpha() or " " in path:
            raise ValueError(f"invalid characters in the request line or headers of {method} {path!r}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _once(self, method: str, head: bytes, body: bytes | None) -> Response:
        conn = self._connect()
        if body and len(body) <= 65536:
            conn.sock.sendall(head + body)
        else:
            conn.sock.sendall(head)
            if body:
                conn.sock.sendall(body)
        version, status = _status(conn)
        while 100 <= status < 200:  # interim answers (100 Continue, 103 Early Hints)
            _headers(conn)
            version, status = _status(conn)
        headers = _headers(conn)
        connection = headers.get("connection", "").lower()
        keep = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
        if method == "HEAD" or status in _NO_BODY_STATUSES:
            data = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            data = _chunked(conn)
        elif "content-length" in headers:
            length_text = headers["content-length"].strip()
            if not length_text.isdigit() or int(length_text) > MAX_BODY_BYTES:
                raise _BadAnswer(f"bad Content-Length {length_text[:40]!r}")
            data = conn.exact(int(length_text))
        else:
            data = conn.until_closed()
            keep = False
        if not keep:
            self.close()
        return Response(status, headers, data)
