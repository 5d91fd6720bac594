"""The agent's command line: test, enroll, run refusals, install-service and uninstall-service."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from vigil.agent.cli import main
from vigil.agent.wire import parse_line

from tests.agent.conftest import FaultServer, Reply


def _agent_config(path: Path, state_dir: Path, interval: float = 0.2) -> Path:
    path.write_text(
        f"""
[agent]
state_dir = "{state_dir}"
interval_seconds = {interval}
self_metrics_interval_seconds = {interval}
log_level = "debug"

[batch]
max_age_seconds = {interval}

[retry]
initial_backoff_seconds = 0.05
max_backoff_seconds = 0.2
"""
    )
    return path


def test_test_prints_line_protocol_of_every_family_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert main(["--state-dir", str(state), "test", "--wait-seconds", "0.3"]) == 0
    out = capsys.readouterr().out
    points = [parse_line(line) for line in out.splitlines()]
    assert {"cpu", "mem", "disk", "diskio", "net", "system", "procstat"} <= {p.measurement for p in points}
    assert any("per_second" in f for p in points for f in p.fields)  # rates from the second round
    assert not state.exists()  # nothing spooled, nothing written


def test_test_with_one_collector_and_an_unknown_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state-dir", str(tmp_path), "test", "--wait-seconds", "0", "--collector", "mem"]) == 0
    assert {parse_line(x).measurement for x in capsys.readouterr().out.splitlines()} == {"mem"}
    assert main(["--state-dir", str(tmp_path), "test", "--collector", "gpu"]) == 2
    assert "unknown collector(s) gpu" in capsys.readouterr().err


def test_bad_config_file_exits_2_with_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "agent.toml"
    config.write_text("[spool]\nmax_byte = 1\n")
    assert main(["--config", str(config), "test"]) == 2
    assert "spool.max_byte: unknown setting" in capsys.readouterr().err


def test_enroll_writes_a_private_credential(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    code = main(["--state-dir", str(state), "enroll", "--server", fault_server.url, "--token", "t" * 16])
    assert code == 0
    credential = state / "credential.json"
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) & 0o077 == 0
    assert '"credential": "cred-secret"' in credential.read_text()
    assert "enrolled as" in capsys.readouterr().out


def test_enroll_with_the_token_in_a_file(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "token"
    token.write_text("t" * 16 + "\n")
    base = ["--state-dir", str(tmp_path / "state"), "enroll", "--server", fault_server.url]
    assert main([*base, "--token-file", str(token)]) == 0
    assert main([*base, "--token-file", str(tmp_path / "absent")]) == 1
    assert "cannot be read" in capsys.readouterr().err
    token.write_text("  \n")
    assert main([*base, "--token-file", str(token)]) == 1
    assert "empty" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--token", "x" * 16, "--token-file", str(token)])


def test_enroll_refused_or_unreachable_is_a_clear_error(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fault_server.enroll_reply = Reply(401, body={"detail": "token expired"})
    args = ["--state-dir", str(tmp_path), "enroll", "--server", fault_server.url, "--token", "t" * 16]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err and "token expired" in err
    assert not (tmp_path / "credential.json").exists()
    fault_server.stop()
    assert main(args) == 1
    assert "cannot reach" in capsys.readouterr().err
    assert main([*args[:4], "ftp://x", *args[5:]]) == 1
    assert "http(s)://" in capsys.readouterr().err


def test_run_without_credential_says_to_enroll(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state-dir", str(tmp_path), "run"]) == 1
    assert "vigil agent enroll" in capsys.readouterr().err


def test_second_agent_on_one_spool_exits_with_a_clear_message(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    config = _agent_config(tmp_path / "agent.toml", state)
    assert main(["--config", str(config), "enroll", "--server", fault_server.url, "--token", "t" * 16]) == 0
    first = subprocess.Popen(
        [sys.executable, "-m", "vigil.agent.cli", "--config", str(config), "run"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not fault_server.order:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        assert main(["--config", str(config), "run"]) == 1
        assert f"in use by another agent (pid {first.pid})" in capsys.readouterr().err
    finally:
        first.terminate()
        _, err = first.communicate(timeout=30)
    assert first.returncode == 0, err


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to hand the folder over")
def test_install_and_uninstall_service_write_a_hardened_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units, state = tmp_path / "units", tmp_path / "state"
    args = ["--state-dir", str(state), "install-service", "--unit-dir", str(units), "--user", "nobody"]
    assert main([*args, "--no-create-user", "--no-enable"]) == 0
    unit = (units / "vigil-agent.service").read_text()
    for line in (
        "User=nobody",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        f"ReadWritePaths={state}",
        "CapabilityBoundingSet=",
        "WantedBy=multi-user.target",
    ):
        assert line in unit.splitlines(), line
    assert f"--state-dir {state} run" in unit and "-m vigil.agent.cli" in unit
    info = state.stat()
    assert info.st_uid == pwd.getpwnam("nobody").pw_uid and stat.S_IMODE(info.st_mode) == 0o700
    if not os.path.isdir("/run/systemd/system"):
        # Without systemd the unit is written but cannot be enabled: say so, exit 1.
        assert main([*args, "--no-create-user"]) == 1
        assert "systemd is not running" in capsys.readouterr().err
    assert main(["uninstall-service", "--unit-dir", str(units), "--no-disable"]) == 0
    assert not (units / "vigil-agent.service").exists()
    assert main(["uninstall-service", "--unit-dir", str(units), "--no-disable"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_run_with_a_credential_naming_no_usable_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vigil.agent.enrollment import Credential, save_credential

    save_credential(tmp_path / "credential.json", Credential("", "n", "c", "a", "s", "h"))
    assert main(["--state-dir", str(tmp_path), "run"]) == 1
    assert "server URL must be http(s)://" in capsys.readouterr().err
    assert not (tmp_path / "spool").exists()


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to create an account")
def test_install_service_creates_the_account_and_systemd_accepts_the_unit(tmp_path: Path) -> None:
    import shutil

    user = f"vigiltest{os.getpid() % 100000}"
    units, state = tmp_path / "units", tmp_path / "state"
    try:
        assert (
            main(
                ["--state-dir", str(state), "install-service", "--unit-dir", str(units), "--user", user, "--no-enable"]
            )
            == 0
        )
        entry = pwd.getpwnam(user)
        assert entry.pw_shell in ("/usr/sbin/nologin", "/bin/false") and entry.pw_uid < 1000
        assert state.stat().st_uid == entry.pw_uid
        analyze = shutil.which("systemd-analyze")
        if analyze:
            result = subprocess.run(
                [analyze, "verify", str(units / "vigil-agent.service")], capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr
    finally:
        subprocess.run(["userdel", user], capture_output=True, check=False)


def test_run_hands_over_to_a_lean_process_with_the_same_pid_and_flags(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    state = tmp_path / "state"
    config = _agent_config(tmp_path / "agent.toml", state)
    assert main(["--config", str(config), "enroll", "--server", fault_server.url, "--token", "t" * 16]) == 0
    log = tmp_path / "stderr"
    with open(log, "wb") as err:
        agent = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "vigil.agent.cli", "--config", str(config), "run"], stderr=err
        )
    try:
        deadline = time.monotonic() + 30
        while not fault_server.order:
            assert time.monotonic() < deadline and agent.poll() is None
            time.sleep(0.05)
        cmdline = Path(f"/proc/{agent.pid}/cmdline").read_bytes().split(b"\0")
    finally:
        agent.terminate()
        agent.wait(30)
    assert agent.returncode == 0, log.read_text()
    # Same pid, now the daemon module, with the interpreter flags passed on (-X importtime here).
    assert b"vigil.agent.daemon" in cmdline and b"importtime" in cmdline and b"--config-fd" in cmdline
    # -X importtime prints its header once per interpreter: the second part is the daemon's imports.
    parts = log.read_text().split("import time: self [us]")
    assert len(parts) == 3, log.read_text()[-2000:]
    daemon_imports = {line.rsplit("|", 1)[-1].strip() for line in parts[2].splitlines() if "|" in line}
    assert {"vigil.agent.runner", "psutil"} <= daemon_imports
    assert not daemon_imports & {"argparse", "tomllib", "typing", "http.client", "email", "ssl", "shutil"}
    # Each of these costs the agent 0.1-1.3 MiB resident (docs/performance.md, host agent footprint).
    heavy = {"dataclasses", "inspect", "ast", "dis", "logging", "traceback", "random", "gzip"}
    assert not daemon_imports & heavy, sorted(daemon_imports & heavy)


def test_daemon_refuses_a_missing_or_unreadable_hand_over() -> None:
    for argv in ([], ["--config-fd", "x"], ["--config-fd", "987"]):
        result = subprocess.run(
            [sys.executable, "-m", "vigil.agent.daemon", *argv], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2, result.stderr
        assert "vigil-agent: bad configuration" in result.stderr
    for content, reason in (
        (b"not json", "cannot be read"),
        (b'{"source": "s", "config": []}', "not a JSON object"),
        (b'{"source": "s", "config": {"spool": {"max_bytes": 1}}}', "spool.max_bytes: must be at least 4096"),
    ):
        read, write = os.pipe()
        os.write(write, content)
        os.close(write)
        result = subprocess.run(
            [sys.executable, "-m", "vigil.agent.daemon", "--config-fd", str(read)],
            capture_output=True,
            text=True,
            timeout=60,
            pass_fds=(read,),
        )
        os.close(read)
        assert result.returncode == 2 and reason in result.stderr, result.stderr


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to hand the folders over")
def test_install_service_runs_with_the_config_it_read_and_its_spool_folder_writable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units, state, spool = tmp_path / "units", tmp_path / "state", tmp_path / "elsewhere" / "spool"
    config = tmp_path / "agent.toml"
    config.write_text(f'[agent]\nstate_dir = "{state}"\n[spool]\ndir = "{spool}"\n')
    base = ["--config", str(config), "install-service", "--unit-dir", str(units), "--user", "nobody"]
    assert main([*base, "--no-create-user", "--no-enable"]) == 0
    unit = (units / "vigil-agent.service").read_text().splitlines()
    exec_start = next(line for line in unit if line.startswith("ExecStart="))
    # The unit reads the file this command read, not the default one...
    assert f"--config {config} --state-dir {state} run" in exec_start
    # ...and under ProtectSystem=strict its spool folder outside the state folder is writable too.
    assert f"ReadWritePaths={state}" in unit and f"ReadWritePaths={spool}" in unit
    nobody = pwd.getpwnam("nobody").pw_uid
    for folder in (state, spool):
        assert folder.stat().st_uid == nobody and stat.S_IMODE(folder.stat().st_mode) == 0o700
    # With the spool inside the state folder, the state folder alone is enough.
    config.write_text(f'[agent]\nstate_dir = "{state}"\n')
    assert main([*base, "--no-create-user", "--no-enable", "--config-path", str(config)]) == 0
    unit = (units / "vigil-agent.service").read_text().splitlines()
    assert [line for line in unit if line.startswith("ReadWritePaths=")] == [f"ReadWritePaths={state}"]


def test_enroll_refuses_a_ca_for_plain_http_before_spending_the_token(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    args = ["--state-dir", str(tmp_path / "state"), "enroll", "--server", fault_server.url, "--token", "t" * 16]
    assert main([*args, "--ca", str(ca)]) == 1
    assert "is not https" in capsys.readouterr().err
    assert fault_server.enroll_requests == 0 and not (tmp_path / "state").exists()


def test_enroll_into_a_read_only_state_folder_keeps_the_token_unspent(
    tiny_fs: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    try:
        args = ["--state-dir", str(tiny_fs), "enroll", "--server", fault_server.url, "--token", "t" * 16]
        assert main(args) == 1
        assert f"{tiny_fs} is not writable" in capsys.readouterr().err
        assert main([*args[:1], str(tiny_fs / "new"), *args[2:]]) == 1
        assert f"{tiny_fs / 'new'} cannot be created: Read-only file system" in capsys.readouterr().err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)
    assert fault_server.enroll_requests == 0
    assert main(args) == 0  # writable again: the same token enrols
