"""``vigil collector test`` and ``discover`` against the real snmpd, sshd and snmpsim."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vigil.agent.wire import parse_line
from vigil.collector.cli import main

from tests.services.snmpd import Snmpd
from tests.services.snmpsim import Snmpsim
from tests.services.sshd import Sshd


def lines(text: str) -> list:  # type: ignore[type-arg]
    return [parse_line(line) for line in text.splitlines() if line]


def test_test_prints_line_protocol_with_rates_and_profile(snmpd: Snmpd, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", f"127.0.0.1:{snmpd.port}", "--community", "public", "--pause", "1", "--name", "core1"])
    out, err = capsys.readouterr()
    assert code == 0
    points = lines(out)
    assert all(p.tags["device"] == "core1" for p in points)
    lo = next(p for p in points if p.measurement == "interface" and p.tags["interface"] == "lo")
    assert "in_bytes_per_second" in lo.fields  # the second poll made rates
    snmp = next(p for p in points if p.measurement == "snmp")
    assert snmp.fields["up"] == 1 and "uptime_seconds" in snmp.fields
    assert "# profile: standard" in err


def test_test_with_vendor_recording(snmpsim: Snmpsim, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", f"127.0.0.1:{snmpsim.port}", "--community", "huawei-s5720", "--pause", "0",
                 "--timeout", "5"])
    out, err = capsys.readouterr()
    assert code == 0 and "# profile: huawei" in err
    assert any(p.measurement == "device_cpu" for p in lines(out))


def test_test_v3_wrong_key_fails_closed(snmpd: Snmpd, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", f"127.0.0.1:{snmpd.port}", "--v3-user", "vigil", "--auth-proto", "sha256",
                 "--auth-key", "not-the-key", "--priv-proto", "aes", "--priv-key", "privpass-456",
                 "--pause", "0", "--timeout", "0.5", "--retries", "0"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "no fallback to v2c" in err
    assert "not-the-key" not in out + err and "privpass-456" not in out + err
    assert [p.fields for p in lines(out) if p.measurement == "snmp"] == [{"up": 0}]


def test_test_over_ssh_with_known_hosts(sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "id"
    key.write_text(sshd.client_key)
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {sshd.host_key_line}\n")
    code = main(["test", f"127.0.0.1:{sshd.port}", "--ssh-user", sshd.user, "--ssh-key", str(key),
                 "--known-hosts", str(known)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {p.measurement for p in lines(out)} >= {"system", "mem", "disk", "ssh"}
    if not os.path.isdir("/run/systemd/system"):  # systemctl refuses here: reported, not fatal
        assert "# command failed, 127.0.0.1: linux_systemd_failed: " in err
    known.write_text("")
    code = main(["test", f"127.0.0.1:{sshd.port}", "--ssh-user", sshd.user, "--ssh-key", str(key),
                 "--known-hosts", str(known)])
    out, err = capsys.readouterr()
    assert code == 1 and "unknown SSH host key" in err


def test_bad_options_get_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "127.0.0.1:1"]) == 2
    assert "give SNMP" in capsys.readouterr().err
    assert main(["test", "127.0.0.1:1", "--v3-user", "u", "--priv-key", "short"]) == 2
    assert "priv" in capsys.readouterr().err
    assert main(["discover", "10.0.0.0/8", "--community", "public"]) == 2
    assert "at most 4096" in capsys.readouterr().err


def test_discover_proposes_the_live_address_only(snmpd: Snmpd, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code = main(["discover", "127.0.0.1-127.0.0.3", "--port", str(snmpd.port), "--community", "public",
                 "--timeout", "0.3", "--retries", "0"])
    out, _ = capsys.readouterr()
    assert code == 0
    proposals = [json.loads(line) for line in out.splitlines()]
    assert [p["address"] for p in proposals] == ["127.0.0.1"]
    assert proposals[0]["sys_name"] == "vigil-test-snmpd" and proposals[0]["interfaces_count"] >= 1
    assert "public" not in out  # the credential is named by index, never printed


def test_discover_finds_vendor_model_and_serial(snmpsim: Snmpsim, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code = main(["discover", "127.0.0.1", "--port", str(snmpsim.port), "--community", "cisco-c3560",
                 "--timeout", "5"])
    out, _ = capsys.readouterr()
    assert code == 0
    proposal = json.loads(out)
    assert proposal["vendor"] == "Cisco" and proposal["profile"] == "cisco"
    assert proposal["model"] == "WS-C3560G-48TS-E" and proposal["serial"] == "FOC1408Z61U"


def test_secrets_from_the_environment(snmpd: Snmpd, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_SNMP_AUTH_KEY", "authpass-123")
    monkeypatch.setenv("VIGIL_SNMP_PRIV_KEY", "privpass-456")
    code = main(["test", f"127.0.0.1:{snmpd.port}", "--v3-user", "vigil", "--auth-proto", "sha256",
                 "--priv-proto", "aes", "--pause", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert any(p.measurement == "device_info" for p in lines(out))
