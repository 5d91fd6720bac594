"""composite: fires when all (or any) of other rules fire on the same device.

For example ``high CPU and high load together``. Composites read the alert states the engine
holds for the device being evaluated, so they evaluate after every other rule of the round, and
may only name rules that are not composites themselves.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from vigil.checks.model import EvalContext, Observation, QueryResults, RuleConfig


class Config(RuleConfig):
    type: Literal["composite"] = "composite"
    op: Literal["all", "any"] = "all"
    rules: list[str] = Field(min_length=1)


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    firing = [name for name in config.rules if context.is_firing(name)]
    breach = len(firing) == len(config.rules) if config.op == "all" else bool(firing)
    summary = (f"{config.op} of {', '.join(config.rules)}: firing " + (", ".join(firing) or "none"))
    return [Observation(context.target_tags(), "", breach, not breach, float(len(firing)), summary)]
