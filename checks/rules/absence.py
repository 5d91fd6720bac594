"""absence: a series that stopped arriving (agent, collector or device silent for N intervals).

A series counts when it has a sample within ``forget_after``; it breaches once its newest
sample is older than ``interval * missed_intervals``. A series never seen raises nothing here
(the inventory knows what should exist; this rule knows what went quiet).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds, format_duration, seconds_to_ns
from vigil.checks.model import EvalContext, Observation, Query, QueryResults, SeriesRuleConfig, rows_by_instance
from vigil.checks.source import tags_of


class Config(SeriesRuleConfig):
    default_evaluate_on: ClassVar[Literal["arrival", "schedule"]] = "schedule"

    type: Literal["absence"] = "absence"
    interval_seconds: Seconds = Field(alias="interval", gt=0)
    missed_intervals: int = Field(3, ge=1)
    forget_after_seconds: Seconds = Field(86400.0, alias="forget_after", gt=0)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.forget_after_seconds <= self.interval_seconds * self.missed_intervals:
            raise ValueError("forget_after must be longer than interval * missed_intervals")
        return self

    def queries(self) -> list[Query]:
        return [Query("latest", self.measurement, self.field, tags_of(self.tags),
                      seconds_to_ns(self.forget_after_seconds))]


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    (query,) = config.queries()
    limit_s = config.interval_seconds * config.missed_intervals
    observations = []
    for instance, rows in rows_by_instance(config, results.get(query, [])).items():
        newest_ns = max(samples[-1][0] for _tags, samples in rows)
        silent_s = max(0.0, (now_ns - newest_ns) / NS_PER_SECOND)
        breach = silent_s > limit_s
        what = config.measurement + (f" ({instance})" if instance else "")
        summary = f"no {what} data for {format_duration(silent_s)} (limit {format_duration(limit_s)})"
        observations.append(Observation(rows[0][0], instance, breach, not breach, silent_s, summary))
    return observations
