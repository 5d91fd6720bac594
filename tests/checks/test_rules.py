"""Each rule type on in-memory series at fixed times: what it observes, and its config errors."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.checks.errors import RuleConfigError
from vigil.checks.model import Observation, RuleConfig, Severity
from vigil.checks.rules import RULE_TYPES, rule_type
from vigil.checks.ruleset import build_rule
from vigil.checks.source import MemorySource, Tags, Value, tags_of

S = 1_000_000_000
T0 = 1_780_000_000 * S
HOST = {"customer": "acme", "host": "web1"}


class _Ctx:
    def __init__(self, firing: set[str] | None = None) -> None:
        self._firing = firing or set()

    def target_tags(self) -> Tags:
        return tags_of(HOST)

    def is_firing(self, rule_name: str) -> bool:
        return rule_name in self._firing


def observe(rule: RuleConfig, source: MemorySource, now_ns: int, ctx: _Ctx | None = None) -> list[Observation]:
    results = {}
    for query in rule.queries():
        tags_filter = dict(query.tags)
        if query.kind == "latest":
            rows = source.latest(query.measurement, query.field, tags_filter, now_ns, query.span_ns)
            results[query] = [(tags, [(t, v)]) for tags, t, v in rows]
        else:
            results[query] = source.range(query.measurement, query.field, tags_filter,
                                          now_ns - query.span_ns + 1, now_ns)
    return rule_type(rule.type).evaluate(rule, results, now_ns, ctx or _Ctx())


def feed(source: MemorySource, measurement: str, field: str, values: list[Value], step_s: int = 30,
         tags: dict[str, str] | None = None, start_ns: int = T0) -> int:
    for index, value in enumerate(values):
        source.add(measurement, {**HOST, **(tags or {})}, field, start_ns + index * step_s * S, value)
    return start_ns + (len(values) - 1) * step_s * S


def rule(**raw: Any) -> RuleConfig:
    return build_rule({"name": "r", **raw})


def test_threshold_hysteresis_sides() -> None:
    r = rule(type="threshold", measurement="mem", field="used_percent", threshold=90, clear_threshold=80)
    source = MemorySource()
    now = feed(source, "mem", "used_percent", [85])
    (obs,) = observe(r, source, now)
    assert (obs.breach, obs.clear, obs.value) == (False, False, 85)  # between: neither fires nor clears
    now = feed(source, "mem", "used_percent", [95, 79], start_ns=now + 30 * S)
    (obs,) = observe(r, source, now)
    assert (obs.breach, obs.clear) == (False, True)


def test_threshold_below_and_reduce_avg_over_window() -> None:
    r = rule(type="threshold", measurement="ups", field="battery_charge_percent", op="<", threshold=50,
             reduce="avg", window="2m")
    source = MemorySource()
    now = feed(source, "ups", "battery_charge_percent", [100, 100, 40, 40, 40])  # window holds the last 4
    (obs,) = observe(r, source, now)
    assert obs.value == pytest.approx(55.0) and not obs.breach


def test_threshold_instances_and_stale_data() -> None:
    r = rule(type="threshold", measurement="disk", field="used_percent", threshold=90, instance_tags=["path"],
             lookback="1m")
    source = MemorySource()
    feed(source, "disk", "used_percent", [95], tags={"path": "/"})
    now = feed(source, "disk", "used_percent", [10, 20, 30], tags={"path": "/var"})
    found = {o.instance: o for o in observe(r, source, now)}
    assert set(found) == {"path=/var"}  # "/" last reported 90 s ago: no data, not "fine"
    assert found["path=/var"].value == 30


def test_threshold_ignores_text_values() -> None:
    r = rule(type="threshold", measurement="mem", field="used_percent", threshold=90)
    source = MemorySource()
    now = feed(source, "mem", "used_percent", ["n/a"])
    assert observe(r, source, now) == []


def test_rate_of_change_counter_with_reset() -> None:
    r = rule(type="rate_of_change", measurement="interface", field="in_errors", threshold=1, counter=True,
             window="5m")
    source = MemorySource()
    # +30, +30, reset to 10 (counts as +10), +30: 100 errors in 120 s
    now = feed(source, "interface", "in_errors", [100, 130, 160, 10, 40])
    (obs,) = observe(r, source, now)
    assert obs.value == pytest.approx(100 / 120)
    assert not obs.breach


def test_rate_of_change_gauge_per_hour() -> None:
    r = rule(type="rate_of_change", measurement="disk", field="used_percent", threshold=1, per="1h", window="1h")
    source = MemorySource()
    now = feed(source, "disk", "used_percent", [10, 11, 12, 13], step_s=600)
    (obs,) = observe(r, source, now)
    assert obs.value == pytest.approx(6.0) and obs.breach


def test_absence_counts_missed_intervals() -> None:
    r = rule(type="absence", measurement="system", field="uptime_seconds", interval="10s", missed_intervals=3)
    source = MemorySource()
    last = feed(source, "system", "uptime_seconds", [1, 2, 3], step_s=10)
    (obs,) = observe(r, source, last + 30 * S)
    assert not obs.breach
    (obs,) = observe(r, source, last + 31 * S)
    assert obs.breach and obs.value == pytest.approx(31.0)
    assert "31s" in obs.summary
    assert r.evaluation_mode == "schedule"


def test_availability_unreachable_only_when_every_ping_failed() -> None:
    r = rule(type="availability", window="3m")
    source = MemorySource()
    now = feed(source, "ping", "loss_percent", [0, 100, 100, 100, 100, 100, 100])
    (obs,) = observe(r, source, now)
    assert obs.breach and obs.summary.startswith("unreachable")
    now = feed(source, "ping", "loss_percent", [0], start_ns=now + 30 * S)
    (obs,) = observe(r, source, now)
    assert not obs.breach


def test_availability_latency() -> None:
    r = rule(type="availability", loss_percent_threshold=None, rtt_seconds_threshold=0.2, window="2m")
    source = MemorySource()
    feed(source, "ping", "loss_percent", [0, 0, 0, 0])
    now = feed(source, "ping", "rtt_seconds", [0.3, 0.25, 0.3, 0.35])
    (obs,) = observe(r, source, now)
    assert obs.breach and "rtt" in obs.summary


def test_state_change_bad_and_good_values() -> None:
    bad = rule(type="state_change", measurement="ups", field="on_battery", bad_values=[1, True])
    good = rule(type="state_change", measurement="interface", field="oper_up", good_values=[1],
                instance_tags=["interface"])
    source = MemorySource()
    now = feed(source, "ups", "on_battery", [False, True])
    assert observe(bad, source, now)[0].breach
    feed(source, "interface", "oper_up", [1, 0], tags={"interface": "ge0"})
    feed(source, "interface", "oper_up", [1, 1], tags={"interface": "ge1"})
    found = {o.instance: o.breach for o in observe(good, source, now)}
    assert found == {"interface=ge0": True, "interface=ge1": False}


def test_state_change_reboot_holds_then_clears() -> None:
    r = rule(type="state_change", measurement="system", field="uptime_seconds", on_decrease=True, hold="10m")
    source = MemorySource()
    now = feed(source, "system", "uptime_seconds", [5000, 5030, 20, 50])
    (obs,) = observe(r, source, now)
    assert obs.breach and obs.value == pytest.approx(30.0)
    later = feed(source, "system", "uptime_seconds", list(range(80, 80 + 30 * 21, 30)), start_ns=now + 30 * S)
    (obs,) = observe(r, source, later)
    assert not obs.breach


def test_forecast_days_and_critical_severity() -> None:
    r = rule(type="forecast", measurement="disk", field="used_percent", window="7d", min_history="1d",
             severity="warning")
    source = MemorySource()
    # 5 points a day from 50%: at day 7, 85%; (100 - 85) / 5 = 3 days left: under critical_days.
    now = feed(source, "disk", "used_percent", [50 + 5 * h / 24 for h in range(0, 7 * 24 + 1)], step_s=3600)
    (obs,) = observe(r, source, now)
    assert obs.value == pytest.approx(3.0, abs=0.01)
    assert obs.breach and obs.severity is Severity.CRITICAL


def test_forecast_needs_history_and_a_rising_trend() -> None:
    r = rule(type="forecast", measurement="disk", field="used_percent", min_history="2d")
    source = MemorySource()
    now = feed(source, "disk", "used_percent", [10, 20, 30], step_s=3600)
    assert observe(r, source, now) == []  # one day of data: no verdict
    flat = MemorySource()
    now = feed(flat, "disk", "used_percent", [60 - h / 100 for h in range(0, 72)], step_s=3600)
    (obs,) = observe(r, flat, now)
    assert not obs.breach and obs.clear and obs.value is None


def test_forecast_shrugs_off_a_cleanup() -> None:
    """Theil-Sen: one cleanup dip among steady growth barely moves the projection."""
    r = rule(type="forecast", measurement="disk", field="used_percent", window="10d", min_history="2d")
    source = MemorySource()
    values: list[Value] = [20 + 2 * h / 24 for h in range(0, 240 + 1, 6)]
    values[20] = 5.0
    values[21] = 6.0
    now = feed(source, "disk", "used_percent", values, step_s=6 * 3600)
    (obs,) = observe(r, source, now)
    assert obs.value == pytest.approx(30.0, abs=0.5)


def test_composite_all_and_any() -> None:
    both = rule(type="composite", rules=["cpu_high", "load_high"])
    either = rule(type="composite", op="any", rules=["cpu_high", "load_high"])
    ctx = _Ctx({"cpu_high"})
    assert not observe(both, MemorySource(), T0, ctx)[0].breach
    assert observe(either, MemorySource(), T0, ctx)[0].breach


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"type": "threshold", "measurement": "m", "field": "f"}, "threshold: Field required"),
        ({"type": "threshold", "measurement": "m", "field": "f", "threshold": 90, "clear_threshold": 95},
         "firing side"),
        ({"type": "threshold", "measurement": "m", "field": "f", "threshold": 1, "reduce": "avg"}, "needs a window"),
        ({"type": "threshold", "measurement": "m", "field": "f", "threshold": 1, "treshold": 2}, "treshold"),
        ({"type": "threshold", "measurement": "m", "field": "f", "threshold": 1, "for": "5 minutes"},
         "not a duration"),
        ({"type": "state_change", "measurement": "m", "field": "f"}, "exactly one"),
        ({"type": "absence", "measurement": "m", "field": "f", "interval": "1h", "forget_after": "2h"},
         "forget_after"),
        ({"type": "forecast", "measurement": "m", "field": "f", "critical_days": 40}, "critical_days"),
        ({"type": "availability", "loss_percent_threshold": None}, "set loss_percent_threshold"),
        ({"type": "composite", "rules": []}, "rules"),
        ({"type": "nonsense"}, "unknown rule type 'nonsense'"),
    ],
)
def test_bad_rule_configs_say_what_is_wrong(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RuleConfigError) as caught:
        rule(**raw)
    assert fragment in str(caught.value)
    assert "rule 'r'" in str(caught.value)


def test_every_rule_type_module_is_documented_strict_and_tested() -> None:
    tested = open(__file__, encoding="utf-8").read()
    for name, kind in RULE_TYPES.items():
        assert kind.doc, f"{name} has no module docstring"
        assert kind.config.model_config.get("extra") == "forbid"
        assert kind.config.model_fields["type"].default == name
        assert f'type="{name}"' in tested, f"rule type {name} has no test here"
