"""The enrolled collector: server link, durable spool and sender around the polling cycle.

Enrolment trades a one-time token for the node credential (kind ``collector``), saved 0600
like the agent's. ``run`` then opens the agent's durable spool and sender (vigil.agent.spool
and vigil.agent.sender: at-least-once delivery, batch ids, backoff), fetches the device list
with its decrypted credentials from ``GET /api/v1/node/devices`` before every cycle (keeping
the last good list when the server is away, so collection goes on), reports SSH host-key
events to ``POST /api/v1/node/host-keys`` and posts discovery proposals to
``POST /api/v1/node/discoveries``: both the sweeps run by hand with ``--post`` and those the server
asks for through ``GET /api/v1/node/discovery-requests`` (run before a cycle, in the same loop).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from vigil.agent.config import RetrySection
from vigil.agent.enrollment import Credential, load_credential, save_credential
from vigil.agent.sender import Batcher, Sender
from vigil.agent.spool import Spool
from vigil.agent.transport import HttpClient, TransportError
from vigil.collector.config import CollectorConfig, DeviceConfig, SnmpCredential
from vigil.collector.discovery import Proposal, discover, expand_range
from vigil.collector.errors import CollectorConfigError, CollectorError
from vigil.collector.runner import Collector, HostKeyEvent
from vigil.collector.snmp.client import SnmpClient

log = logging.getLogger("vigil.collector.service")
VERSION = "0.1.0"
DEVICES_PATH = "/api/v1/node/devices"
HOST_KEYS_PATH = "/api/v1/node/host-keys"
DISCOVERIES_PATH = "/api/v1/node/discoveries"
DISCOVERY_REQUESTS_PATH = "/api/v1/node/discovery-requests"
_CREDENTIAL: TypeAdapter[SnmpCredential] = TypeAdapter(SnmpCredential)


class ServerError(CollectorError):
    kind = "server"


def enroll_collector(server_url: str, token: str, path: Path, name: str = "", ca_file: str = "",
                     timeout_seconds: float = 10.0) -> Credential:
    ca_path = str(Path(ca_file).resolve()) if ca_file else ""
    try:
        client = HttpClient(server_url, ca_path or None, timeout_seconds)
    except ValueError as exc:
        raise CollectorConfigError(str(exc)) from None
    body = json.dumps({"token": token, "name": name or socket.gethostname(), "kind": "collector",
                       "version": VERSION}).encode()
    try:
        reply = client.request("POST", "/api/v1/enroll", body, {"Content-Type": "application/json"})
    except TransportError as exc:
        raise ServerError(f"cannot reach {server_url}: {exc}") from None
    finally:
        client.close()
    if reply.status != 200:
        raise ServerError(f"enrolment refused: HTTP {reply.status}: {reply.reason()}")
    try:
        data = reply.json()
        cred = Credential(server_url=server_url.rstrip("/"), node_id=str(data["node_id"]),
                          credential=str(data["credential"]), customer=str(data.get("customer", "")),
                          site=str(data.get("site", "")), name=str(data.get("name", name)), ca_file=ca_path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ServerError(f"enrolment answer not understood: {exc}") from None
    save_credential(path, cred)
    return cred


class ServerLink:
    """The collector's node-authenticated calls to the server (besides ingest)."""

    def __init__(self, cred: Credential, timeout_seconds: float = 10.0) -> None:
        self.client = HttpClient(cred.server_url, cred.ca_file or None, timeout_seconds)
        self._headers = {"Authorization": f"Bearer {cred.credential}", "Content-Type": "application/json"}
        self._lock = threading.Lock()

    def _call(self, method: str, path: str, payload: object | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        with self._lock:
            try:
                reply = self.client.request(method, path, body, self._headers)
            except TransportError as exc:
                raise ServerError(f"server unreachable: {exc}") from None
        if reply.status >= 300:
            raise ServerError(f"{method} {path}: HTTP {reply.status}: {reply.reason()}")
        try:
            return reply.json() if reply.body else None
        except ValueError:
            raise ServerError(f"{method} {path}: answer is not JSON") from None

    def devices(self) -> tuple[DeviceConfig, ...]:
        data = self._call("GET", DEVICES_PATH)
        rows = data.get("devices", []) if isinstance(data, dict) else []
        devices = []
        for row in rows:
            try:
                devices.append(DeviceConfig.model_validate(row))
            except ValueError as exc:
                # One bad device is skipped (and said once per fetch); the rest are polled.
                name = row.get("name", "?") if isinstance(row, dict) else "?"
                log.warning("device %s from the server skipped: %s", str(name)[:60], str(exc).splitlines()[0])
        return tuple(devices)

    def report_host_key(self, event: HostKeyEvent) -> None:
        self._call("POST", HOST_KEYS_PATH, {
            "device": event.device, "status": event.status, "key_type": event.key_type,
            "key_base64": event.key_base64, "fingerprint_sha256": event.fingerprint_sha256,
        })

    def post_discoveries(self, proposals: list[Proposal], credentials: list[dict[str, Any]],
                         request_id: int | None = None) -> Any:
        items = [{**p.public(), "snmp": credentials[p.credential_index]} for p in proposals]
        body: dict[str, Any] = {"proposals": items}
        if request_id is not None:
            body["request_id"] = request_id
        return self._call("POST", DISCOVERIES_PATH, body)

    def discovery_requests(self) -> list[dict[str, Any]]:
        data = self._call("GET", DISCOVERY_REQUESTS_PATH)
        rows = data.get("requests", []) if isinstance(data, dict) else []
        return [r for r in rows if isinstance(r, dict)]

    def close(self) -> None:
        self.client.close()


async def run_requested_discoveries(link: ServerLink, client: SnmpClient) -> int:
    """Sweep what the server asked for and post the proposals back; returns the sweeps done."""
    requests = await asyncio.to_thread(link.discovery_requests)
    for request in requests:
        credentials: list[dict[str, Any]] = list(request.get("credentials", []))
        try:
            creds = [_CREDENTIAL.validate_python(c) for c in credentials]
            addresses = expand_range(str(request.get("range", "")))
        except (ValueError, CollectorConfigError) as exc:
            log.warning("discovery request %s refused: %s", request.get("id"), str(exc).splitlines()[0])
            await asyncio.to_thread(link.post_discoveries, [], credentials, int(request["id"]))
            continue
        found = await discover(client, addresses, creds, port=int(request.get("port", 161)))
        await asyncio.to_thread(link.post_discoveries, found, credentials, int(request["id"]))
        log.info("discovery of %s: %d devices proposed", request.get("range"), len(found))
    return len(requests)


@dataclass
class ServiceSettings:
    state_dir: Path
    interval_seconds: float = 60.0
    spool_max_bytes: int = 256 * 1024 * 1024
    batch_max_bytes: int = 256 * 1024
    batch_max_age_seconds: float = 5.0
    fsync: bool = True

    @property
    def credential_path(self) -> Path:
        return self.state_dir / "credential.json"


class CollectorService:
    """``run(stop)`` blocks: polls, spools and sends until ``stop`` is set."""

    def __init__(self, settings: ServiceSettings, credential: Credential | None = None) -> None:
        self.settings = settings
        self.credential = credential or load_credential(settings.credential_path)
        self.collector: Collector | None = None
        self.spool: Spool | None = None
        self.ready = threading.Event()

    def run(self, stop: threading.Event) -> None:
        cred = self.credential
        spool = Spool(self.settings.state_dir / "spool", max_bytes=self.settings.spool_max_bytes,
                      fsync=self.settings.fsync)
        self.spool = spool
        sender = Sender(spool, HttpClient(cred.server_url, cred.ca_file or None, 10.0), cred.credential,
                        RetrySection(initial_backoff_seconds=0.5, max_backoff_seconds=60.0))
        batcher = Batcher(spool, self.settings.batch_max_bytes, self.settings.batch_max_age_seconds)
        link = ServerLink(cred)
        config = CollectorConfig(interval_seconds=self.settings.interval_seconds)
        collector = Collector(config, batcher.add, on_host_key=link.report_host_key)
        self.collector = collector
        inner_stop = threading.Event()
        sender_thread = threading.Thread(target=sender.run, args=(inner_stop,), name="vigil-collector-sender",
                                         daemon=True)
        sender_thread.start()

        def refresh() -> None:
            collector.set_devices(link.devices())

        def cycle_done(_report: object) -> None:
            batcher.flush()  # the cycle's points are in the spool before the collector sleeps
            self.ready.set()

        async def discoveries(client: SnmpClient) -> None:
            await run_requested_discoveries(link, client)

        try:
            collector.run(stop, before_cycle=refresh, after_cycle=cycle_done, side_work=discoveries)
        finally:
            batcher.flush()
            inner_stop.set()
            spool.wake()
            sender_thread.join(timeout=15)
            link.close()
            spool.close()
