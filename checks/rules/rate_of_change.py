"""rate_of_change: how fast a value moves over a window (errors per second, growth per hour).

The rate is (last - first) / elapsed * ``per``. With ``counter: true`` the value is a
monotonic counter: a drop is a reset (device reboot, counter wrap) and the increments after it
count from zero, as Prometheus' ``rate()`` does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds, seconds_to_ns
from vigil.checks.model import EvalContext, Observation, Query, QueryResults, SeriesRuleConfig, rows_by_instance
from vigil.checks.source import tags_of
from vigil.checks.values import COMPARE, Comparison, as_number, clear_holds, worst


class Config(SeriesRuleConfig):
    type: Literal["rate_of_change"] = "rate_of_change"
    op: Comparison = ">"
    threshold: float
    clear_threshold: float | None = None
    window_seconds: Seconds = Field(300.0, alias="window", gt=0)
    per_seconds: Seconds = Field(1.0, alias="per", gt=0)
    counter: bool = False

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.clear_threshold is not None and COMPARE[self.op](self.clear_threshold, self.threshold):
            raise ValueError(f"clear_threshold {self.clear_threshold} is on the firing side of {self.threshold}")
        return self

    def queries(self) -> list[Query]:
        return [Query("range", self.measurement, self.field, tags_of(self.tags), seconds_to_ns(self.window_seconds))]


def rate_per_second(samples: list[tuple[int, float]], counter: bool) -> float | None:
    """Change per second between the first and last sample; None with fewer than two samples."""
    if len(samples) < 2:
        return None
    elapsed_s = (samples[-1][0] - samples[0][0]) / NS_PER_SECOND
    if elapsed_s <= 0:
        return None
    if not counter:
        return (samples[-1][1] - samples[0][1]) / elapsed_s
    increase = 0.0
    for (_t0, before), (_t1, after) in zip(samples, samples[1:], strict=False):
        increase += after - before if after >= before else after
    return increase / elapsed_s


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    (query,) = config.queries()
    observations = []
    for instance, rows in rows_by_instance(config, results.get(query, [])).items():
        rates = []
        for _tags, samples in rows:
            numeric = [(t, n) for t, v in samples if (n := as_number(v)) is not None]
            rate = rate_per_second(numeric, config.counter)
            if rate is not None:
                rates.append(rate * config.per_seconds)
        if not rates:
            continue
        value = worst(config.op, rates)
        breach = COMPARE[config.op](value, config.threshold)
        clear = not breach if config.clear_threshold is None else clear_holds(config.op, value, config.clear_threshold)
        label = f"{config.measurement}.{config.field}" + (f" ({instance})" if instance else "")
        summary = f"{label} changes {value:.4g} per {config.per_seconds:g}s (fires {config.op} {config.threshold:g})"
        observations.append(Observation(rows[0][0], instance, breach, clear, value, summary))
    return observations
