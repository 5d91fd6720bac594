"""A private InfluxDB (Debian's ``influxd`` 1.6.7) for the test session.

``start_influxd`` writes its own config file (meta, data and wal under a temporary folder, HTTP
on 127.0.0.1:PORT, the RPC bind-address on another free loopback port, reporting disabled),
starts ``influxd -config FILE``, waits for ``/ping`` and returns a handle that stops it.

The ``influxdb_url`` fixture (session scope) is registered in tests/conftest.py through
``pytest_plugins``. Without ``influxd`` on PATH the fixture skips with the reason, except under
``CI=true``, where a missing service fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.services.ports import free_port

_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
  max-body-size = 0

[logging]
  level = "warn"

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false
"""


@dataclass
class InfluxServer:
    url: str
    root: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_influxd(root: Path, startup_timeout_seconds: float = 30.0, auth: bool = False) -> InfluxServer:
    """Start a private influxd under ``root``; raises RuntimeError if it does not answer /ping.
    With ``auth`` it requires credentials (its first user, created by the caller, is the admin)."""
    binary = shutil.which("influxd")
    if binary is None:
        raise FileNotFoundError("influxd is not installed (Debian package 'influxdb')")
    http_port = free_port()
    rpc_port = free_port()
    while rpc_port == http_port:
        rpc_port = free_port()
    config = root / "influxdb.conf"
    config.write_text(_CONFIG.format(root=root, http_port=http_port, rpc_port=rpc_port, auth=str(auth).lower()))
    log = (root / "influxd.log").open("wb")
    process = subprocess.Popen([binary, "-config", str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + startup_timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"influxd exited with {process.returncode}; see {root / 'influxd.log'}")
        try:
            if httpx.get(f"{url}/ping", timeout=1.0).status_code == 204:
                return InfluxServer(url, root, process)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"influxd did not answer /ping within {startup_timeout_seconds}s")


@pytest.fixture(scope="session")
def influxdb_url() -> Iterator[str]:
    """Base URL of a private influxd for the whole session."""
    if shutil.which("influxd") is None:
        reason = "influxd is not installed (apt-get install influxdb)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="vigil-influxd-") as folder:
        server = start_influxd(Path(folder))
        try:
            yield server.url
        finally:
            server.stop()
