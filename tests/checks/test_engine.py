"""The state machine and the engine: hysteresis, hold-down, reopen, no data, flapping, persistence."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from vigil.checks.engine import Engine, EngineState, Target
from vigil.checks.errors import SourceError
from vigil.checks.ruleset import build_rule
from vigil.checks.source import LatestRow, MemorySource, RangeRow
from vigil.checks.state import AlertState, Status, fingerprint, percent_state_change

S = 1_000_000_000
T0 = 1_780_000_000 * S


def target(device: str = "web1", extra: dict[str, Any] | None = None, **rule_raw: Any) -> Target:
    raw = {"name": "mem_hot", "type": "threshold", "measurement": "mem", "field": "used_percent",
           "threshold": 90, **(extra or {}), **rule_raw}
    return Target(customer="acme", device=device, rules=(build_rule(raw),), site="hq")


class Replay:
    """Feeds one value per 30 s tick and evaluates, collecting event kinds by tick index."""

    def __init__(self, tgt: Target, engine: Engine | None = None) -> None:
        self.target, self.engine, self.source = tgt, engine or Engine(), MemorySource()
        self.tick = 0
        self.log: list[tuple[int, str]] = []

    def run(self, values: Sequence[float | None]) -> list[tuple[int, str]]:
        for value in values:
            now = T0 + self.tick * 30 * S
            if value is not None:
                self.source.add("mem", {"customer": "acme", "host": self.target.device}, "used_percent", now, value)
            for event in self.engine.evaluate(self.source, now, [self.target]).events:
                self.log.append((self.tick, event.kind))
            self.tick += 1
        return self.log


def test_for_clear_threshold_and_keep_firing_for() -> None:
    replay = Replay(target(extra={"for": "1m", "clear_threshold": 80, "keep_firing_for": "1m"}))
    # breach x3 -> fires at tick 2; 85 is above clear: still firing; 70 clears; back to 95 within
    # the hold-down is a repeat; then 70 for long enough resolves.
    log = replay.run([95, 95, 95, 85, 85, 70, 95, 70, 70, 70, 70])
    assert log == [(2, "opened"), (6, "repeated"), (9, "resolved")]


def test_reopen_within_window_and_new_incident_after() -> None:
    engine = Engine()
    replay = Replay(target(reopen_window="2m"), engine)
    replay.run([95, 50, 95, 50])  # resolves at 1, returns at 2 (60 s later): reopened
    replay.run([50] * 5 + [95])  # resolved at 3, next breach 180 s later: a new incident
    assert replay.log == [(0, "opened"), (1, "resolved"), (2, "reopened"), (3, "resolved"), (9, "opened")]
    (alert,) = engine.state.alerts.values()
    assert alert.incident == 2


def test_no_data_never_resolves_and_pending_lapses() -> None:
    replay = Replay(target(lookback="20s"))
    assert replay.run([95] + [None] * 20) == [(0, "opened")]
    (alert,) = replay.engine.state.alerts.values()
    assert alert.status is Status.FIRING and alert.no_data_since_ns == T0 + 30 * S
    pending = Replay(target(device="web2", lookback="20s", extra={"for": "1m"}))
    pending.run([95, None, None, None])
    (alert,) = pending.engine.state.alerts.values()
    assert alert.status is Status.INACTIVE  # an unconfirmed breach lapses without data


def test_healthy_devices_leave_no_state() -> None:
    replay = Replay(target())
    replay.run([10] * 5)
    assert replay.engine.state.alerts == {}


def test_state_round_trips_through_json_mid_incident() -> None:
    first = Replay(target(extra={"for": "1m"}))
    first.run([95, 95, 95])
    saved = json.loads(json.dumps(first.engine.state.to_dict()))
    second = Replay(target(extra={"for": "1m"}), Engine(EngineState.from_dict(saved)))
    second.source, second.tick = first.source, first.tick
    second.run([95, 95, 50])
    assert first.log == [(2, "opened")]
    assert second.log == [(5, "resolved")]


def test_bad_state_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        EngineState.from_dict({"version": 99, "alerts": []})
    with pytest.raises(ValueError, match="unknown alert state keys"):
        AlertState.from_dict({"fingerprint": "x", "rule": "r", "customer": "c", "device": "d", "instance": "",
                              "colour": "red"})


def test_fingerprint_is_deterministic_and_distinct() -> None:
    a = fingerprint("acme", "sw1", "interface_down", "interface=ge0")
    assert a == fingerprint("acme", "sw1", "interface_down", "interface=ge0")
    assert a != fingerprint("acme", "sw1", "interface_down", "interface=ge1")
    assert a != fingerprint("acme2", "sw1", "interface_down", "interface=ge0")


def test_percent_state_change_weights_recent_changes() -> None:
    assert percent_state_change([True] * 21) == 0
    assert percent_state_change([True, False] * 10 + [True]) == pytest.approx(100.0)
    old_change = [True] + [False] * 20
    new_change = [False] * 20 + [True]
    assert percent_state_change(old_change) < percent_state_change(new_change)


def test_severity_change_on_open_incident() -> None:
    tgt = Target("acme", "db1", (build_rule({
        "name": "fc", "type": "forecast", "measurement": "disk", "field": "used_percent", "window": "4d",
        "min_history": "1d"}),))
    engine, source = Engine(), MemorySource()
    kinds = []
    for hour in range(0, 24 * 12 + 1, 6):
        now = T0 + hour * 3600 * S
        source.add("disk", {"customer": "acme", "host": "db1"}, "used_percent", now, 20 + 6 * hour / 24)
        kinds += [(e.kind, e.severity) for e in engine.evaluate(source, now, [tgt]).events]
    assert kinds == [("opened", "warning"), ("severity_changed", "critical")]


class _BrokenSource:
    def latest(self, measurement: str, field: str, tags_filter: Mapping[str, str], at_ns: int,
               lookback_ns: int) -> list[LatestRow]:
        raise SourceError("influxdb: connection refused")

    def range(self, measurement: str, field: str, tags_filter: Mapping[str, str], start_ns: int,
              end_ns: int) -> list[RangeRow]:
        raise SourceError("influxdb: connection refused")


def test_a_failing_source_is_reported_and_changes_no_state() -> None:
    replay = Replay(target())
    replay.run([95])
    before = replay.engine.state.to_dict()
    result = replay.engine.evaluate(_BrokenSource(), T0 + 60 * S, [replay.target])
    assert [(e.device, e.rule) for e in result.errors] == [("web1", "mem_hot")]
    assert "connection refused" in result.errors[0].reason
    assert result.events == [] and replay.engine.state.to_dict() == before


def test_bulk_and_per_device_queries_agree() -> None:
    source = MemorySource()
    targets = [target(device=f"h{i}") for i in range(20)]
    for i in range(20):
        source.add("mem", {"customer": "acme", "host": f"h{i}"}, "used_percent", T0, 95 if i % 3 == 0 else 10)
    source.add("mem", {"customer": "other", "host": "h0"}, "used_percent", T0, 99)  # same name, other tenant
    per_device = Engine().evaluate(source, T0, targets)
    bulk = Engine().evaluate(source, T0, targets, bulk=True)
    assert [e.fingerprint for e in per_device.events] == [e.fingerprint for e in bulk.events]
    assert len(bulk.events) == 7 and {e.customer for e in bulk.events} == {"acme"}


def test_mode_selects_arrival_or_schedule_rules() -> None:
    rules = (
        build_rule({"name": "hot", "type": "threshold", "measurement": "mem", "field": "used_percent",
                    "threshold": 90}),
        build_rule({"name": "quiet", "type": "absence", "measurement": "mem", "field": "used_percent",
                    "interval": "10s"}),
    )
    tgt = Target("acme", "web1", rules)
    source = MemorySource()
    source.add("mem", {"customer": "acme", "host": "web1"}, "used_percent", T0, 95)
    arrival = Engine().evaluate(source, T0 + 60 * S, [tgt], mode="arrival")
    schedule = Engine().evaluate(source, T0 + 60 * S, [tgt], mode="schedule")
    assert [e.rule for e in arrival.events] == ["hot"]
    assert [e.rule for e in schedule.events] == ["quiet"]


def test_composite_follows_its_parts_in_the_same_round() -> None:
    rules = (
        build_rule({"name": "cpu", "type": "threshold", "measurement": "cpu", "field": "util_percent",
                    "threshold": 90}),
        build_rule({"name": "load", "type": "threshold", "measurement": "system", "field": "load1",
                    "threshold": 8}),
        build_rule({"name": "cpu_and_load", "type": "composite", "rules": ["cpu", "load"]}),
    )
    tgt = Target("acme", "web1", tuple(reversed(rules)))
    source = MemorySource()
    source.add("cpu", {"customer": "acme", "host": "web1"}, "util_percent", T0, 99)
    source.add("system", {"customer": "acme", "host": "web1"}, "load1", T0, 12)
    events = Engine().evaluate(source, T0, [tgt]).events
    assert sorted(e.rule for e in events) == ["cpu", "cpu_and_load", "load"]


def test_disabled_and_not_applicable_rules_do_not_run() -> None:
    off = target(enabled=False)
    devices_only = target(device="web2", applies_to=["device"])
    source = MemorySource()
    for host in ("web1", "web2"):
        source.add("mem", {"customer": "acme", "host": host}, "used_percent", T0, 99)
    result = Engine().evaluate(source, T0, [off, devices_only])
    assert result.events == [] and result.evaluations == 0
