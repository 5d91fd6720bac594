"""Recent samples in memory, so rules evaluated on arrival do not query the metric store.

A :class:`RecentSamples` is a :class:`~vigil.checks.source.SeriesSource` in front of the store
(as Prometheus' head block is in front of its blocks). The ingest hook hands it every accepted
point; it keeps only the series that arrival rules read (their measurement, field and tag
filter) and only as long as those rules look back (the newest sample for ``latest`` queries;
the longest window for ``range`` queries), in compact arrays.

It answers a query itself only when it is sure to hold every sample the query covers: the
field was being kept since before the query's window began (so a restart, a new rule or a
longer window go to the store until the memory has filled up), and no sample is newer than
the query's time. Anything else goes to the store it stands in front of.

Per process: with several server replicas, a node's batches must reach one replica (sticky by
credential) for its memory to be complete, or the server must run without it.
"""

from __future__ import annotations

import bisect
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from vigil.agent.wire import Point
from vigil.checks.model import Query
from vigil.checks.source import LatestRow, RangeRow, SeriesSource, Tags, Value, tags_of

IDENTITY_KEYS = ("host", "device", "collector")
# How long before a batch's arrival a round may have begun whose queries still read the
# samples of that batch (rounds take the time once, then evaluate).
READ_MARGIN_NS = 60 * 1_000_000_000


@dataclass
class _FieldPlan:
    keep_ns: int = 0  # 0: the newest sample only
    tag_filters: list[dict[str, str]] = field(default_factory=list)  # empty list: every series
    since_ns: int = 0


class _Buffer:
    """One series' recent samples: times and numbers in arrays; the newest value as given."""

    __slots__ = ("times", "numbers", "last_time", "last_value")

    def __init__(self) -> None:
        self.times = array("q")
        self.numbers = array("d")
        self.last_time = -1
        self.last_value: Value = 0.0

    def add(self, time_ns: int, value: Value, keep_ns: int) -> None:
        if time_ns >= self.last_time:
            self.last_time, self.last_value = time_ns, value
        if keep_ns <= 0:
            return
        number = _number(value)
        if number is None:
            return
        if not self.times or time_ns > self.times[-1]:
            self.times.append(time_ns)
            self.numbers.append(number)
        else:  # late or repeated sample: keep time order, last write wins
            index = bisect.bisect_left(self.times, time_ns)
            if index < len(self.times) and self.times[index] == time_ns:
                self.numbers[index] = number
            else:
                self.times.insert(index, time_ns)
                self.numbers.insert(index, number)
        oldest = self.times[-1] - keep_ns
        if self.times[0] < oldest and len(self.times) > 8:
            cut = bisect.bisect_left(self.times, oldest)
            del self.times[:cut]
            del self.numbers[:cut]


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def _matches(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items())


class RecentSamples:
    def __init__(self, fallback: SeriesSource, clock: Callable[[], int] = time.time_ns) -> None:
        self.fallback = fallback
        self.clock = clock
        self._plans: dict[tuple[str, str], _FieldPlan] = {}
        self._wanted_by_measurement: dict[str, frozenset[str]] = {}
        # (measurement, field) -> (customer, identity) -> series tags -> buffer
        self._series: dict[tuple[str, str], dict[tuple[str, str], dict[Tags, _Buffer]]] = {}
        self._longest_span_ns = 0  # the longest window (or lookback) of the planned queries
        self._unread_before_ns = 0  # samples older than this may have been left out (see oldest_read_ns)
        self._lock = threading.Lock()
        self.answered = 0
        self.passed_on = 0

    # ---- what to keep ----

    def plan(self, queries: Iterable[Query]) -> None:
        """Keep what these queries read; a field newly kept is trusted only from now on."""
        wanted: dict[tuple[str, str], _FieldPlan] = {}
        longest = 0
        for query in queries:
            longest = max(longest, query.span_ns)
            found = wanted.setdefault((query.measurement, query.field), _FieldPlan())
            if query.kind == "range":
                found.keep_ns = max(found.keep_ns, query.span_ns)
            filters = dict(query.tags)
            if found.tag_filters is not None and filters not in found.tag_filters:
                found.tag_filters.append(filters)
        now = self.clock()
        with self._lock:
            for key, new in wanted.items():
                if any(not f for f in new.tag_filters):
                    new.tag_filters = []  # one query reads every series of the field
                old = self._plans.get(key)
                unchanged = old is not None and old.tag_filters == new.tag_filters and old.keep_ns >= new.keep_ns
                new.since_ns = old.since_ns if unchanged and old is not None else now
                if old is not None and old.keep_ns > new.keep_ns and unchanged:
                    new.keep_ns = old.keep_ns
            self._plans = wanted
            self._longest_span_ns = longest
            by_measurement: dict[str, set[str]] = {}
            for measurement, name in wanted:
                by_measurement.setdefault(measurement, set()).add(name)
            self._wanted_by_measurement = {m: frozenset(names) for m, names in by_measurement.items()}
            self._series = {k: v for k, v in self._series.items() if k in wanted}

    def fields_wanted(self, measurement: str, tags: Mapping[str, str]) -> frozenset[str]:
        """The fields of this series that some plan keeps (the ingest parses only those)."""
        names = self._wanted_by_measurement.get(measurement)
        if not names:
            return frozenset()
        plans = self._plans
        return frozenset(
            name
            for name in names
            if (plan := plans.get((measurement, name))) is not None
            and (not plan.tag_filters or any(_matches(tags, f) for f in plan.tag_filters))
        )

    def oldest_read_ns(self) -> int:
        """Samples older than this need not be parsed or added: they lie before the longest
        window of any query asked from a minute ago on. A query whose window starts before the
        oldest bound handed out goes to the store (see ``_trusted``)."""
        oldest = self.clock() - self._longest_span_ns - READ_MARGIN_NS
        with self._lock:
            self._unread_before_ns = max(self._unread_before_ns, oldest)
        return oldest

    # ---- filling ----

    def add(self, points: Iterable[Point]) -> None:
        with self._lock:
            plans = self._plans
            for point in points:
                device: tuple[str, str] | None = None  # worked out once a point, when needed
                for name, value in point.fields.items():
                    plan = plans.get((point.measurement, name))
                    if plan is None or plan.since_ns > point.time_ns:
                        continue
                    if plan.tag_filters and not any(_matches(point.tags, f) for f in plan.tag_filters):
                        continue
                    if device is None:
                        identity = next((point.tags[k] for k in IDENTITY_KEYS if k in point.tags), "")
                        device, key = (point.tags.get("customer", ""), identity), tags_of(point.tags)
                    by_device = self._series.setdefault((point.measurement, name), {})
                    by_tags = by_device.setdefault(device, {})
                    buffer = by_tags.get(key)
                    if buffer is None:
                        buffer = by_tags[key] = _Buffer()
                    buffer.add(point.time_ns, value, plan.keep_ns)

    def size(self) -> tuple[int, int]:
        """(series, numeric samples) held."""
        with self._lock:
            buffers = [buf for by_device in self._series.values() for group in by_device.values()
                       for buf in group.values()]
            return len(buffers), sum(len(buf.times) for buf in buffers)

    # ---- answering ----

    def _buffers(self, measurement: str, field_name: str, tags_filter: Mapping[str, str]) -> list[tuple[Tags, _Buffer]]:
        by_device = self._series.get((measurement, field_name), {})
        identity = next((tags_filter[k] for k in IDENTITY_KEYS if k in tags_filter), None)
        if "customer" in tags_filter and identity is not None:
            groups = [by_device.get((tags_filter["customer"], identity), {})]
        else:
            groups = list(by_device.values())
        wanted = tags_filter.items()
        # A series' tags are a tuple of (key, value) pairs: membership, no dict per series.
        return [(tags, buf) for group in groups for tags, buf in group.items() if all(p in tags for p in wanted)]

    def _trusted(
        self, measurement: str, field_name: str, tags_filter: Mapping[str, str], start_ns: int, span_ns: int,
        *, latest: bool,
    ) -> bool:
        plan = self._plans.get((measurement, field_name))
        if plan is None or plan.since_ns > start_ns or start_ns < self._unread_before_ns:
            return False
        # Only series the plan keeps: the query must ask for a subset of them.
        if plan.tag_filters and not any(_matches(tags_filter, f) for f in plan.tag_filters):
            return False
        return latest or plan.keep_ns >= span_ns

    def latest(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], at_ns: int, lookback_ns: int
    ) -> list[LatestRow]:
        with self._lock:
            if self._trusted(measurement, field, tags_filter, at_ns - lookback_ns, lookback_ns, latest=True):
                found = self._buffers(measurement, field, tags_filter)
                if all(buf.last_time <= at_ns for _tags, buf in found):
                    self.answered += 1
                    return [(tags, buf.last_time, buf.last_value) for tags, buf in found
                            if buf.last_time > at_ns - lookback_ns]
        self.passed_on += 1
        return self.fallback.latest(measurement, field, tags_filter, at_ns, lookback_ns)

    def range(
        self, measurement: str, field: str, tags_filter: Mapping[str, str], start_ns: int, end_ns: int
    ) -> list[RangeRow]:
        with self._lock:
            if self._trusted(measurement, field, tags_filter, start_ns, end_ns - start_ns, latest=False):
                found = self._buffers(measurement, field, tags_filter)
                if all(not buf.times or buf.times[-1] <= end_ns for _tags, buf in found):
                    self.answered += 1
                    rows: list[RangeRow] = []
                    for tags, buf in found:
                        low = bisect.bisect_left(buf.times, start_ns)
                        high = bisect.bisect_right(buf.times, end_ns)
                        if high > low:
                            rows.append((tags, list(zip(buf.times[low:high], buf.numbers[low:high], strict=True))))
                    return rows
        self.passed_on += 1
        return self.fallback.range(measurement, field, tags_filter, start_ns, end_ns)
