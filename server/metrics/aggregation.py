"""Mergeable partial aggregates for the embedded store: raw values and rollup rows combine.

A :class:`Partial` holds count, sum, min, max and the last (time, value) of some numbers, plus
the exact values it saw from raw rows and the p95 sketches of the rollup rows it merged.
Partials of adjacent time ranges merge exactly, except for the p95.

p95 is the nearest-rank percentile InfluxQL's ``PERCENTILE(field, 95)`` returns: the value at
rank ``floor(n * 0.95 + 0.5)`` of the sorted values. From raw rows alone it is exact. A rollup
keeps a logarithmic histogram (DDSketch-style bins of relative width 2%), so a p95 read from
rollups is within ``P95_RELATIVE_ERROR`` (1%) of the exact value (and never outside [min, max]).

The sketch on disk is binary: little-endian int32 pairs ``(key, count)`` in key order, where the
key orders bins by value (negative bins, then zero, then positive bins; see :func:`keys_of`).
Merging sketches is concatenating their pairs and summing counts per key, done with numpy, so a
month of hourly sketches merges in a few numpy calls instead of a Python loop per bin. Files
written before this format hold JSON text (``{"p": [[bin, count]...], "n": [...], "z": n}``);
:func:`sketch_pairs` reads both, so old rollups stay readable without a rewrite.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

P95_RELATIVE_ERROR = 0.01
_GAMMA = (1 + P95_RELATIVE_ERROR) / (1 - P95_RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)
# Keys of positive bins are SIDE + bin, of negative bins -SIDE - bin, zero is 0. Bins of finite
# doubles lie within +-40,000, so the three ranges never meet and fit an int32.
SIDE = 1 << 20
_PAIR = np.dtype("<i4")
_MAX_COUNT = 2**31 - 1

Pairs = npt.NDArray[np.int64]  # shape (n, 2): key, count


def nearest_rank(count: int, percent: float = 95.0) -> int | None:
    """The 1-based rank InfluxQL's PERCENTILE picks, or None when there is no such value."""
    rank = int(math.floor(count * percent / 100.0 + 0.5))
    return rank if 1 <= rank <= count else None


def exact_p95(values: list[float]) -> float | None:
    rank = nearest_rank(len(values))
    return None if rank is None else sorted(values)[rank - 1]


def keys_of(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The sketch key of each value: its logarithmic bin, signed and ordered by value."""
    array = np.asarray(values, dtype=np.float64)
    keys = np.zeros(array.shape, dtype=np.int64)
    positive, negative = array > 0, array < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        keys[positive] = SIDE + np.ceil(np.log(array[positive]) / _LOG_GAMMA).astype(np.int64)
        keys[negative] = -SIDE - np.ceil(np.log(-array[negative]) / _LOG_GAMMA).astype(np.int64)
    return keys


def value_of_key(key: int) -> float:
    """The representative value of a bin: the point of (gamma^(i-1), gamma^i] whose relative
    distance to both ends is the error bound."""
    if key > 0:
        return 2.0 * _GAMMA ** (key - SIDE) / (_GAMMA + 1.0)
    if key < 0:
        return -2.0 * _GAMMA ** (-key - SIDE) / (_GAMMA + 1.0)
    return 0.0


def _from_json(text: str) -> bytes:
    data = json.loads(text)
    pairs = [(SIDE + int(i), int(c)) for i, c in data["p"]]
    pairs += [(-SIDE - int(i), int(c)) for i, c in data["n"]]
    if int(data["z"]):
        pairs.append((0, int(data["z"])))
    pairs.sort()
    return np.asarray(pairs, dtype=_PAIR).reshape(-1, 2).tobytes()


def sketch_bytes(stored: bytes | str) -> bytes:
    """A stored sketch in the binary form (JSON text of older files is converted)."""
    return stored if isinstance(stored, bytes) else _from_json(stored)


def sketch_pairs(sketches: Sequence[bytes | str], values: Sequence[float] = ()) -> Pairs:
    """The (key, count) pairs of some stored sketches and raw values, unmerged."""
    blob = b"".join(sketch_bytes(s) for s in sketches)
    pairs = np.frombuffer(blob, dtype=_PAIR).reshape(-1, 2).astype(np.int64)
    if len(values):
        extra = np.stack([keys_of(values), np.ones(len(values), dtype=np.int64)], axis=1)
        pairs = np.concatenate([pairs, extra])
    return pairs


def merge(pairs: Pairs) -> bytes:
    """One sketch (binary) from unmerged pairs: counts summed per key, keys in order."""
    if not len(pairs):
        return b""
    keys, inverse = np.unique(pairs[:, 0], return_inverse=True)
    counts = np.bincount(inverse, weights=pairs[:, 1]).astype(np.int64)
    if counts.max() > _MAX_COUNT:
        raise ValueError("a rollup bucket holds more than 2^31 values")
    return np.stack([keys, counts], axis=1).astype(_PAIR).tobytes()


def value_at_rank(pairs: Pairs, rank: int) -> float | None:
    """The representative value of the bin holding the rank-th smallest value (1-based)."""
    if not len(pairs):
        return None
    order = np.argsort(pairs[:, 0], kind="stable")
    cumulative = np.cumsum(pairs[order, 1])
    index = int(np.searchsorted(cumulative, rank))
    if index >= len(order):
        return None
    return value_of_key(int(pairs[order[index], 0]))


def sketch_p95(
    sketches: Sequence[bytes | str], values: Sequence[float], count: int, minimum: float, maximum: float
) -> float | None:
    """p95 from rollup sketches plus raw values (``count`` in all), clamped to [min, max]."""
    rank = nearest_rank(count)
    if rank is None:
        return None
    estimate = value_at_rank(sketch_pairs(sketches, values), rank)
    if estimate is None:
        return None
    return min(max(estimate, minimum), maximum)


@dataclass
class Partial:
    """Aggregate state of some numbers; see the module docstring."""

    count: int = 0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    last_ns: int = -1
    last: float | None = None
    values: list[float] = field(default_factory=list)
    sketches: list[bytes | str] = field(default_factory=list)

    def add_raw(self, time_ns: int, value: float, keep_values: bool) -> None:
        self.count += 1
        self.total += value
        self.minimum = value if self.minimum is None else min(self.minimum, value)
        self.maximum = value if self.maximum is None else max(self.maximum, value)
        if time_ns >= self.last_ns:
            self.last_ns, self.last = time_ns, value
        if keep_values:
            self.values.append(value)

    def add_rollup(
        self,
        count: int,
        total: float,
        minimum: float,
        maximum: float,
        last_ns: int,
        last: float,
        sketch: bytes | str | None,
    ) -> None:
        self.count += count
        self.total += total
        self.minimum = minimum if self.minimum is None else min(self.minimum, minimum)
        self.maximum = maximum if self.maximum is None else max(self.maximum, maximum)
        if last_ns >= self.last_ns:
            self.last_ns, self.last = last_ns, last
        if sketch is not None:
            self.sketches.append(sketch)

    def sketch(self) -> bytes:
        """The merged sketch of everything added (raw values binned), in the binary form."""
        return merge(sketch_pairs(self.sketches, self.values))

    def p95(self) -> float | None:
        if not self.sketches:
            return exact_p95(self.values)
        if self.minimum is None or self.maximum is None:
            return None
        return sketch_p95(self.sketches, self.values, self.count, self.minimum, self.maximum)

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
