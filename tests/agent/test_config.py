"""Configuration: the example file documents every setting; bad files fail with file, key, reason."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from vigil.agent import collectors
from vigil.agent.config import (
    AgentSection,
    BatchSection,
    ConfigError,
    RetrySection,
    ServerSection,
    SpoolSection,
    from_dict,
    load,
    to_dict,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "agent" / "agent.example.toml"


def test_example_documents_every_setting_with_its_default() -> None:
    raw = tomllib.loads(EXAMPLE.read_text())
    sections = {
        "agent": AgentSection,
        "server": ServerSection,
        "spool": SpoolSection,
        "batch": BatchSection,
        "retry": RetrySection,
    }
    for name, cls in sections.items():
        defaults = cls()
        assert set(raw[name]) == set(cls._fields), name
        for field_name in cls._fields:
            assert raw[name][field_name] == getattr(defaults, field_name), f"{name}.{field_name}"
    assert set(raw["collectors"]) == set(collectors.names())
    for name in collectors.names():
        spec = collectors.load(name)
        options = set(spec.options_type._fields)
        assert options <= set(raw["collectors"][name]), name
        for option in options:
            value = raw["collectors"][name][option]
            default = getattr(spec.options_type(), option)
            assert (tuple(value) if isinstance(value, list) else value) == default, f"{name}.{option}"
        assert raw["collectors"][name].get("interval_seconds", spec.default_interval_seconds) == (
            spec.default_interval_seconds
        )
    config = load(EXAMPLE)
    assert config == load(None)._replace(source=str(EXAMPLE))


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("[agent]\nbogus = 1\n", "agent.bogus", "unknown setting"),
        ("[nope]\n", "nope", "unknown section"),
        ("[agent]\ninterval_seconds = 'ten'\n", "agent.interval_seconds", "expected a number"),
        ("[agent]\ninterval_seconds = 0\n", "agent.interval_seconds", "greater than 0"),
        ("[spool]\nfsync = 1\n", "spool.fsync", "expected true or false"),
        ("[spool]\nmax_bytes = 100000\n", "batch.max_bytes", "quarter of spool.max_bytes"),
        ("[server]\nurl = 'ftp://x'\n", "server.url", "http:// or https://"),
        ("[collectors.gpu]\n", "collectors.gpu", "unknown collector"),
        ("[collectors.procstat]\ntop_n = -1\n", "collectors.procstat.top_n", "greater than 0"),
        ("[collectors.procstat]\ntop_n = 1000\n", "collectors.procstat.top_n", "must be at most 50"),
        ("[collectors.services]\nmax_units = 100000\n", "collectors.services.max_units", "must be at most 500"),
        ("[collectors.net]\nexclude_interfaces = 'lo'\n", "collectors.net.exclude_interfaces", "list of strings"),
        ("[collectors.cpu]\npercore = true\n", "collectors.cpu.percore", "unknown setting"),
        ("[agent]\nlog_level = 'loud'\n", "agent.log_level", "must be one of"),
        ("[agent\n", "", "not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert key in message and reason in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml")


def test_intervals_scale_with_the_agent_interval_unless_set(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(
        "[agent]\ninterval_seconds = 1\n"
        "[collectors.disk]\ninterval_seconds = 2.5\n"
        "[collectors.sensors]\nenabled = false\n"
    )
    config = load(path)
    by_name = {c.name: c for c in config.collectors}
    assert by_name["cpu"].interval_seconds == 1.0
    assert by_name["services"].interval_seconds == 6.0
    assert by_name["disk"].interval_seconds == 2.5
    assert "sensors" not in {c.name for c in config.enabled_collectors()}
    assert config.spool_dir == os.path.join(config.state_dir, "spool")


def test_config_survives_the_hand_over_to_the_daemon_as_json() -> None:
    import json

    config = load(EXAMPLE)
    assert from_dict(json.loads(json.dumps(to_dict(config))), config.source) == config
