"""availability: reachability from ping results: packet loss and round-trip time over a window.

``field`` is the loss field (percent); the rule breaches when the mean loss over ``window``
reaches ``loss_percent_threshold`` (100 = unreachable) or, if set, the mean round trip of
``rtt_field`` reaches ``rtt_seconds_threshold``. A device is unreachable only when every
probe in the window failed, so one lost ping does not page anyone.
"""

from __future__ import annotations

from statistics import fmean
from typing import Literal

from pydantic import Field, model_validator
from vigil.checks.durations import Seconds, seconds_to_ns
from vigil.checks.model import EvalContext, Observation, Query, QueryResults, SeriesRuleConfig, rows_by_instance
from vigil.checks.source import RangeRow, tags_of
from vigil.checks.values import as_number


class Config(SeriesRuleConfig):
    type: Literal["availability"] = "availability"
    measurement: str = "ping"
    field: str = "loss_percent"
    rtt_field: str = "rtt_seconds"
    window_seconds: Seconds = Field(180.0, alias="window", gt=0)
    loss_percent_threshold: float | None = Field(100.0, gt=0, le=100)
    rtt_seconds_threshold: float | None = Field(None, gt=0)
    min_samples: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.loss_percent_threshold is None and self.rtt_seconds_threshold is None:
            raise ValueError("set loss_percent_threshold, rtt_seconds_threshold or both")
        return self

    def queries(self) -> list[Query]:
        span_ns = seconds_to_ns(self.window_seconds)
        found = [Query("range", self.measurement, self.field, tags_of(self.tags), span_ns)]
        if self.rtt_seconds_threshold is not None:
            found.append(Query("range", self.measurement, self.rtt_field, tags_of(self.tags), span_ns))
        return found


def _mean(rows: list[RangeRow]) -> tuple[float | None, int]:
    numbers = [n for _tags, samples in rows for _t, v in samples if (n := as_number(v)) is not None]
    return (fmean(numbers) if numbers else None), len(numbers)


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    queries = config.queries()
    loss_rows = rows_by_instance(config, results.get(queries[0], []))
    rtt_rows = rows_by_instance(config, results.get(queries[1], [])) if len(queries) > 1 else {}
    observations = []
    for instance in sorted(set(loss_rows) | set(rtt_rows)):
        loss, loss_count = _mean(loss_rows.get(instance, []))
        rtt, rtt_count = _mean(rtt_rows.get(instance, []))
        if max(loss_count, rtt_count) < config.min_samples:
            continue
        reasons = []
        if loss is not None and config.loss_percent_threshold is not None and loss >= config.loss_percent_threshold:
            reasons.append(f"loss {loss:.3g}%")
        if rtt is not None and config.rtt_seconds_threshold is not None and rtt >= config.rtt_seconds_threshold:
            reasons.append(f"rtt {rtt * 1000:.4g} ms")
        breach = bool(reasons)
        tags = (loss_rows.get(instance) or rtt_rows[instance])[0][0]
        if breach:
            summary = ("unreachable" if loss is not None and loss >= 100 else "degraded") + ": " + ", ".join(reasons)
        else:
            summary = f"reachable: loss {loss if loss is not None else float('nan'):.3g}%"
        observations.append(Observation(tags, instance, breach, not breach, loss, summary))
    return observations
