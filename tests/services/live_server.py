"""The vigil server, run by uvicorn in a thread on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx
import uvicorn
from vigil.server.app import create_app
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context

from tests.seed import Seed, seed_tenants
from tests.services.ports import free_port


@dataclass
class LiveServer:
    url: str
    settings: Settings
    ctx: AppContext
    seed: Seed
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


def start_live_server(settings: Settings, port: int | None = None) -> LiveServer:
    ctx = build_context(settings)
    seed = seed_tenants(ctx)
    port = port or free_port()
    config = uvicorn.Config(create_app(settings, ctx), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="vigil-live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the vigil server did not start")
        time.sleep(0.05)
    return LiveServer(url, settings, ctx, seed, server, thread)
