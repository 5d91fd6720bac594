"""threshold: a value above (or below) a limit, with ``for`` and a separate clear threshold.

``reduce: last`` reads the newest sample (no data once it is older than ``lookback``);
``avg``/``max``/``min`` reduce the samples of the last ``window``. ``clear_threshold`` gives
hysteresis: with ``op: ">"``, ``threshold: 90`` and ``clear_threshold: 80`` a firing alert
clears only under 80.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import fmean
from typing import Literal

from pydantic import Field, model_validator
from vigil.checks.durations import Seconds, seconds_to_ns
from vigil.checks.model import EvalContext, Observation, Query, QueryResults, SeriesRuleConfig, rows_by_instance
from vigil.checks.source import tags_of
from vigil.checks.values import COMPARE, Comparison, as_number, clear_holds, worst

_REDUCERS: dict[str, Callable[[list[float]], float]] = {"avg": fmean, "max": max, "min": min}


class Config(SeriesRuleConfig):
    type: Literal["threshold"] = "threshold"
    op: Comparison = ">"
    threshold: float
    clear_threshold: float | None = None
    reduce: Literal["last", "avg", "max", "min"] = "last"
    window_seconds: Seconds = Field(0.0, alias="window")
    lookback_seconds: Seconds = Field(300.0, alias="lookback", gt=0)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.reduce != "last" and self.window_seconds <= 0:
            raise ValueError(f"reduce: {self.reduce} needs a window (e.g. window: 5m)")
        if self.clear_threshold is not None:
            above = self.op in (">", ">=")
            if (above and self.clear_threshold > self.threshold) or (
                not above and self.clear_threshold < self.threshold
            ):
                raise ValueError(
                    f"clear_threshold {self.clear_threshold} is on the firing side of threshold "
                    f"{self.threshold} for op {self.op!r}"
                )
        return self

    def queries(self) -> list[Query]:
        if self.reduce == "last":
            return [Query("latest", self.measurement, self.field, tags_of(self.tags),
                          seconds_to_ns(self.lookback_seconds))]
        return [Query("range", self.measurement, self.field, tags_of(self.tags),
                      seconds_to_ns(self.window_seconds))]


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    (query,) = config.queries()
    observations = []
    for instance, rows in rows_by_instance(config, results.get(query, [])).items():
        reduced: list[float] = []
        for _tags, samples in rows:
            numbers = [n for n in (as_number(v) for _t, v in samples) if n is not None]
            if numbers:
                reduced.append(numbers[-1] if config.reduce == "last" else _REDUCERS[config.reduce](numbers))
        if not reduced:
            continue  # no usable data: the engine treats the instance as absent, never as cleared
        value = worst(config.op, reduced)
        breach = COMPARE[config.op](value, config.threshold)
        clear = (
            not breach if config.clear_threshold is None else clear_holds(config.op, value, config.clear_threshold)
        )
        label = f"{config.measurement}.{config.field}" + (f" ({instance})" if instance else "")
        summary = f"{label} {config.reduce} = {value:.4g} (fires {config.op} {config.threshold:g})"
        observations.append(Observation(rows[0][0], instance, breach, clear, value, summary))
    return observations
