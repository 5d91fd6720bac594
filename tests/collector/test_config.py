"""Bad configuration fails at start with the key and the reason, and never echoes a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from vigil.collector.cli import main
from vigil.collector.config import SnmpV3Credential, SshSettings, load_collector_config
from vigil.collector.errors import CollectorConfigError

from tests.services.live_server import LiveServer


def test_unknown_key_names_its_place() -> None:
    with pytest.raises(CollectorConfigError, match=r"devices\.0\.snmp\.credential.*Extra inputs|devices\.0"):
        load_collector_config({"devices": [{"name": "a", "address": "127.0.0.1",
                                            "snmp": {"credential": {"version": "2c", "community": "x", "nope": 1}}}]})


def test_duplicate_device_names_are_refused() -> None:
    device = {"name": "a", "address": "127.0.0.1"}
    with pytest.raises(CollectorConfigError, match="repeated"):
        load_collector_config({"devices": [device, device]})


def test_bad_address_is_refused() -> None:
    with pytest.raises(CollectorConfigError, match="address"):
        load_collector_config({"devices": [{"name": "a", "address": "not an address"}]})


def test_v3_needs_keys_for_its_level_and_hides_them() -> None:
    with pytest.raises(ValueError, match="auth_key"):
        SnmpV3Credential(user="u", auth_proto="sha", auth_key="short")
    with pytest.raises(ValueError, match="privacy needs authentication"):
        SnmpV3Credential(user="u", priv_proto="aes", priv_key="long-enough-key")
    cred = SnmpV3Credential(user="u", auth_proto="sha256", auth_key="secret-auth-key", priv_proto="aes",
                            priv_key="secret-priv-key")
    assert "secret-auth-key" not in repr(cred) and "secret-priv-key" not in str(cred)
    assert cred.level == "authPriv"


def test_ssh_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="password or a private_key"):
        SshSettings(user="admin")


def test_enroll_with_a_bad_token_is_a_clear_error(live_server: LiveServer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["enroll", "--server", live_server.url, "--token", "vge_not-a-token", "--state-dir",
                 str(tmp_path)])
    assert code == 2
    assert "enrolment refused: HTTP 401" in capsys.readouterr().err
    assert not (tmp_path / "credential.json").exists()


def test_run_without_enrolment_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--state-dir", str(tmp_path)]) == 2
    assert "vigil collector enroll" in capsys.readouterr().err
