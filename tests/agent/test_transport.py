"""The agent's HTTP/1.1 client against a real socket peer that answers with scripted raw bytes.

The peer is a real TCP server on 127.0.0.1 (a thread): each accepted connection reads whole
requests (head and ``Content-Length`` body) and writes the next scripted answer verbatim, so the
tests can send what a well-behaved server sends (chunked, close-delimited, interim 1xx) and what
a broken one sends (garbage, a cut-short body, silence).
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator

import pytest
from vigil.agent.transport import HttpClient, TransportError, split_url

OK_JSON = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"ok": true}'
CLOSE = "close"  # script item: close the connection without answering
SILENT = "silent"  # script item: read the request, answer nothing, keep the connection open


class RawServer:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.script: list[bytes | str] = []
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.requests.append((head, body))
                    answer = self.script.pop(0) if self.script else OK_JSON
                if answer == CLOSE:
                    return
                if answer == SILENT:
                    threading.Event().wait(30)
                    return
                assert isinstance(answer, bytes)
                conn.sendall(answer)
                if b"Connection: close" in answer:
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def _raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


@pytest.fixture
def raw(_raw_server: RawServer) -> RawServer:
    with _raw_server.lock:
        _raw_server.script.clear()
        _raw_server.requests.clear()
        _raw_server.connections = 0
    return _raw_server


def test_request_head_body_and_keep_alive(raw: RawServer) -> None:
    client = HttpClient(raw.url + "/base/", timeout_seconds=5)
    first = client.request("POST", "/api/v1/ingest", b"abc", {"Authorization": "Bearer x", "X-Vigil-Batch-Id": "b1"})
    second = client.request("PUT", "/api/v1/node/inventory", None, {"Content-Type": "application/json"})
    third = client.request("GET", "/x")
    client.close()
    assert (first.status, first.json(), second.status, third.status) == (200, {"ok": True}, 200, 200)
    assert first.headers["content-type"] == "application/json"
    assert raw.connections == 1  # one kept-alive connection for all three
    (head1, body1), (head2, body2), (head3, _) = raw.requests
    lines = head1.decode().split("\r\n")
    assert lines[0] == "POST /base/api/v1/ingest HTTP/1.1"
    expected = {f"Host: 127.0.0.1:{raw.port}", "Content-Length: 3", "Authorization: Bearer x", "X-Vigil-Batch-Id: b1"}
    assert expected <= set(lines)
    assert body1 == b"abc"
    assert b"Content-Length: 0" in head2 and body2 == b""  # a PUT without a body says so
    assert b"Content-Length" not in head3  # a GET without a body does not


def test_chunked_answer_with_extensions_and_trailers(raw: RawServer) -> None:
    raw.script = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
    ]
    client = HttpClient(raw.url, timeout_seconds=5)
    assert client.request("POST", "/", b"x").body == b"hello, world"
    assert client.request("POST", "/", b"x").status == 200  # the connection is still usable
    assert raw.connections == 1


def test_close_delimited_answer_and_interim_1xx(raw: RawServer) -> None:
    raw.script = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
        b"Connection: close\r\n\r\nslow down",
        b"HTTP/1.0 503 Service Unavailable\r\nConnection: close\r\n\r\n",
    ]
    client = HttpClient(raw.url, timeout_seconds=5)
    reply = client.request("POST", "/", b"x")
    assert (reply.status, reply.headers["retry-after"], reply.body) == (429, "7", b"slow down")
    assert client.request("POST", "/", b"x").status == 503
    assert client.request("POST", "/", b"x").status == 200
    assert raw.connections == 3  # each "Connection: close" answer ended its connection


def test_stale_kept_alive_connection_is_retried_once_on_a_fresh_one(raw: RawServer) -> None:
    client = HttpClient(raw.url, timeout_seconds=5)
    assert client.request("POST", "/", b"1").status == 200
    raw.script = [CLOSE]  # the server drops the idle connection when the next request comes
    assert client.request("POST", "/", b"2").status == 200
    assert raw.connections == 2 and [body for _, body in raw.requests] == [b"1", b"2", b"2"]
    # On a fresh connection the same failure is not retried: it is the server's answer.
    client.close()
    raw.script = [CLOSE]
    with pytest.raises(TransportError, match="closed the connection without answering"):
        client.request("POST", "/", b"3")


@pytest.mark.parametrize(
    "answer, reason",
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort", "after 5 of 10 body bytes"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
    ],
)
def test_answers_that_are_not_http_are_transport_errors(raw: RawServer, answer: bytes, reason: str) -> None:
    raw.script = [answer]
    client = HttpClient(raw.url, timeout_seconds=5)
    with pytest.raises(TransportError, match=reason):
        client.request("POST", "/", b"x")
    assert client.request("POST", "/", b"x").status == 200  # a fresh connection afterwards


def test_silent_server_times_out_and_refused_port_is_a_transport_error(raw: RawServer) -> None:
    raw.script = [SILENT]
    with pytest.raises(TransportError, match="timed out"):
        HttpClient(raw.url, timeout_seconds=0.3).request("POST", "/", b"x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(TransportError, match="refused"):
            HttpClient(f"http://127.0.0.1:{port}", timeout_seconds=5).request("POST", "/", b"x")


def test_header_injection_is_refused_before_anything_is_sent(raw: RawServer) -> None:
    client = HttpClient(raw.url, timeout_seconds=5)
    with pytest.raises(ValueError, match="invalid characters"):
        client.request("POST", "/", b"x", {"X-Vigil-Batch-Id": "a\r\nEvil: 1"})
    with pytest.raises(ValueError, match="invalid characters"):
        client.request("POST", "/a b", b"x")
    assert raw.requests == []


@pytest.mark.parametrize(
    "url, parts",
    [
        ("http://Example.COM", ("http", "example.com", 80, "")),
        ("https://vigil.example.com:8443/prefix/", ("https", "vigil.example.com", 8443, "/prefix")),
        ("HTTP://127.0.0.1:9000?x=1", ("http", "127.0.0.1", 9000, "")),
        ("http://[::1]:8080/v", ("http", "::1", 8080, "/v")),
        ("https://[fe80::1]", ("https", "fe80::1", 443, "")),
    ],
)
def test_server_urls(url: str, parts: tuple[str, str, int, str]) -> None:
    assert split_url(url) == parts


@pytest.mark.parametrize(
    "url",
    ["", "ftp://host", "http://", "http://:80", "http://host:", "http://host:99999", "http://host:x",
     "http://user@host", "http://[::1", "http://[::1]x", "127.0.0.1:8000", "http://ho st"],
)  # fmt: skip
def test_bad_server_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="server URL must be http"):
        HttpClient(url)


def test_plain_http_does_not_load_ssl_http_client_or_idna() -> None:
    """What the memory footprint relies on: a fresh interpreter sending over http imports none of them."""
    import subprocess

    server = RawServer()
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from vigil.agent.transport import HttpClient\n"
        f"client = HttpClient('http://localhost:{server.port}', timeout_seconds=5)\n"
        "assert client.request('POST', '/', b'x').status == 200\n"
        "print(sorted(m for m in ('ssl', '_ssl', 'http.client', 'email', 'encodings.idna', 'urllib.parse')"
        " if m in sys.modules and m not in before))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    finally:
        server.close()
    assert out.stdout.strip() == "[]", out.stderr
