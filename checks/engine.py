"""The engine: evaluates rules for devices, drives the state machine, emits alert events.

One call to :meth:`Engine.evaluate` is one round at a given time ``now_ns`` (controlled by the
caller, so tests replay time): each target device's rules ask their queries of the handed-in
:class:`~vigil.checks.source.SeriesSource`, observations advance the per-fingerprint
:class:`~vigil.checks.state.AlertState`, then a reconcile step decides what becomes an event:

- ``opened`` / ``reopened`` (within the rule's reopen window, same incident) / ``resolved``;
- ``repeated``, ``severity_changed``, ``flapping_started``, ``flapping_stopped`` on an open incident;
- ``suppressed``: it would open, but a maintenance window covers it (logged once per window);
- ``symptom``: it is cut off behind a down parent; linked to the root cause's alert instead.

The whole state is a plain dict (:meth:`EngineState.to_dict`), so the server can persist it
and a restart or another replica carries on the same incidents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from vigil.checks.dependencies import resolve
from vigil.checks.durations import seconds_to_ns
from vigil.checks.errors import SourceError
from vigil.checks.model import Observation, Query, QueryResults, RuleConfig
from vigil.checks.rules import rule_type
from vigil.checks.source import RangeRow, SeriesSource, Tags, tags_of
from vigil.checks.state import AlertState, Status, fingerprint, observe
from vigil.checks.windows import MaintenanceWindow, WindowTarget, active_windows

DeviceKey = tuple[str, str]  # (customer, device)
EventKind = Literal[
    "opened", "reopened", "repeated", "severity_changed", "flapping_started", "flapping_stopped",
    "resolved", "suppressed", "symptom",
]


@dataclass(frozen=True)
class Target:
    """A device to evaluate, with its effective rules (``checks/ruleset.py`` builds them).

    ``identity_tag`` is the tag naming it in its series: ``host`` for agents, ``device`` for
    devices a collector polls, ``collector`` for a collector's own metrics.
    """

    customer: str
    device: str
    rules: tuple[RuleConfig, ...]
    identity_tag: str = "host"
    site: str = ""
    tags: frozenset[str] = frozenset()

    @property
    def key(self) -> DeviceKey:
        return (self.customer, self.device)


@dataclass(frozen=True)
class AlertEvent:
    kind: EventKind
    at_ns: int
    fingerprint: str
    rule: str
    rule_type: str
    customer: str
    site: str
    device: str
    instance: str
    severity: str
    ticket_kind: str
    status: str
    value: float | None
    summary: str
    incident: int
    repeat_count: int
    flapping: bool
    root_fingerprint: str | None = None
    window_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RoundError:
    customer: str
    device: str
    rule: str
    reason: str


@dataclass
class Round:
    events: list[AlertEvent] = field(default_factory=list)
    errors: list[RoundError] = field(default_factory=list)
    evaluations: int = 0


class EngineState:
    """Every alert's state by fingerprint; serialisable to and from a plain dict."""

    VERSION = 1

    def __init__(self, alerts: Iterable[AlertState] = ()) -> None:
        self.alerts: dict[str, AlertState] = {}
        self._by_rule: dict[tuple[str, str, str], set[str]] = {}
        for alert in alerts:
            self.add(alert)

    def add(self, alert: AlertState) -> None:
        self.alerts[alert.fingerprint] = alert
        self._by_rule.setdefault((alert.customer, alert.device, alert.rule), set()).add(alert.fingerprint)

    def remove(self, fp: str) -> None:
        alert = self.alerts.pop(fp)
        key = (alert.customer, alert.device, alert.rule)
        self._by_rule[key].discard(fp)
        if not self._by_rule[key]:
            del self._by_rule[key]

    def for_rule(self, customer: str, device: str, rule: str) -> list[AlertState]:
        return [self.alerts[fp] for fp in sorted(self._by_rule.get((customer, device, rule), ()))]

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.VERSION, "alerts": [a.to_dict() for a in self.alerts.values()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineState:
        if data.get("version") != cls.VERSION:
            raise ValueError(f"unsupported engine state version {data.get('version')!r}")
        return cls(AlertState.from_dict(dict(a)) for a in data.get("alerts", []))


class _Context:
    def __init__(self, state: EngineState, target: Target) -> None:
        self._state, self._target = state, target

    def target_tags(self) -> Tags:
        return tags_of({"customer": self._target.customer, self._target.identity_tag: self._target.device})

    def is_firing(self, rule_name: str) -> bool:
        alerts = self._state.for_rule(self._target.customer, self._target.device, rule_name)
        return any(a.status in (Status.FIRING, Status.RESOLVING) for a in alerts)


class _Fetcher:
    """Answers queries for one round, once each: per device, or in bulk split by device."""

    def __init__(self, source: SeriesSource, now_ns: int, bulk: bool) -> None:
        self._source, self._now_ns, self._bulk = source, now_ns, bulk
        self._cache: dict[tuple[Query, str, str, str], list[RangeRow]] = {}
        self._bulk_index: dict[tuple[Query, str], dict[tuple[str, str], list[RangeRow]]] = {}

    def _ask(self, query: Query, tags_filter: Mapping[str, str]) -> list[RangeRow]:
        if query.kind == "latest":
            rows = self._source.latest(query.measurement, query.field, tags_filter, self._now_ns, query.span_ns)
            return [(tags, [(t, v)]) for tags, t, v in rows]
        # A window of 5m is (now-5m, now], as in Prometheus: the sample 5m ago is out.
        return self._source.range(
            query.measurement, query.field, tags_filter, self._now_ns - query.span_ns + 1, self._now_ns
        )

    def rows(self, query: Query, target: Target) -> list[RangeRow]:
        if self._bulk:
            index_key = (query, target.identity_tag)
            if index_key not in self._bulk_index:
                index: dict[tuple[str, str], list[RangeRow]] = {}
                for row in self._ask(query, dict(query.tags)):
                    tags = dict(row[0])
                    index.setdefault((tags.get("customer", ""), tags.get(target.identity_tag, "")), []).append(row)
                self._bulk_index[index_key] = index
            return self._bulk_index[index_key].get(target.key, [])
        key = (query, target.customer, target.identity_tag, target.device)
        if key not in self._cache:
            tags_filter = {**dict(query.tags), "customer": target.customer, target.identity_tag: target.device}
            self._cache[key] = self._ask(query, tags_filter)
        return self._cache[key]


class Engine:
    """Holds the alert state; evaluates rounds. Not thread-safe: one engine per evaluating worker."""

    def __init__(self, state: EngineState | None = None, *, symptom_grace_seconds: float = 600.0) -> None:
        self.state = state or EngineState()
        self.symptom_grace_ns = seconds_to_ns(symptom_grace_seconds)

    def evaluate(
        self,
        source: SeriesSource,
        now_ns: int,
        targets: Sequence[Target],
        *,
        mode: Literal["arrival", "schedule"] | None = None,
        windows: Sequence[MaintenanceWindow] = (),
        parents: Mapping[DeviceKey, Sequence[DeviceKey]] | None = None,
        bulk: bool = False,
    ) -> Round:
        """Evaluate the targets' rules (only those of ``mode`` if given) at ``now_ns``."""
        result = Round()
        fetcher = _Fetcher(source, now_ns, bulk)
        touched: dict[str, list[str]] = {}
        for target in targets:
            rules = [
                r for r in target.rules
                if r.enabled and r.applies(target.identity_tag) and (mode is None or r.evaluation_mode == mode)
            ]
            # Composites read the states the other rules just set.
            for rule in sorted(rules, key=lambda r: r.type == "composite"):
                try:
                    results: QueryResults = {q: fetcher.rows(q, target) for q in rule.queries()}
                except SourceError as exc:
                    result.errors.append(RoundError(target.customer, target.device, rule.name, str(exc)))
                    continue
                observations = rule_type(rule.type).evaluate(rule, results, now_ns, _Context(self.state, target))
                result.evaluations += 1
                self._apply(target, rule, observations, now_ns, touched)
        result.events = self._reconcile(touched, now_ns, targets, windows, parents or {})
        return result

    def reconcile(
        self,
        now_ns: int,
        targets: Sequence[Target],
        *,
        windows: Sequence[MaintenanceWindow] = (),
        parents: Mapping[DeviceKey, Sequence[DeviceKey]] | None = None,
    ) -> list[AlertEvent]:
        """Re-decide every held alert without new data (a window ended, a root cause cleared)."""
        touched: dict[str, list[str]] = {fp: [] for fp in self.state.alerts}
        return self._reconcile(touched, now_ns, targets, windows, parents or {})

    def _apply(
        self, target: Target, rule: RuleConfig, observations: list[Observation], now_ns: int,
        touched: dict[str, list[str]],
    ) -> None:
        seen: set[str] = set()
        for obs in observations:
            fp = fingerprint(target.customer, target.device, rule.name, obs.instance)
            seen.add(fp)
            alert = self.state.alerts.get(fp)
            if alert is None:
                if not obs.breach:
                    continue  # healthy and never alerted: nothing to remember
                alert = AlertState(
                    fingerprint=fp, rule=rule.name, customer=target.customer, device=target.device,
                    instance=obs.instance, site=target.site, rule_type=rule.type, ticket_kind=rule.ticket_kind,
                    marks_down=rule.marks_down, severity=str(rule.severity),
                )
                self.state.add(alert)
            alert.site, alert.marks_down, alert.ticket_kind = target.site, rule.marks_down, rule.ticket_kind
            alert.reopen_window_ns = seconds_to_ns(rule.reopen_window_seconds)
            touched.setdefault(fp, []).extend(observe(alert, obs, rule, now_ns))
        for alert in self.state.for_rule(target.customer, target.device, rule.name):
            if alert.fingerprint not in seen:
                touched.setdefault(alert.fingerprint, []).extend(observe(alert, None, rule, now_ns))

    def _down_devices(self) -> dict[DeviceKey, str]:
        down: dict[DeviceKey, str] = {}
        for fp in sorted(self.state.alerts):
            alert = self.state.alerts[fp]
            if alert.marks_down and alert.status in (Status.FIRING, Status.RESOLVING):
                down.setdefault((alert.customer, alert.device), fp)
        return down

    def _reconcile(
        self, touched: dict[str, list[str]], now_ns: int, targets: Sequence[Target],
        windows: Sequence[MaintenanceWindow], parents: Mapping[DeviceKey, Sequence[DeviceKey]],
    ) -> list[AlertEvent]:
        by_key = {t.key: t for t in targets}
        down = self._down_devices()
        alerting = {(a.customer, a.device) for fp in touched if (a := self.state.alerts[fp]).wants_incident}
        resolution = resolve(parents, down, alerting) if parents else None
        events: list[AlertEvent] = []
        for fp in sorted(touched):
            alert = self.state.alerts[fp]
            target = by_key.get((alert.customer, alert.device))
            tags = target.tags if target else frozenset()
            window_target = WindowTarget(alert.customer, alert.site, alert.device, alert.rule, tags)
            in_windows = active_windows(windows, window_target, now_ns) if windows else []
            root_device = resolution.symptoms.get((alert.customer, alert.device)) if resolution else None
            root_fp = down.get(root_device) if root_device is not None else None
            events.extend(self._decide(alert, touched[fp], now_ns, in_windows, root_fp))
            if alert.is_idle(now_ns):
                self.state.remove(fp)
        return events

    def _decide(
        self, alert: AlertState, changes: list[str], now_ns: int, in_windows: list[MaintenanceWindow],
        root_fp: str | None,
    ) -> list[AlertEvent]:
        events: list[AlertEvent] = []

        def emit(kind: EventKind, window_id: str | None = None) -> None:
            events.append(_event(kind, alert, now_ns, window_id))

        # Symptom links: a cut-off device's alert joins its root cause; it stays a symptom for a
        # grace period after the root clears, since children recover a little after their parent.
        if root_fp is not None and root_fp != alert.fingerprint:
            alert.root_cleared_ns = None
            if alert.root_fingerprint != root_fp and alert.wants_incident:
                alert.root_fingerprint = root_fp
                emit("symptom")
        elif alert.root_fingerprint is not None:
            if alert.root_cleared_ns is None:
                alert.root_cleared_ns = now_ns
            if not alert.wants_incident or now_ns - alert.root_cleared_ns >= self.symptom_grace_ns:
                alert.root_fingerprint = alert.root_cleared_ns = None
        held_as_symptom = alert.root_fingerprint is not None

        was_open = alert.incident_open
        if was_open:
            self._emit_changes(alert, changes, emit)
        if alert.wants_incident and not alert.incident_open:
            if in_windows:
                key = "window:" + in_windows[0].id
                if alert.suppressed_by != key:
                    alert.suppressed_by = key
                    emit("suppressed", in_windows[0].id)
            elif not held_as_symptom:
                reopen = (
                    alert.incident > 0
                    and alert.resolved_at_ns is not None
                    and now_ns - alert.resolved_at_ns <= alert.reopen_window_ns
                )
                if reopen:
                    alert.repeat_count += 1
                else:
                    alert.incident += 1
                    alert.repeat_count = 0
                alert.incident_open, alert.suppressed_by = True, None
                emit("reopened" if reopen else "opened")
                self._emit_changes(alert, changes, emit)
        elif not alert.wants_incident and alert.incident_open:
            alert.incident_open, alert.resolved_at_ns = False, now_ns
            emit("resolved")
        elif not alert.wants_incident:
            alert.suppressed_by = None
        return events

    @staticmethod
    def _emit_changes(alert: AlertState, changes: list[str], emit: Callable[..., None]) -> None:
        for change in changes:
            if change == "repeated":
                alert.repeat_count += 1
                if alert.flapping:
                    continue  # a flapping alert is one incident; its churn is not news
            emit(change)


def _event(kind: EventKind, alert: AlertState, now_ns: int, window_id: str | None) -> AlertEvent:
    return AlertEvent(
        kind=kind, at_ns=now_ns, fingerprint=alert.fingerprint, rule=alert.rule, rule_type=alert.rule_type,
        customer=alert.customer, site=alert.site, device=alert.device, instance=alert.instance,
        severity=alert.severity, ticket_kind=alert.ticket_kind, status=alert.status.value, value=alert.value,
        summary=alert.summary, incident=alert.incident, repeat_count=alert.repeat_count,
        flapping=alert.flapping, root_fingerprint=alert.root_fingerprint, window_id=window_id,
    )
