"""SSH password authentication against a paramiko SSH server on loopback that answers like a
Huawei VRP or H3C Comware device with captured real outputs (tests/services/ssh_device.py).

The collector's client, host-key pinning and parsers run for real; only the device is a stand-in
(no VRP or Comware box can run here).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.agent.wire import Point
from vigil.collector.config import CollectorConfig, DeviceConfig, SshSettings
from vigil.collector.errors import HostKeyChanged, HostKeyUnknown, SshAuthError
from vigil.collector.runner import Collector
from vigil.collector.ssh.poller import poll_ssh

from tests.services.ssh_device import SshDevice, captured_outputs

OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRr5mQfLRbN3ArQdT7DfFqg0h4oKx2B5Z9wqvB4m8cN"


def settings(device: SshDevice, platform: str, **changes: object) -> SshSettings:
    base: dict[str, object] = {
        "user": device.user, "password": device.password, "port": device.port, "platform": platform,
        "known_host_keys": (device.host_key_line,), "timeout_seconds": 5.0,
    }
    base.update(changes)
    return SshSettings.model_validate(base)


def by(points: list[Point], measurement: str) -> list[Point]:
    return [p for p in points if p.measurement == measurement]


def assert_schema(points: list[Point]) -> None:
    for point in points:
        spec = MEASUREMENTS[point.measurement]
        assert set(point.fields) <= set(spec.fields), (point.measurement, point.fields)
        assert set(point.tags) - {"device"} <= spec.tags, (point.measurement, point.tags)


def test_comware_over_password_ssh_yields_cpu_memory_and_inventory(ssh_devices: dict[str, SshDevice]) -> None:
    device = ssh_devices["h3c_comware"]
    result = poll_ssh("sw1", "127.0.0.1", settings(device, "h3c_comware"))
    assert not result.parse_errors and not result.command_errors
    cpu = by(result.points, "device_cpu")
    assert [(p.tags["unit"], p.fields["util_percent"]) for p in cpu] == [("Slot 1 CPU 0", 0.0)]
    mem = by(result.points, "device_mem")
    assert [(p.tags["unit"], p.fields) for p in mem] == [
        ("Slot 1", {"total_bytes": 4012464 * 1024, "used_bytes": 761900 * 1024, "used_percent": 18.5})]
    assert {p.tags["entity"] for p in by(result.points, "device_entity")} >= {"Slot 1", "Fan 1"}
    assert by(result.points, "ssh")[0].fields["up"] == 1
    assert all(p.tags["device"] == "sw1" for p in result.points)
    assert set(device.commands_run) >= {"display cpu-usage", "display memory", "display device manuinfo"}
    assert_schema(result.points)


def test_vrp_over_password_ssh(ssh_devices: dict[str, SshDevice]) -> None:
    result = poll_ssh("r1", "127.0.0.1", settings(ssh_devices["huawei_vrp"], "huawei_vrp"))
    assert not result.parse_errors and not result.command_errors
    assert by(result.points, "device_cpu")[0].fields == {"util_percent": 28.0}
    assert by(result.points, "device_mem")[0].fields["total_bytes"] == 1598029824
    assert len(by(result.points, "device_alarm")) == 4
    assert len(by(result.points, "device_component")) == 23
    assert_schema(result.points)


def test_wrong_password_is_a_clear_auth_error_without_the_password(ssh_devices: dict[str, SshDevice]) -> None:
    device = ssh_devices["h3c_comware"]
    wrong = "not-" + device.password
    with pytest.raises(SshAuthError, match="authentication refused for user 'netops'") as caught:
        poll_ssh("sw1", "127.0.0.1", settings(device, "h3c_comware", password=wrong))
    assert wrong not in str(caught.value) and device.password not in str(caught.value)
    assert (device.user, False) in device.auth_attempts


def test_wrong_password_on_one_device_loses_nothing_of_the_others(ssh_devices: dict[str, SshDevice]) -> None:
    comware, vrp = ssh_devices["h3c_comware"], ssh_devices["huawei_vrp"]
    devices = (
        DeviceConfig(name="good", address="127.0.0.1", ssh=settings(comware, "h3c_comware")),
        DeviceConfig(name="bad", address="127.0.0.1", ssh=settings(vrp, "huawei_vrp", password="wrong-password")),
    )
    points: list[Point] = []

    async def once() -> Collector:
        collector = Collector(CollectorConfig(devices=devices), points.extend)
        try:
            await collector.run_once()
        finally:
            collector.close()
        return collector

    collector = asyncio.run(once())
    report = collector.last_report
    assert report is not None and report.errors["ssh_auth"] == 1
    assert "authentication refused" in report.error_messages["bad"]
    good = [p for p in points if p.tags.get("device") == "good"]
    assert {"device_cpu", "device_mem", "device_entity"} <= {p.measurement for p in good}
    bad = [p for p in points if p.tags.get("device") == "bad"]
    assert [(p.measurement, p.fields) for p in bad] == [("ssh", {"up": 0})]
    health = by(points, "collector")[0]
    assert health.fields["errors_ssh_count"] == 1


def test_password_auth_still_refuses_an_unknown_host_key_before_sending_the_password(
        ssh_devices: dict[str, SshDevice]) -> None:
    device = ssh_devices["huawei_vrp"]
    before = len(device.auth_attempts)
    with pytest.raises(HostKeyUnknown) as caught:
        poll_ssh("r1", "127.0.0.1", settings(device, "huawei_vrp", known_host_keys=()))
    assert f"{caught.value.key_type} {caught.value.key_base64}" == device.host_key_line
    with pytest.raises(HostKeyChanged):
        poll_ssh("r1", "127.0.0.1", settings(device, "huawei_vrp", known_host_keys=(OTHER_KEY,)))
    assert len(device.auth_attempts) == before  # the password never left the collector


def test_a_command_the_device_refuses_is_a_per_command_error() -> None:
    outputs = captured_outputs("h3c_comware")
    del outputs["display memory"]  # as on a model that lacks the command
    device = SshDevice(outputs)
    try:
        result = poll_ssh("old", "127.0.0.1", settings(device, "h3c_comware"))
    finally:
        device.close()
    assert len(result.command_errors) == 1
    assert result.command_errors[0].startswith("h3c_comware_display_memory: ")
    assert "'display memory' exited with status 1: % Unrecognized command found at '^' position." in (
        result.command_errors[0])
    assert by(result.points, "device_cpu") and not by(result.points, "device_mem")
    assert by(result.points, "ssh")[0].fields["up"] == 1


def test_collector_test_command_with_a_password_from_the_environment(
        ssh_devices: dict[str, SshDevice], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``vigil collector test HOST:PORT --ssh-user U --platform h3c_comware`` with the password in
    VIGIL_SSH_PASSWORD (never in the arguments) and the key pinned from a known_hosts file."""
    from vigil.agent.wire import parse_line
    from vigil.collector.cli import main

    device = ssh_devices["h3c_comware"]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{device.port} {device.host_key_line}\n")
    monkeypatch.setenv("VIGIL_SSH_PASSWORD", device.password)
    argv = ["test", f"127.0.0.1:{device.port}", "--ssh-user", device.user, "--platform", "h3c_comware",
            "--known-hosts", str(known)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    measurements = {parse_line(line).measurement for line in out.splitlines() if line}
    assert measurements >= {"device_cpu", "device_mem", "device_entity", "ssh"}
    assert device.password not in out + err
    monkeypatch.setenv("VIGIL_SSH_PASSWORD", "wrong-password")
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "authentication refused" in err and "wrong-password" not in out + err
