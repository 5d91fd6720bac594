"""The alert state machine, one :class:`AlertState` per fingerprint.

    inactive ──breach──> pending ──breach held for `for`──> firing
        ^                   │                                 │ clear (hysteresis side)
        └──────no breach────┘                                 v
        ^                                                 resolving ──breach again──> firing ("repeated")
        └─────────────── clear held for `keep_firing_for` ────┘

A missing observation (no data) changes nothing: missing data never resolves an alert; it is
recorded as ``no_data_since_ns``, and silence itself is the absence rule's business. Whether an
incident (a ticket) is open is kept apart from the status, so the engine can hold an opening
back in a maintenance window or for a root cause and let it happen later (``checks/engine.py``).

Flapping follows Nagios: the last ``window`` condition results are kept, state changes are
weighted from 0.8 (oldest) to 1.2 (newest), and the weighted share of changes starts flapping
at ``start_percent`` and stops it under ``stop_percent``. A flapping alert is one incident.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from vigil.checks.durations import seconds_to_ns
from vigil.checks.model import Observation, RuleConfig


class Status(enum.StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVING = "resolving"


def fingerprint(customer: str, device: str, rule: str, instance: str) -> str:
    """Deterministic: the same customer, device, rule and instance always give the same id."""
    key = "\x1f".join((customer, device, rule, instance))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass
class AlertState:
    fingerprint: str
    rule: str
    customer: str
    device: str
    instance: str
    site: str = ""
    rule_type: str = ""
    ticket_kind: str = "fault"
    marks_down: bool = False
    reopen_window_ns: int = 3600 * 1_000_000_000
    status: Status = Status.INACTIVE
    severity: str = "warning"
    value: float | None = None
    summary: str = ""
    pending_since_ns: int | None = None
    firing_since_ns: int | None = None
    clearing_since_ns: int | None = None
    last_eval_ns: int | None = None
    last_data_ns: int | None = None
    no_data_since_ns: int | None = None
    incident: int = 0
    incident_open: bool = False
    resolved_at_ns: int | None = None
    repeat_count: int = 0
    history: list[bool] = field(default_factory=list)
    flapping: bool = False
    suppressed_by: str | None = None
    root_fingerprint: str | None = None
    root_cleared_ns: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertState:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown alert state keys: {sorted(unknown)}")
        values = dict(data)
        values["status"] = Status(values.get("status", "inactive"))
        values["history"] = [bool(v) for v in values.get("history", [])]
        return cls(**values)

    @property
    def wants_incident(self) -> bool:
        return self.flapping or self.status in (Status.FIRING, Status.RESOLVING)

    def is_idle(self, now_ns: int) -> bool:
        """Nothing worth keeping: no incident, no breach in the history, reopen window passed."""
        return (
            self.status is Status.INACTIVE
            and not self.incident_open
            and not self.flapping
            and not any(self.history)
            and (self.resolved_at_ns is None or now_ns - self.resolved_at_ns > self.reopen_window_ns)
        )


def percent_state_change(history: list[bool]) -> float:
    """Nagios' weighted percent state change: recent changes weigh more (0.8 to 1.2)."""
    transitions = len(history) - 1
    if transitions < 1:
        return 0.0
    total = 0.0
    for index in range(1, len(history)):
        if history[index] != history[index - 1]:
            total += 0.8 + 0.4 * (index - 1) / max(transitions - 1, 1)
    return 100.0 * total / transitions


def observe(state: AlertState, observation: Observation | None, rule: RuleConfig, now_ns: int) -> list[str]:
    """Advance ``state`` by one evaluation; returns the in-incident changes it saw.

    Changes are ``"repeated"``, ``"severity_changed"``, ``"flapping_started"`` and
    ``"flapping_stopped"``; opening and resolving incidents is the engine's reconcile step.
    """
    state.last_eval_ns = now_ns
    if observation is None:
        if state.no_data_since_ns is None:
            state.no_data_since_ns = now_ns
        # A pending breach cannot be confirmed without data; it lapses after `for` of silence.
        if state.status is Status.PENDING and state.pending_since_ns is not None:
            if now_ns - (state.last_data_ns or state.pending_since_ns) > seconds_to_ns(rule.for_seconds):
                state.status, state.pending_since_ns = Status.INACTIVE, None
        return []
    changes: list[str] = []
    state.last_data_ns, state.no_data_since_ns = now_ns, None
    state.value, state.summary = observation.value, observation.summary
    # Hysteresis: before firing the breach condition counts, after it only the clear condition ends it.
    holding = state.status in (Status.FIRING, Status.RESOLVING)
    condition = (not observation.clear) if holding else observation.breach
    severity = str(observation.severity or rule.severity)
    if severity != state.severity and condition:
        if state.status in (Status.FIRING, Status.RESOLVING):
            changes.append("severity_changed")
        state.severity = severity
    _step(state, condition, rule, now_ns, changes)
    _track_flapping(state, condition, rule, changes)
    return changes


def _step(state: AlertState, condition: bool, rule: RuleConfig, now_ns: int, changes: list[str]) -> None:
    if state.status is Status.INACTIVE and condition:
        state.status, state.pending_since_ns = Status.PENDING, now_ns
    if state.status is Status.PENDING:
        if not condition:
            state.status, state.pending_since_ns = Status.INACTIVE, None
        elif now_ns - (state.pending_since_ns or now_ns) >= seconds_to_ns(rule.for_seconds):
            state.status, state.firing_since_ns = Status.FIRING, now_ns
        return
    if state.status is Status.FIRING and not condition:
        state.status, state.clearing_since_ns = Status.RESOLVING, now_ns
    elif state.status is Status.RESOLVING and condition:
        state.status, state.clearing_since_ns = Status.FIRING, None
        changes.append("repeated")
        return
    if state.status is Status.RESOLVING:
        held_ns = now_ns - (state.clearing_since_ns or now_ns)
        if held_ns >= seconds_to_ns(rule.keep_firing_for_seconds):
            state.status = Status.INACTIVE
            state.pending_since_ns = state.firing_since_ns = state.clearing_since_ns = None


def _track_flapping(state: AlertState, condition: bool, rule: RuleConfig, changes: list[str]) -> None:
    config = rule.flapping
    state.history.append(condition)
    del state.history[: -config.window]
    if not config.enabled or len(state.history) < config.min_evaluations:
        return
    percent = percent_state_change(state.history)
    if not state.flapping and percent >= config.start_percent:
        state.flapping = True
        changes.append("flapping_started")
    elif state.flapping and percent < config.stop_percent:
        state.flapping = False
        changes.append("flapping_stopped")
