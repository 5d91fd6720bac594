"""Scenario files: series at fixed timestamps in, expected alert events and tickets out.

In the spirit of ``promtool test rules``. A scenario names its rules (inline, or picked from the
defaults with overrides), its devices (with parents for dependencies), maintenance windows, and
input series written in promtool's expanding notation::

    values: "10x4 95x3 _x2 10"   # 10 five times, 95 four times, two missing samples, 10

``a+bxn`` is a, a+b, ..., a+n*b (n+1 values); ``axn`` repeats a n+1 times; ``_`` is a missing
sample and ``_xn`` n missing samples; ``true``/``false`` and words are state values.
``{n}`` in a device name or tag value with ``count: N`` expands to 1..N.

This module parses and checks scenario text; :func:`run_pure` replays one on the pure engine
with a :class:`~vigil.checks.source.MemorySource` and controlled time. The server replays the
same files through its own driver and both metric backends.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds, seconds_to_ns
from vigil.checks.engine import AlertEvent, DeviceKey, Engine, EngineState, Target
from vigil.checks.errors import ScenarioError
from vigil.checks.ruleset import OverrideLayer, default_rule_dicts, effective_rules
from vigil.checks.source import MemorySource, Value
from vigil.checks.state import fingerprint
from vigil.checks.windows import MaintenanceWindow, WindowTarget, planned_downtime

_TOKEN = re.compile(r"^(?P<a>-?\d+(?:\.\d+)?(?:e-?\d+)?)(?:(?P<sign>[+-])(?P<b>\d+(?:\.\d+)?))?x(?P<n>\d+)$")


def expand_values(text: str) -> list[Value | None]:
    """promtool-style series notation to a list of values (None = missing sample)."""
    values: list[Value | None] = []
    for token in text.split():
        if token == "_":
            values.append(None)
            continue
        if token.startswith("_x") and token[2:].isdigit():
            values.extend([None] * int(token[2:]))
            continue
        match = _TOKEN.match(token)
        if match:
            start, count = float(match["a"]), int(match["n"])
            step = float(match["b"] or 0) * (-1 if match["sign"] == "-" else 1)
            values.extend(start + step * i for i in range(count + 1))
            continue
        values.append(_scalar(token))
    return values


def _scalar(token: str) -> Value:
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return float(token)
    except ValueError:
        return token


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioDevice(_Strict):
    customer: str
    device: str
    identity_tag: Literal["host", "device", "collector"] = "host"
    site: str = ""
    tags: list[str] = []
    parents: list[str] = []
    count: int | None = Field(None, ge=1, le=10000)


class ScenarioSeries(_Strict):
    measurement: str
    field: str
    tags: dict[str, str]
    interval_seconds: Seconds = Field(alias="interval", gt=0)
    offset_seconds: Seconds = Field(0.0, alias="offset")
    values: str
    count: int | None = Field(None, ge=1, le=10000)


class OverrideSpec(_Strict):
    level: Literal["global", "customer", "site", "device"]
    key: str = ""
    rules: dict[str, dict[str, Any]]


class ExpectedEvent(_Strict):
    at_seconds: Seconds = Field(alias="at")
    kind: str
    rule: str
    device: str
    instance: str = ""
    severity: str | None = None
    value: float | None = None
    value_tolerance: float = 0.05
    root: dict[str, str] | None = None  # {device, rule, instance?}
    window: str | None = None


class ExpectedDowntime(_Strict):
    customer: str
    device: str
    rule: str = ""
    seconds: float


class Expectations(_Strict):
    events: list[ExpectedEvent] | None = None
    counts: dict[str, int] = {}
    tickets: int | None = None
    planned_downtime: list[ExpectedDowntime] = []


class Scenario(_Strict):
    name: str
    description: str = ""
    start: dt.datetime = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    evaluation_interval_seconds: Seconds = Field(alias="evaluation_interval", gt=0)
    duration_seconds: Seconds = Field(alias="duration", gt=0)
    rules: list[dict[str, Any]] = []
    default_rules: list[str] = []
    overrides: list[OverrideSpec] = []
    devices: list[ScenarioDevice]
    windows: list[MaintenanceWindow] = []
    series: list[ScenarioSeries]
    restart_at_seconds: list[Seconds] = Field([], alias="restart_at")
    expect: Expectations

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.start.tzinfo is None:
            raise ValueError("start needs a time zone (e.g. 2026-03-02T00:00:00Z)")
        if not self.rules and not self.default_rules:
            raise ValueError("give rules or default_rules")
        return self

    @property
    def start_ns(self) -> int:
        return int(self.start.timestamp()) * NS_PER_SECOND

    def tick_times_ns(self) -> list[int]:
        step = seconds_to_ns(self.evaluation_interval_seconds)
        end = self.start_ns + seconds_to_ns(self.duration_seconds)
        return list(range(self.start_ns, end + 1, step))

    def expanded_devices(self) -> list[ScenarioDevice]:
        found = []
        for device in self.devices:
            for n in range(1, (device.count or 1) + 1) if device.count else [None]:
                found.append(device.model_copy(update={
                    "device": _fill(device.device, n), "parents": [_fill(p, n) for p in device.parents],
                    "count": None,
                }))
        return found

    def samples(self) -> list[tuple[str, dict[str, str], str, int, Value]]:
        """Every input sample: (measurement, tags, field, time_ns, value)."""
        found = []
        for series in self.series:
            values = expand_values(series.values)
            for n in range(1, (series.count or 1) + 1) if series.count else [None]:
                tags = {key: _fill(value, n) for key, value in series.tags.items()}
                base = self.start_ns + seconds_to_ns(series.offset_seconds)
                step = seconds_to_ns(series.interval_seconds)
                for index, value in enumerate(values):
                    if value is not None:
                        found.append((series.measurement, tags, series.field, base + index * step, value))
        return found

    def layers_for(self, device: ScenarioDevice) -> list[tuple[str, OverrideLayer]]:
        wanted = {
            "global": "", "customer": device.customer,
            "site": f"{device.customer}/{device.site}", "device": f"{device.customer}/{device.device}",
        }
        order = ["global", "customer", "site", "device"]
        layers = [o for o in self.overrides if o.key == wanted[o.level]]
        layers.sort(key=lambda o: order.index(o.level))
        return [(f"{o.level}:{o.key}", o.rules) for o in layers]

    def targets(self) -> list[Target]:
        if self.rules:
            base = self.rules
        else:
            by_name = {r["name"]: r for r in default_rule_dicts()}
            missing = [n for n in self.default_rules if n not in by_name]
            if missing:
                raise ScenarioError(f"{self.name}: unknown default rules {missing}")
            base = [by_name[n] for n in self.default_rules]
        return [
            Target(
                customer=d.customer, device=d.device, identity_tag=d.identity_tag, site=d.site,
                tags=frozenset(d.tags), rules=tuple(effective_rules(base, self.layers_for(d))),
            )
            for d in self.expanded_devices()
        ]

    def parents(self) -> dict[DeviceKey, list[DeviceKey]]:
        return {(d.customer, d.device): [(d.customer, p) for p in d.parents] for d in self.expanded_devices()}


def _fill(text: str, n: int | None) -> str:
    return text if n is None else text.replace("{n}", f"{n:02d}")


def load_scenario(text: str, where: str = "<scenario>") -> Scenario:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ScenarioError(f"{where}: {problems}") from None


@dataclass
class Outcome:
    """What a replay produced, in a form both the pure and the server runners fill."""

    events: list[AlertEvent] = field(default_factory=list)
    tickets_opened: int | None = None
    downtime_seconds: dict[tuple[str, str, str], float] = field(default_factory=dict)


def run_pure(scenario: Scenario) -> Outcome:
    """Replay on the pure engine: every sample is visible from its own timestamp on."""
    source = MemorySource()
    pending = sorted(scenario.samples(), key=lambda s: s[3])
    targets, parents = scenario.targets(), scenario.parents()
    engine = Engine()
    restarts = sorted(scenario.start_ns + seconds_to_ns(s) for s in scenario.restart_at_seconds)
    outcome = Outcome()
    cursor = 0
    for now_ns in scenario.tick_times_ns():
        while restarts and restarts[0] <= now_ns:
            restarts.pop(0)
            # A restart keeps nothing but the serialised state, through JSON as a database would.
            engine = Engine(EngineState.from_dict(json.loads(json.dumps(engine.state.to_dict()))))
        while cursor < len(pending) and pending[cursor][3] <= now_ns:
            measurement, tags, field_name, time_ns, value = pending[cursor]
            source.add(measurement, tags, field_name, time_ns, value)
            cursor += 1
        result = engine.evaluate(source, now_ns, targets, windows=scenario.windows, parents=parents)
        outcome.events.extend(result.events)
    outcome.downtime_seconds = downtime_of(scenario)
    return outcome


def downtime_of(scenario: Scenario) -> dict[tuple[str, str, str], float]:
    end_ns = scenario.start_ns + seconds_to_ns(scenario.duration_seconds)
    found = {}
    for want in scenario.expect.planned_downtime:
        target = WindowTarget(want.customer, "", want.device, want.rule, frozenset())
        for device in scenario.expanded_devices():
            if (device.customer, device.device) == (want.customer, want.device):
                target = WindowTarget(device.customer, device.site, device.device, want.rule, frozenset(device.tags))
        spans = planned_downtime(scenario.windows, target, scenario.start_ns, end_ns)
        found[(want.customer, want.device, want.rule)] = sum(e - b for b, e in spans) / NS_PER_SECOND
    return found


def check_outcome(scenario: Scenario, outcome: Outcome) -> list[str]:
    """Differences between what the scenario expects and what happened (empty = pass)."""
    problems: list[str] = []
    expect = scenario.expect
    actual = sorted(outcome.events, key=lambda e: (e.at_ns, e.kind, e.rule, e.device, e.instance))
    described = [_describe(scenario, e) for e in actual]
    if expect.events is not None:
        wanted = sorted(
            expect.events, key=lambda e: (seconds_to_ns(e.at_seconds), e.kind, e.rule, e.device, e.instance)
        )
        if len(wanted) != len(actual):
            problems.append(f"expected {len(wanted)} events, got {len(actual)}: {described}")
        for want, got in zip(wanted, actual, strict=False):
            problem = _compare(scenario, want, got)
            if problem:
                problems.append(problem + f" (all events: {described})")
                break
    counts: dict[str, int] = {}
    for event in actual:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    for kind, number in expect.counts.items():
        if counts.get(kind, 0) != number:
            problems.append(f"expected {number} {kind!r} events, got {counts.get(kind, 0)}: {described}")
    if expect.tickets is not None:
        opened = outcome.tickets_opened if outcome.tickets_opened is not None else counts.get("opened", 0)
        if opened != expect.tickets:
            problems.append(f"expected {expect.tickets} tickets, got {opened}: {described}")
    for downtime in expect.planned_downtime:
        got_s = outcome.downtime_seconds.get((downtime.customer, downtime.device, downtime.rule))
        if got_s is None or abs(got_s - downtime.seconds) > 1:
            problems.append(f"planned downtime of {downtime.device}: expected {downtime.seconds}s, got {got_s}")
    return problems


def _describe(scenario: Scenario, event: AlertEvent) -> str:
    at_s = (event.at_ns - scenario.start_ns) / NS_PER_SECOND
    return f"{at_s:g}s {event.kind} {event.rule} {event.device}{'/' + event.instance if event.instance else ''}"


def _compare(scenario: Scenario, want: ExpectedEvent, got: AlertEvent) -> str | None:
    where = f"event {_describe(scenario, got)}"
    at_ns = scenario.start_ns + seconds_to_ns(want.at_seconds)
    pairs: list[tuple[str, object, object]] = [
        ("at", at_ns, got.at_ns), ("kind", want.kind, got.kind), ("rule", want.rule, got.rule),
        ("device", want.device, got.device), ("instance", want.instance, got.instance),
    ]
    if want.severity is not None:
        pairs.append(("severity", want.severity, got.severity))
    if want.window is not None:
        pairs.append(("window", want.window, got.window_id))
    if want.root is not None:
        root_fp = fingerprint(got.customer, want.root["device"], want.root["rule"], want.root.get("instance", ""))
        pairs.append(("root", root_fp, got.root_fingerprint))
    for name, expected, actual in pairs:
        if expected != actual:
            return f"{where}: {name} expected {expected!r}, got {actual!r}"
    if want.value is not None and (got.value is None or abs(got.value - want.value) > want.value_tolerance):
        return f"{where}: value expected {want.value}, got {got.value}"
    return None
