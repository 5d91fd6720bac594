"""Reference answers for the metric store tests, computed the plain way from the points."""

from __future__ import annotations

import math

NS = 1_000_000_000


def p95(values: list[float]) -> float | None:
    """InfluxQL's nearest-rank PERCENTILE(field, 95)."""
    rank = int(math.floor(len(values) * 0.95 + 0.5))
    return sorted(values)[rank - 1] if 1 <= rank <= len(values) else None


def aggregate(name: str, rows: list[tuple[int, float]]) -> float | None:
    values = [v for _t, v in rows]
    if name == "count":
        return float(len(values))
    if not values:
        return None
    answers = {
        "mean": lambda: sum(values) / len(values),
        "sum": lambda: float(sum(values)),
        "min": lambda: min(values),
        "max": lambda: max(values),
        "last": lambda: max(rows)[1],
        "p95": lambda: p95(values),
    }
    return answers[name]()


def per_interval(
    name: str, rows: list[tuple[int, float]], start_ns: int, end_ns: int, interval_seconds: int
) -> list[tuple[int, float | None]]:
    """One answer per interval bucket from the bucket holding start_ns up to end_ns (as InfluxQL)."""
    step = interval_seconds * NS
    buckets: dict[int, list[tuple[int, float]]] = {}
    for t, v in rows:
        if start_ns <= t < end_ns:
            buckets.setdefault(t // step * step, []).append((t, v))
    first = start_ns // step * step
    return [(b, aggregate(name, buckets.get(b, []))) for b in range(first, end_ns, step)]
