"""SSH polling against a real OpenSSH sshd: pinned keys, unknown and changed keys, timeouts."""

from __future__ import annotations

import pytest
from vigil.collector.config import SshSettings
from vigil.collector.errors import HostKeyChanged, HostKeyUnknown, SshAuthError, SshError, SshTimeout
from vigil.collector.ssh.client import SshConnection
from vigil.collector.ssh.poller import poll_ssh

from tests.services.ports import free_port
from tests.services.sshd import SilentPeer, Sshd

OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRr5mQfLRbN3ArQdT7DfFqg0h4oKx2B5Z9wqvB4m8cN"


def settings(daemon: Sshd, **changes: object) -> SshSettings:
    base: dict[str, object] = {
        "user": daemon.user, "private_key": daemon.client_key, "port": daemon.port,
        "known_host_keys": (daemon.host_key_line,), "timeout_seconds": 5.0,
    }
    base.update(changes)
    return SshSettings.model_validate(base)


def test_pinned_key_linux_poll_reads_proc_over_sftp(sshd: Sshd) -> None:
    result = poll_ssh("linux1", "127.0.0.1", settings(sshd))
    assert not result.parse_errors
    by_name = {p.measurement: p for p in result.points}
    systems = [p for p in result.points if p.measurement == "system"]
    assert any("uptime_seconds" in p.fields for p in systems)
    assert any("load1" in p.fields for p in systems)
    mem = by_name["mem"]
    assert int(mem.fields["total_bytes"]) > 0
    assert any(p.measurement == "disk" and p.tags.get("path") == "/" for p in result.points)
    assert by_name["ssh"].fields["up"] == 1
    assert all(p.tags["device"] == "linux1" for p in result.points)


def test_unknown_key_is_refused_and_reported(sshd: Sshd) -> None:
    with pytest.raises(HostKeyUnknown) as caught:
        poll_ssh("linux1", "127.0.0.1", settings(sshd, known_host_keys=()))
    assert f"{caught.value.key_type} {caught.value.key_base64}" == sshd.host_key_line
    assert caught.value.fingerprint_sha256.startswith("SHA256:")


def test_changed_key_is_refused_even_with_trust_on_first_use(sshd: Sshd) -> None:
    with pytest.raises(HostKeyChanged, match="CHANGED"):
        poll_ssh("linux1", "127.0.0.1",
                 settings(sshd, known_host_keys=(OTHER_KEY,), host_key_policy="trust_on_first_use"))


def test_trust_on_first_use_learns_the_key(sshd: Sshd) -> None:
    result = poll_ssh("linux1", "127.0.0.1",
                      settings(sshd, known_host_keys=(), host_key_policy="trust_on_first_use"))
    assert result.learned_key is not None and result.learned_key.line == sshd.host_key_line


def test_wrong_client_key_is_an_auth_error_without_secrets(sshd: Sshd) -> None:
    wrong = settings(sshd, private_key=_fresh_private_key())
    with pytest.raises(SshAuthError) as caught:
        poll_ssh("linux1", "127.0.0.1", wrong)
    assert "PRIVATE KEY" not in str(caught.value)


def _fresh_private_key() -> str:
    import subprocess
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "k")], check=True)
    return (folder / "k").read_text()


def test_slow_host_times_out() -> None:
    peer = SilentPeer()
    try:
        slow = SshSettings(user="x", password="p", port=peer.port, known_host_keys=(OTHER_KEY,),
                           timeout_seconds=1.0)
        with pytest.raises(SshTimeout):
            poll_ssh("slow", "127.0.0.1", slow)
    finally:
        peer.close()


def test_dead_host_is_a_clear_error() -> None:
    dead = SshSettings(user="x", password="p", port=free_port(), known_host_keys=(OTHER_KEY,),
                       timeout_seconds=1.0)
    with pytest.raises(SshError, match="cannot connect"):
        with SshConnection("127.0.0.1", dead):
            pass


def test_unknown_platform_is_refused(sshd: Sshd) -> None:
    with pytest.raises(KeyError, match="no SSH parsers for platform"):
        poll_ssh("x", "127.0.0.1", settings(sshd, platform="nope"))


def test_failed_systemd_units_end_to_end_or_a_clear_command_error(sshd: Sshd) -> None:
    """The test sshd runs commands on this machine: with systemd as init the failed units come
    back as ``services`` points; in a container without it, ``systemctl`` exits non-zero and
    that is one command error, not "no failed units" and not a failed poll."""
    import os

    result = poll_ssh("linux1", "127.0.0.1", settings(sshd))
    assert not result.parse_errors
    services = [p for p in result.points if p.measurement == "services"]
    assert any(p.measurement == "mem" for p in result.points)  # the other commands still ran
    assert [p for p in result.points if p.measurement == "ssh"][0].fields["up"] == 1
    if os.path.isdir("/run/systemd/system"):
        assert not result.command_errors
        total = next(p for p in services if p.tags["unit"] == "_all")
        assert total.fields["failed_count"] == len(services) - 1
    else:
        assert services == []
        assert len(result.command_errors) == 1
        message = result.command_errors[0]
        assert message.startswith("linux_systemd_failed: ") and "exited with status" in message
