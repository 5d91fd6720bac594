"""Rule files, the shipped defaults, and overrides at global, customer, site and device level."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.checks.errors import RuleConfigError
from vigil.checks.model import SeriesRuleConfig
from vigil.checks.ruleset import RuleResolver, default_rule_dicts, effective_rules, parse_rules_yaml

DEFAULTS = default_rule_dicts()


def by_name(rules: list[Any]) -> dict[str, Any]:
    return {r.name: r for r in rules}


def test_defaults_cover_what_a_service_provider_expects() -> None:
    names = {r["name"] for r in DEFAULTS}
    assert {
        "cpu_high", "memory_high", "swap_high", "disk_space_high", "disk_inodes_high", "load_high",
        "interface_errors", "interface_in_util_high", "device_unreachable", "agent_silent", "ups_on_battery",
        "ups_battery_low", "ups_load_high", "host_temperature_high", "device_temperature_high",
        "disk_full_forecast", "collector_silent", "service_failed", "host_reboot",
    } <= names


def test_defaults_read_only_measurements_and_fields_of_the_schema() -> None:
    for rule in effective_rules(DEFAULTS, []):
        if not isinstance(rule, SeriesRuleConfig):
            continue
        measurement = MEASUREMENTS.get(rule.measurement)
        assert measurement is not None, f"{rule.name}: measurement {rule.measurement} is not in the schema"
        fields = [rule.field] + ([rule.rtt_field] if rule.type == "availability" else [])
        for field in fields:
            assert field in measurement.fields, f"{rule.name}: {rule.measurement}.{field} is not in the schema"
        for tag in [*rule.instance_tags, *rule.tags]:
            assert tag in measurement.tags, f"{rule.name}: tag {tag} is not on {rule.measurement}"


def test_layers_change_thresholds_and_disable_rules() -> None:
    layers = [
        ("global", {"cpu_high": {"threshold": 95, "clear_threshold": 85}}),
        ("customer:acme", {"swap_high": {"enabled": False}}),
        ("site:acme/hq", {"cpu_high": {"for": "20m"}}),
        ("device:acme/db1", {"disk_space_high": {"threshold": 97, "clear_threshold": 93},
                             "cpu_high": {"tags": {"cpu": "0"}}}),
    ]
    rules = by_name(effective_rules(DEFAULTS, layers))
    assert rules["cpu_high"].threshold == 95 and rules["cpu_high"].for_seconds == 1200
    assert rules["cpu_high"].tags == {"cpu": "0"}
    assert rules["swap_high"].enabled is False
    assert rules["disk_space_high"].threshold == 97
    assert rules["memory_high"].threshold == 92  # untouched default


def test_later_layers_win_and_null_restores_the_type_default() -> None:
    layers = [
        ("customer:acme", {"cpu_high": {"keep_firing_for": "30m"}}),
        ("device:acme/web1", {"cpu_high": {"keep_firing_for": None}}),
    ]
    assert by_name(effective_rules(DEFAULTS, layers))["cpu_high"].keep_firing_for_seconds == 0


def test_a_layer_may_add_a_rule() -> None:
    layers = [("customer:acme", {"oracle_sessions_high": {
        "type": "threshold", "measurement": "procstat", "field": "cpu_percent", "threshold": 80}})]
    assert "oracle_sessions_high" in by_name(effective_rules(DEFAULTS, layers))


@pytest.mark.parametrize(
    ("layer", "fragment"),
    [
        ({"cpu_high": {"threshold": "high"}}, "device:acme/web1: rule 'cpu_high': threshold"),
        ({"cpu_high": {"clear_threshold": 99}}, "firing side"),
        ({"cpu_high": {"type": "absence"}}, "cannot change the type"),
        ({"cpu_high": {"name": "cpu_hot"}}, "cannot rename"),
        ({"no_such_rule": {"threshold": 3}}, "no such rule to override"),
        ({"cpu_high": "off"}, "must be a mapping"),
        ({"cpu_high": {"thresold": 3}}, "thresold"),
        ({"both": {"type": "composite", "rules": ["cpu_high", "nope"]}}, "unknown rule 'nope'"),
    ],
)
def test_bad_overrides_are_refused_with_the_layer_rule_and_key(layer: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RuleConfigError) as caught:
        effective_rules(DEFAULTS, [("device:acme/web1", layer)])
    assert fragment in str(caught.value)


def test_a_refused_override_leaves_the_defaults_intact() -> None:
    with pytest.raises(RuleConfigError):
        effective_rules(DEFAULTS, [("global", {"cpu_high": {"threshold": "x"}})])
    assert by_name(effective_rules(default_rule_dicts(), []))["cpu_high"].threshold == 90


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rules: [", "not valid YAML"),
        ("- name: x", "one key, 'rules'"),
        ("rules:\n  - {type: threshold}", "needs at least 'name' and 'type'"),
        ("rules:\n  - {name: a, type: threshold}\n  - {name: a, type: threshold}", "defined twice"),
    ],
)
def test_bad_rule_files(text: str, fragment: str) -> None:
    with pytest.raises(RuleConfigError) as caught:
        parse_rules_yaml(text, "custom.yaml")
    assert fragment in str(caught.value) and "custom.yaml" in str(caught.value)


def test_resolver_caches_by_content() -> None:
    resolver = RuleResolver()
    first = resolver.rules_for([("customer:a", {"cpu_high": {"threshold": 95}})])
    second = resolver.rules_for([("customer:b", {"cpu_high": {"threshold": 95}})])
    plain = resolver.rules_for([("customer:c", {})])
    assert first is second and plain is not first
