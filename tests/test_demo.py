"""``vigil demo`` as a newcomer runs it: a real process, its agent shipping this machine's data."""

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
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        host: dict[str, object] = {}
        while time.monotonic() < deadline:
            time.sleep(1)
            assert demo.poll() is None, demo.stdout.read().decode() if demo.stdout else ""
            logins = data / "demo-logins.txt"
            if not logins.exists():
                continue
            email, password = logins.read_text().splitlines()[0].split("  ")
            with httpx.Client(base_url=url, timeout=5) as client:
                if client.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code != 200:
                    continue
                devices = client.get("/api/v1/devices").json()
                host = next((d for d in devices if d["name"] == "demo-host"), {})
                customers = client.get("/api/v1/customers").json()
            if host.get("last_seen_at") and host.get("inventory"):
                break
        assert [c["slug"] for c in customers] == ["demo"]
        assert host.get("last_seen_at"), f"the demo agent never shipped data: {host}"
        assert host["inventory"]["cpu_cores"] == os.cpu_count()
        assert oct((data / "demo-logins.txt").stat().st_mode & 0o777) == "0o600"
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
    assert demo.returncode == 0
