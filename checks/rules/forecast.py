"""forecast: days until a file system or volume is full, from a robust trend over 7-30 days.

The trend is Theil-Sen (``checks/trend.py``) over the last ``window`` of ``field`` (a used
share, full at ``capacity``, 100 for percent). The rule breaches when the projected time to
full is under ``warn_days`` (a planned-maintenance ticket at the rule's severity) and raises
the severity to ``critical_severity`` under ``critical_days``. It needs ``min_history`` of data
before it says anything, and a flat or shrinking trend never breaches.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from vigil.checks.durations import NS_PER_SECOND, Seconds, seconds_to_ns
from vigil.checks.model import (
    EvalContext,
    Observation,
    Query,
    QueryResults,
    SeriesRuleConfig,
    Severity,
    rows_by_instance,
)
from vigil.checks.source import tags_of
from vigil.checks.trend import downsample, theil_sen
from vigil.checks.values import as_number

SECONDS_PER_DAY = 86400.0


class Config(SeriesRuleConfig):
    default_evaluate_on: ClassVar[Literal["arrival", "schedule"]] = "schedule"

    type: Literal["forecast"] = "forecast"
    ticket_kind: Literal["fault", "maintenance"] = "maintenance"
    window_seconds: Seconds = Field(14 * SECONDS_PER_DAY, alias="window", ge=SECONDS_PER_DAY)
    min_history_seconds: Seconds = Field(2 * SECONDS_PER_DAY, alias="min_history", gt=0)
    capacity: float = Field(100.0, gt=0)
    warn_days: float = Field(30.0, gt=0)
    clear_days: float | None = None
    critical_days: float | None = Field(7.0, gt=0)
    critical_severity: Severity = Severity.CRITICAL
    max_points: int = Field(400, ge=10, le=2000)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.min_history_seconds > self.window_seconds:
            raise ValueError("min_history cannot be longer than window")
        if self.critical_days is not None and self.critical_days > self.warn_days:
            raise ValueError("critical_days must not exceed warn_days")
        if self.clear_days is not None and self.clear_days < self.warn_days:
            raise ValueError("clear_days must be at least warn_days")
        return self

    def queries(self) -> list[Query]:
        return [Query("range", self.measurement, self.field, tags_of(self.tags), seconds_to_ns(self.window_seconds))]


def days_until_full(points: list[tuple[float, float]], now_s: float, capacity: float,
                    max_points: int = 400) -> float | None:
    """Projected days from ``now_s`` until the trend reaches ``capacity``; None if not filling."""
    slope, intercept = theil_sen(downsample(points, max_points))
    if slope <= 0:
        return None
    level_now = intercept + slope * now_s
    return max(0.0, (capacity - level_now) / slope / SECONDS_PER_DAY)


def evaluate(config: Config, results: QueryResults, now_ns: int, context: EvalContext) -> list[Observation]:
    (query,) = config.queries()
    observations = []
    for instance, rows in rows_by_instance(config, results.get(query, [])).items():
        tags, samples = max(rows, key=lambda row: len(row[1]))
        # Seconds relative to now keep the pairwise slopes well conditioned.
        points = [((t - now_ns) / NS_PER_SECOND, n) for t, v in samples if (n := as_number(v)) is not None]
        if len(points) < 2 or points[-1][0] - points[0][0] < config.min_history_seconds:
            continue  # too little history: no verdict, which is not the same as "fine"
        days = days_until_full(points, 0.0, config.capacity, config.max_points)
        where = f"{config.measurement}.{config.field}" + (f" ({instance})" if instance else "")
        if days is None:
            observations.append(Observation(tags, instance, False, True, None, f"{where}: not growing"))
            continue
        breach = days < config.warn_days
        clear = days >= (config.clear_days if config.clear_days is not None else config.warn_days)
        severity = (
            config.critical_severity
            if config.critical_days is not None and days < config.critical_days
            else None
        )
        summary = f"{where} full in {days:.1f} days at the current trend"
        observations.append(Observation(tags, instance, breach, clear, days, summary, severity))
    return observations
