"""The ``vigil`` command line and configuration files, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from vigil.server.config import ConfigError, load_settings

VIGIL = [sys.executable, "-c", "from vigil.server.cli import main; main()"]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    environment.update({"VIGIL_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run([*VIGIL, *args], capture_output=True, text=True, env=environment, timeout=120)


def test_config_check_prints_every_error_with_key_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('port = "eighty"\nsurprise = 1\n[metrics]\nbackend = "mysql"\ninflux_url = "ftp://x"\n')
    result = _run(["config", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    for key in ("port", "surprise", "metrics.backend", "metrics.influx_url"):
        assert f": {key}: " in result.stderr, result.stderr
    good = tmp_path / "good.toml"
    good.write_text('port = 9000\n[metrics]\nbackend = "influxdb"\ninflux_url = "http://127.0.0.1:8086"\n')
    ok = _run(["config", "check", str(good)], tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_config_check_checks_the_parts_tables_and_every_command_refuses_them(tmp_path: Path) -> None:
    """The ``[extra_sections]`` tables are checked against each part's settings model: every
    bad key of every table, and an unknown table, by ``config check`` and before any command
    runs (it used to show only when the server started the part)."""
    bad = tmp_path / "sections.toml"
    bad.write_text(
        "[extra_sections.alerting]\nlinger_seconds = 5\nenable = false\n"
        '[extra_sections.desk.channels.sms]\ntype = "pigeon"\n'
        '[extra_sections.reports]\nsurprise = 1\n[extra_sections.alertng]\nenabled = false\n'
    )
    result = _run(["config", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    for key in (
        "extra_sections.alerting.linger_seconds",
        "extra_sections.alerting.enable",
        "extra_sections.desk",
        "extra_sections.reports.surprise",
        "extra_sections.alertng",
    ):
        assert f": {key}: " in result.stderr, result.stderr
    assert "unknown section; known: alerting, desk, reports" in result.stderr
    refused = _run(["--config", str(bad), "db", "upgrade"], tmp_path)
    assert refused.returncode == 1 and "extra_sections.alerting.linger_seconds" in refused.stderr
    assert not (tmp_path / "data").exists()  # nothing was started or written
    good = tmp_path / "good.toml"
    good.write_text("[extra_sections.alerting]\ndevice_interval_seconds = 2\n[extra_sections.desk]\nworkers = false\n")
    assert _run(["config", "check", str(good)], tmp_path).returncode == 0


def test_config_check_reports_broken_toml(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 1\n")
    result = _run(["config", "check", str(broken)], tmp_path)
    assert result.returncode == 1 and "not valid TOML" in result.stderr


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text('port = 9000\n[metrics]\nbackend = "embedded"\n')
    monkeypatch.setenv("VIGIL_PORT", "9100")
    monkeypatch.setenv("VIGIL_METRICS__BACKEND", "influxdb")
    settings = load_settings(config)
    assert settings.port == 9100 and settings.metrics.backend == "influxdb"
    monkeypatch.setenv("VIGIL_PORT", "not-a-port")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert ("port", "Input should be a valid integer, unable to parse string as an integer") in refused.value.problems


def test_customer_user_and_enrolment_from_the_command_line(tmp_path: Path) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    added = _run(["customer", "add", "acme", "ACME 制造", "--site", "main", "--site", "dc2"], tmp_path)
    assert added.returncode == 0, added.stderr
    again = _run(["customer", "add", "acme", "again"], tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    user = _run(
        ["user", "add", "ops@example.com", "Ops", "--role", "dispatcher", "--customer", "acme"],
        tmp_path,
        VIGIL_NEW_USER_PASSWORD="long enough secret",
    )
    assert user.returncode == 0, user.stderr
    assert "long enough secret" not in user.stdout + user.stderr
    token = _run(["enroll", "create", "acme", "--site", "dc2", "--kind", "collector"], tmp_path)
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().startswith("vge_")
    unknown = _run(["enroll", "create", "nobody"], tmp_path)
    assert unknown.returncode == 1 and "not found" in unknown.stderr
    assert _run(["version"], tmp_path).stdout.strip()


def test_server_command_migrates_and_serves(tmp_path: Path) -> None:
    """``vigil server`` as an operator starts it: migrations applied, then the API answers."""
    from tests.services.ports import free_port

    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    environment["VIGIL_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [*VIGIL, "server", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, process.stderr.read() if process.poll() else ""
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/customers", timeout=5).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert (tmp_path / "data").is_dir()
