"""``vigil demo`` as a newcomer runs it: a real process, its agent shipping this machine's data and
its collector polling simulated switches and a UPS (snmpsim recordings of real devices)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services.ports import free_port


def test_demo_serves_the_demo_customer_with_a_live_agent(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from vigil.server.cli import main; main()",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its agent, collector and snmpsim share the group: nothing outlives the test
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        host: dict[str, object] = {}
        devices: list[dict[str, object]] = []
        polled: set[object] = set()
        while time.monotonic() < deadline:
            time.sleep(1)
            assert demo.poll() is None, demo.stdout.read().decode() if demo.stdout else ""
            logins = data / "demo-logins.txt"
            if not logins.exists():
                continue
            email, password = logins.read_text().splitlines()[0].split("  ")
            try:
                with httpx.Client(base_url=url, timeout=5) as client:
                    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
                    if login.status_code != 200:
                        continue
                    answer = client.get("/api/v1/devices")
                    if answer.status_code != 200:
                        continue
                    devices = answer.json()
                    host = next((d for d in devices if d["name"] == "demo-host"), {})
                    customers = client.get("/api/v1/customers").json()
            except httpx.TransportError:
                continue  # the logins are written before the server listens
            polled = {d["kind"] for d in devices if d["node_id"] != host.get("node_id") and d["last_seen_at"]}
            if host.get("last_seen_at") and host.get("inventory") and {"switch", "ups"} <= polled:
                break
        assert [c["slug"] for c in customers] == ["demo"]
        assert host.get("last_seen_at"), f"the demo agent never shipped data: {host}"
        assert host["inventory"]["cpu_cores"] == os.cpu_count()
        assert {"switch", "ups"} <= polled, f"the demo collector's devices never reported: {devices}"
        assert oct((data / "demo-logins.txt").stat().st_mode & 0o777) == "0o600"
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
    assert demo.returncode == 0
