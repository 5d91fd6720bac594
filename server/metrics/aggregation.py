"""Mergeable partial aggregates for the embedded store: raw values and rollup rows combine.

A :class:`Partial` holds count, sum, min, max and the last (time, value) of some numbers, plus
either the exact values (when everything came from raw rows) or a :class:`Sketch` (when a
rollup is involved). Partials of adjacent time ranges merge exactly, except for the p95.

p95 is the nearest-rank percentile InfluxQL's ``PERCENTILE(field, 95)`` returns: the value at
rank ``floor(n * 0.95 + 0.5)`` of the sorted values. From raw rows it is exact. A rollup keeps
a logarithmic histogram (DDSketch-style bins of relative width 2%), so a p95 read from rollups
is within ``P95_RELATIVE_ERROR`` (1%) of the exact value (and never outside [min, max]).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

P95_RELATIVE_ERROR = 0.01
_GAMMA = (1 + P95_RELATIVE_ERROR) / (1 - P95_RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)


def nearest_rank(count: int, percent: float = 95.0) -> int | None:
    """The 1-based rank InfluxQL's PERCENTILE picks, or None when there is no such value."""
    rank = int(math.floor(count * percent / 100.0 + 0.5))
    return rank if 1 <= rank <= count else None


def exact_p95(values: list[float]) -> float | None:
    rank = nearest_rank(len(values))
    return None if rank is None else sorted(values)[rank - 1]


def _bin(magnitude: float) -> int:
    return math.ceil(math.log(magnitude) / _LOG_GAMMA)


def _bin_value(index: int) -> float:
    # The point of the bin (gamma^(i-1), gamma^i] whose relative distance to both ends is alpha.
    return 2.0 * _GAMMA**index / (_GAMMA + 1.0)


@dataclass
class Sketch:
    """Counts per logarithmic bin, for positive and negative numbers, and a count of zeros."""

    positive: dict[int, int] = field(default_factory=dict)
    negative: dict[int, int] = field(default_factory=dict)
    zeros: int = 0

    def add(self, value: float, count: int = 1) -> None:
        if value > 0:
            index = _bin(value)
            self.positive[index] = self.positive.get(index, 0) + count
        elif value < 0:
            index = _bin(-value)
            self.negative[index] = self.negative.get(index, 0) + count
        else:
            self.zeros += count

    def merge(self, other: Sketch) -> None:
        for index, count in other.positive.items():
            self.positive[index] = self.positive.get(index, 0) + count
        for index, count in other.negative.items():
            self.negative[index] = self.negative.get(index, 0) + count
        self.zeros += other.zeros

    def value_at_rank(self, rank: int) -> float | None:
        seen = 0
        for index in sorted(self.negative, reverse=True):
            seen += self.negative[index]
            if seen >= rank:
                return -_bin_value(index)
        seen += self.zeros
        if seen >= rank:
            return 0.0
        for index in sorted(self.positive):
            seen += self.positive[index]
            if seen >= rank:
                return _bin_value(index)
        return None

    def dumps(self) -> str:
        return json.dumps(
            {"p": list(self.positive.items()), "n": list(self.negative.items()), "z": self.zeros},
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> Sketch:
        data = json.loads(text)
        return cls(
            positive={int(i): int(c) for i, c in data["p"]},
            negative={int(i): int(c) for i, c in data["n"]},
            zeros=int(data["z"]),
        )


@dataclass
class Partial:
    """Aggregate state of some numbers; see the module docstring."""

    count: int = 0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    last_ns: int = -1
    last: float | None = None
    values: list[float] | None = None
    sketch: Sketch | None = None

    def add_raw(self, time_ns: int, value: float, keep_values: bool) -> None:
        self.count += 1
        self.total += value
        self.minimum = value if self.minimum is None else min(self.minimum, value)
        self.maximum = value if self.maximum is None else max(self.maximum, value)
        if time_ns >= self.last_ns:
            self.last_ns, self.last = time_ns, value
        if keep_values:
            if self.sketch is not None:
                self.sketch.add(value)
            else:
                if self.values is None:
                    self.values = []
                self.values.append(value)

    def add_rollup(
        self,
        count: int,
        total: float,
        minimum: float,
        maximum: float,
        last_ns: int,
        last: float,
        sketch: Sketch | None,
    ) -> None:
        self.count += count
        self.total += total
        self.minimum = minimum if self.minimum is None else min(self.minimum, minimum)
        self.maximum = maximum if self.maximum is None else max(self.maximum, maximum)
        if last_ns >= self.last_ns:
            self.last_ns, self.last = last_ns, last
        if sketch is not None:
            if self.sketch is None:
                self.sketch = Sketch()
                for value in self.values or ():
                    self.sketch.add(value)
                self.values = None
            self.sketch.merge(sketch)

    def p95(self) -> float | None:
        if self.sketch is None:
            return exact_p95(self.values or [])
        rank = nearest_rank(self.count)
        if rank is None:
            return None
        estimate = self.sketch.value_at_rank(rank)
        if estimate is None or self.minimum is None or self.maximum is None:
            return estimate
        return min(max(estimate, self.minimum), self.maximum)

    def result(self, aggregate: str) -> float | None:
        """The value of ``aggregate``; count is 0 for no data, the others None (as InfluxQL)."""
        if aggregate == "count":
            return float(self.count)
        if self.count == 0:
            return None
        return _RESULTS[aggregate](self)


_RESULTS: dict[str, Callable[[Partial], float | None]] = {
    "mean": lambda p: p.total / p.count,
    "sum": lambda p: p.total,
    "min": lambda p: p.minimum,
    "max": lambda p: p.maximum,
    "last": lambda p: p.last,
    "p95": Partial.p95,
}
