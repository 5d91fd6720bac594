"""What every rule shares: the common config, severities, queries and observations.

A rule type module (``checks/rules/<type>.py``) declares a ``Config`` model deriving from
:class:`RuleConfig` (or :class:`SeriesRuleConfig` when it reads one metric field), says which
:class:`Query` objects it needs, and turns their answers into :class:`Observation` rows, one
per instance. It holds no state: the engine owns the state machine (``checks/state.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from vigil.checks.durations import Seconds
from vigil.checks.source import RangeRow, Tags


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"


SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.MAJOR: 3,
    Severity.MINOR: 2,
    Severity.WARNING: 1,
    Severity.INFO: 0,
}


class FlappingConfig(BaseModel):
    """Nagios-style flap detection: weighted share of state changes over recent evaluations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    window: int = Field(default=21, ge=3, le=100, description="evaluations kept in the history")
    min_evaluations: int = Field(default=10, ge=2, description="no verdict before this many evaluations")
    start_percent: float = Field(default=50.0, gt=0, le=100)
    stop_percent: float = Field(default=25.0, ge=0, le=100)


class RuleConfig(BaseModel):
    """Fields every rule has. Durations accept ``5m`` or seconds; they are held in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Where a type evaluates by default: as data arrives, or on the scheduler's tick.
    default_evaluate_on: ClassVar[Literal["arrival", "schedule"]] = "arrival"

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    type: str
    description: str = ""
    severity: Severity = Severity.WARNING
    enabled: bool = True
    for_seconds: Seconds = Field(0.0, alias="for")
    keep_firing_for_seconds: Seconds = Field(0.0, alias="keep_firing_for")
    reopen_window_seconds: Seconds = Field(3600.0, alias="reopen_window")
    evaluate_on: Literal["arrival", "schedule"] | None = None
    marks_down: bool = Field(False, description="a firing alert means the device is down (dependencies)")
    applies_to: list[Literal["host", "device", "collector"]] = Field(
        [], description="identity tags of the targets this rule is for; empty means all"
    )
    ticket_kind: Literal["fault", "maintenance"] = "fault"
    flapping: FlappingConfig = Field(default_factory=FlappingConfig)
    labels: dict[str, str] = {}

    def queries(self) -> list[Query]:
        return []

    def applies(self, identity_tag: str) -> bool:
        return not self.applies_to or identity_tag in self.applies_to

    @property
    def evaluation_mode(self) -> Literal["arrival", "schedule"]:
        return self.evaluate_on or self.default_evaluate_on


class SeriesRuleConfig(RuleConfig):
    """A rule over one field of one measurement; each instance is one value of ``instance_tags``."""

    measurement: str = Field(min_length=1)
    field: str = Field(min_length=1)
    tags: dict[str, str] = Field({}, description="exact tag match, e.g. {role: uplink}")
    instance_tags: list[str] = []

    def instance_of(self, tags: Tags) -> str:
        if not self.instance_tags:
            return ""
        as_dict = dict(tags)
        return ",".join(f"{key}={as_dict.get(key, '')}" for key in self.instance_tags)


@dataclass(frozen=True, slots=True)
class Query:
    """One question to a :class:`~vigil.checks.source.SeriesSource`.

    ``kind="latest"`` asks for the newest sample within ``span_ns`` before now; ``"range"``
    for every sample of the last ``span_ns``. ``tags`` is the rule's own filter; the engine adds
    the identity (customer and device) of the devices it evaluates.
    """

    kind: Literal["latest", "range"]
    measurement: str
    field: str
    tags: Tags
    span_ns: int


QueryResults = dict[Query, list[RangeRow]]
"""Answers to a rule's queries, series by series (a ``latest`` answer has one sample)."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What a rule saw for one instance at one evaluation.

    ``breach``: the firing condition holds. ``clear``: the (hysteresis) clear condition holds;
    it may differ from ``not breach`` (for example above 90 fires, under 80 clears).
    ``tags`` are the tags of the series the instance came from (they name customer and device).
    """

    tags: Tags
    instance: str
    breach: bool
    clear: bool
    value: float | None
    summary: str
    severity: Severity | None = None


class EvalContext(Protocol):
    """What a rule may ask of the engine about the device being evaluated (composites only)."""

    def target_tags(self) -> Tags: ...

    def is_firing(self, rule_name: str) -> bool: ...


def rows_by_instance(config: SeriesRuleConfig, rows: list[RangeRow]) -> dict[str, list[RangeRow]]:
    """Series grouped by the rule's instance (several series may share one instance)."""
    grouped: dict[str, list[RangeRow]] = {}
    for row in rows:
        grouped.setdefault(config.instance_of(row[0]), []).append(row)
    return grouped
