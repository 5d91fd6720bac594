"""Fixtures for the agent's tests: a fault-injecting ingest server, spool folders, configs."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from vigil.agent.wire import Point, parse_line


@dataclass
class Reply:
    """One scripted answer: an HTTP status, or ``drop`` (read the request, then close the socket)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    drop: bool = False
    # Store the batch before answering (like a server that committed and then failed to reply).
    commit: bool = False
    delay_seconds: float = 0.0


class FaultServer:
    """A real HTTP server on 127.0.0.1, in a thread, standing in for vigil's ingest.

    It is a real peer, not a mock: the agent talks to it over real sockets with real HTTP,
    gzip and headers. It accepts batches like vigil's ingest does (drops replays by batch id,
    answers ``{"batch_id", "accepted", "rejected", "replayed"}``), and it can be scripted to
    answer 400, 401, 429 (with Retry-After), 500, to accept a request and then drop the
    connection, or to go away entirely (``stop()``: connections are refused) and come back on
    the same port (``start()``). The fault tests need those failures on demand, which the real
    server cannot be asked to produce; the end-to-end tests run against the real server.
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.script: list[Reply] = []  # consumed one per ingest request; empty means "accept"
        self.batches: dict[str, list[Point]] = {}  # batch id -> points, first delivery only
        self.order: list[str] = []  # batch ids in arrival order
        self.replays: list[str] = []
        self.requests: list[dict[str, str]] = []  # headers of every ingest request
        self.inventory: list[dict[str, Any]] = []
        self.committed = threading.Event()  # set whenever a batch is stored
        self.hold_after_commit_seconds = 0.0
        self.enroll_reply: Reply = Reply(200)
        self.enroll_requests = 0
        self.connections: set[socket.socket] = set()
        self.start()

    # ---- control ----

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with server.lock:
                    server.connections.add(self.connection)

            def finish(self) -> None:
                with server.lock:
                    server.connections.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
                pass

            def _read(self) -> bytes:
                length = int(self.headers.get("Content-Length", "0"))
                return self.rfile.read(length)

            def _answer(self, status: int, body: dict[str, Any] | None, headers: dict[str, str]) -> None:
                data = json.dumps(body if body is not None else {"detail": f"status {status}"}).encode()
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client died (the crash tests kill it)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = self._read()
                if self.path == "/api/v1/enroll":
                    with server.lock:
                        server.enroll_requests += 1
                    reply = server.enroll_reply
                    if reply.status == 200:
                        payload = json.loads(body)
                        reply_body = reply.body or {
                            "node_id": "n-1",
                            "credential": "cred-secret",
                            "customer": "acme",
                            "site": "hq",
                            "name": payload["name"],
                        }
                        self._answer(200, reply_body, {})
                    else:
                        self._answer(reply.status, reply.body, reply.headers)
                    return
                if self.path != "/api/v1/ingest":
                    self._answer(404, None, {})
                    return
                with server.lock:
                    server.requests.append(dict(self.headers.items()))
                    reply = server.script.pop(0) if server.script else Reply(200)
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                if reply.status == 200 or reply.commit:
                    result = server._store(self.headers, body)
                    if server.hold_after_commit_seconds:
                        time.sleep(server.hold_after_commit_seconds)
                else:
                    result = {}
                if reply.drop:
                    self._drop()
                    return
                self._answer(reply.status, reply.body or (result if reply.status == 200 else None), reply.headers)

            def do_PUT(self) -> None:  # noqa: N802 - stdlib name
                body = self._read()
                if self.path == "/api/v1/node/inventory":
                    with server.lock:
                        server.inventory.append(json.loads(body))
                    self._answer(200, {"ok": True}, {})
                else:
                    self._answer(404, None, {})

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Go away: the port refuses connections until ``start()``."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self.lock:
            # Kept-alive connections would otherwise go on being served.
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def _store(self, headers: Any, body: bytes) -> dict[str, Any]:
        batch_id = headers.get("X-Vigil-Batch-Id", "")
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        points = [parse_line(line) for line in body.decode().splitlines() if line]
        with self.lock:
            replayed = batch_id in self.batches
            if replayed:
                self.replays.append(batch_id)
            else:
                self.batches[batch_id] = points
                self.order.append(batch_id)
        self.committed.set()
        return {"batch_id": batch_id, "accepted": 0 if replayed else len(points), "rejected": [], "replayed": replayed}

    # ---- reading what arrived ----

    def points(self) -> list[Point]:
        with self.lock:
            return [p for batch_id in self.order for p in self.batches[batch_id]]

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.batches.clear()
            self.order.clear()
            self.replays.clear()
            self.requests.clear()
            self.inventory.clear()
        self.committed.clear()
        self.hold_after_commit_seconds = 0.0
        self.enroll_reply = Reply(200)
        self.enroll_requests = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def _fault_server_session() -> Iterator[FaultServer]:
    server = FaultServer()
    yield server
    server.stop()


@pytest.fixture
def fault_server(_fault_server_session: FaultServer) -> Iterator[FaultServer]:
    _fault_server_session.reset()
    if _fault_server_session._httpd is None:
        _fault_server_session.start()
    yield _fault_server_session
    _fault_server_session.reset()
    if _fault_server_session._httpd is None:
        _fault_server_session.start()


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real, small tmpfs (64 KiB) mounted for this test: a folder that can fill up or go read-only.

    Needs root (mount). Outside CI a machine without it skips; under CI=true it fails.
    """
    mount_point = tmp_path / "tinyfs"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        message = f"cannot mount a tmpfs here: {result.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
