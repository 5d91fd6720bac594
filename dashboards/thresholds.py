"""Panel thresholds taken from the default rules (``checks/defaults/*.yaml``), read as data.

The dashboards must colour a value the way the rule engine judges it, so the numbers come from
the rule files themselves, never copied by hand. The files are found next to the installed
``vigil.checks`` package through its import spec (``importlib.util.find_spec`` locates the folder
without running any of vigil.checks' code: the dashboards import only the metric schema).

A ``threshold`` rule on ``measurement.field`` becomes three steps: green below the rule's
clear threshold, orange from the clear threshold, red from the firing threshold (reversed for
``op: "<"`` rules such as a low UPS battery). An ``availability`` rule with
``rtt_seconds_threshold`` gives the ``ping.rtt_seconds`` steps. Several rules on one field
(per host and per device) keep the lowest firing threshold, the first one to page.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import Threshold, ThresholdsMode
from vigil.dashboards.errors import RulesFileError


@dataclass(frozen=True, slots=True)
class RuleThreshold:
    rule: str
    measurement: str
    field: str
    threshold: float
    clear_threshold: float | None
    below: bool  # True when the rule fires under the threshold (op "<" or "<=")


def defaults_dir() -> Path:
    spec = importlib.util.find_spec("vigil.checks")
    if spec is None or not spec.submodule_search_locations:
        raise RulesFileError("vigil.checks is not installed: the default rules cannot be read")
    return Path(next(iter(spec.submodule_search_locations))) / "defaults"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesFileError(f"{where}: expected a number, got {value!r}")
    return float(value)


def parse_rules(text: str, source: str) -> list[RuleThreshold]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesFileError(f"{source}: expected a mapping with a 'rules' list")
    found: list[RuleThreshold] = []
    for index, rule in enumerate(data["rules"]):
        if not isinstance(rule, dict):
            raise RulesFileError(f"{source}: rules[{index}] is not a mapping")
        name = str(rule.get("name", f"rules[{index}]"))
        where = f"{source}: {name}"
        if rule.get("enabled") is False:
            continue
        if rule.get("type") == "threshold":
            clear = rule.get("clear_threshold")
            found.append(RuleThreshold(
                name, str(rule.get("measurement")), str(rule.get("field")),
                _number(rule.get("threshold"), f"{where}.threshold"),
                None if clear is None else _number(clear, f"{where}.clear_threshold"),
                str(rule.get("op", ">")) in ("<", "<="),
            ))
        elif rule.get("type") == "availability" and rule.get("rtt_seconds_threshold") is not None:
            found.append(RuleThreshold(name, "ping", "rtt_seconds",
                                       _number(rule["rtt_seconds_threshold"], f"{where}.rtt_seconds_threshold"),
                                       None, False))
    return found


@cache
def default_thresholds() -> dict[tuple[str, str], RuleThreshold]:
    """(measurement, field) -> the rule threshold that pages first."""
    chosen: dict[tuple[str, str], RuleThreshold] = {}
    folder = defaults_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise RulesFileError(f"no default rule files in {folder}")
    for path in files:
        for rule in parse_rules(path.read_text(encoding="utf-8"), path.name):
            key = (rule.measurement, rule.field)
            known = chosen.get(key)
            if known is None or (rule.threshold > known.threshold if rule.below else rule.threshold < known.threshold):
                chosen[key] = rule
    return chosen


def steps_for(rule: RuleThreshold) -> list[Threshold]:
    if rule.below:
        steps = [Threshold(value=None, color="red"), Threshold(value=rule.threshold, color="orange")]
        if rule.clear_threshold is not None and rule.clear_threshold > rule.threshold:
            steps.append(Threshold(value=rule.clear_threshold, color="green"))
        else:
            steps[1].color = "green"
        return steps
    steps = [Threshold(value=None, color="green")]
    if rule.clear_threshold is not None and rule.clear_threshold < rule.threshold:
        steps.append(Threshold(value=rule.clear_threshold, color="orange"))
    steps.append(Threshold(value=rule.threshold, color="red"))
    return steps


def thresholds_for(measurement: str, field: str) -> ThresholdsConfig | None:
    """The panel thresholds for a field with a default rule, or None when no rule watches it."""
    rule = default_thresholds().get((measurement, field))
    if rule is None:
        return None
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps_for(rule))


def plain_thresholds() -> ThresholdsConfig:
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=None, color="green")])
