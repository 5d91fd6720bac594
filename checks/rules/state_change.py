"""state_change: a value entering a bad state (link down, on battery, service failed) or a reset.

Exactly one of:

- ``bad_values``: fires while the newest value is one of these (``[down, 2]``);
- ``good_values``: fires while the newest value is none of these (``[up, 1, true]``);
- ``on_decrease: true``: fires when the value went down within ``hold`` (uptime or a counter
  restarting: a reboot) and clears once ``hold`` has passed without another drop.

Values compare as state words: ``true``, ``2`` and ``2.0`` and ``"2"`` are equal, text is
compared without case.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds, format_duration, seconds_to_ns
from vigil.checks.model import EvalContext, Observation, Query, QueryResults, SeriesRuleConfig, rows_by_instance
from vigil.checks.source import Value, tags_of
from vigil.checks.values import as_number, as_state

StateValue = str | float | bool


class Config(SeriesRuleConfig):
    type: Literal["state_change"] = "state_change"
    bad_values: list[StateValue] | None = None
    good_values: list[StateValue] | None = None
    on_decrease: bool = False
    hold_seconds: Seconds = Field(900.0, alias="hold", gt=0)
    lookback_seconds: Seconds = Field(300.0, alias="lookback", gt=0)

    @model_validator(mode="after")
    def _check(self) -> Config:
        chosen = [self.bad_values is not None, self.good_values is not None, self.on_decrease]
        if sum(chosen) != 1:
            raise ValueError("set exactly one of bad_values, good_values, on_decrease")
        if (self.bad_values is not None and not self.bad_values) or (
            self.good_values is not None and not self.good_values
        ):
            raise ValueError("bad_values / good_values cannot be empty")
        return self

    def queries(self) -> list[Query]:
        if self.on_decrease:
            span_s = self.hold_seconds + self.lookback_seconds
            return [Query("range", self.measurement, self.field, tags_of(self.tags), seconds_to_ns(span_s))]
        return [Query("latest", self.measurement, self.field, tags_of(self.tags),
                      seconds_to_ns(self.lookback_seconds))]


def _last_drop_ns(samples: list[tuple[int, Value]]) -> int | None:
    last = None
    for (_t0, before), (t1, after) in zip(samples, samples[1:], strict=False):
        low, high = as_number(after), as_number(before)
        if low is not None and high is not None and low < high:
            last = t1
    return last


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    (query,) = config.queries()
    label = f"{config.measurement}.{config.field}"
    observations = []
    for instance, rows in rows_by_instance(config, results.get(query, [])).items():
        where = f"{label}" + (f" ({instance})" if instance else "")
        if config.on_decrease:
            drops = [d for _tags, samples in rows if (d := _last_drop_ns(samples)) is not None]
            drop_ns = max(drops) if drops else None
            breach = drop_ns is not None and now_ns - drop_ns <= seconds_to_ns(config.hold_seconds)
            age_s = None if drop_ns is None else (now_ns - drop_ns) / NS_PER_SECOND
            summary = (f"{where} went down (reset) {format_duration(age_s)} ago" if breach and age_s is not None
                       else f"{where}: no reset within {format_duration(config.hold_seconds)}")
            observations.append(Observation(rows[0][0], instance, breach, not breach, age_s, summary))
            continue
        tags, samples = max(rows, key=lambda row: row[1][-1][0])
        newest = samples[-1][1]
        state = as_state(newest)
        if config.bad_values is not None:
            breach = state in {as_state(v) for v in config.bad_values}
        else:
            breach = state not in {as_state(v) for v in config.good_values or []}
        summary = f"{where} is {state}"
        observations.append(Observation(tags, instance, breach, not breach, as_number(newest), summary))
    return observations
