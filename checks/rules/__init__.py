"""The registry of rule types: one module per type, keyed by module name (= ``type:`` in YAML).

Each module holds a ``Config`` model (a :class:`~vigil.checks.model.RuleConfig` subclass with
``type: Literal["<module name>"]``) and a pure ``evaluate(config, results, now_ns, context)``
returning :class:`~vigil.checks.model.Observation` rows. Adding a rule type is adding a file here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from vigil.checks.errors import RuleConfigError
from vigil.checks.model import EvalContext, Observation, QueryResults, RuleConfig

Evaluate = Callable[[RuleConfig, QueryResults, int, EvalContext], list[Observation]]


@dataclass(frozen=True)
class RuleType:
    name: str
    config: type[RuleConfig]
    evaluate: Evaluate
    doc: str


def _load(module: ModuleType, name: str) -> RuleType:
    config = getattr(module, "Config", None)
    evaluate = getattr(module, "evaluate", None)
    if not (isinstance(config, type) and issubclass(config, RuleConfig)) or not callable(evaluate):
        raise RuleConfigError(f"rule type module {name!r} lacks a Config model or an evaluate function")
    return RuleType(name=name, config=config, evaluate=evaluate, doc=(module.__doc__ or "").strip())


def _discover() -> dict[str, RuleType]:
    found: dict[str, RuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[info.name] = _load(module, info.name)
    return found


RULE_TYPES: dict[str, RuleType] = _discover()


def rule_type(name: str) -> RuleType:
    try:
        return RULE_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(RULE_TYPES))
        raise RuleConfigError(f"unknown rule type {name!r} (known: {known})") from None
