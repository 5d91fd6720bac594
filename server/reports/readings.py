"""Aggregates of one customer's metrics over a period, keyed by (device name, instance).

Every read is one :class:`~vigil.server.metrics.base.SeriesQuery` per source for the whole
customer (``customer`` tag), grouped by the identity tag and the instance tag, so the embedded
store answers from its daily and hourly rollups and InfluxDB from an InfluxQL aggregate; only
the trend charts ask per device, for the few devices they show. Query time is
counted in ``seconds`` (and CPU seconds of the process in ``cpu_seconds``) for the benchmark's
split.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from vigil.server.metrics.base import Aggregate, MetricStore, SeriesQuery
from vigil.server.reports.sources import Source

Key = tuple[str, str]  # (device name, instance or "")
Rows = list[tuple[int, float | None]]


@dataclass
class Readings:
    store: MetricStore
    customer: str
    start_ns: int
    end_ns: int
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    queries: int = 0
    _cache: dict[tuple[Source, str, int | None, str], dict[Key, Rows]] = field(
        default_factory=dict
    )

    def _run(
        self, source: Source, aggregate: Aggregate, interval_seconds: int | None, device: str = ""
    ) -> dict[Key, Rows]:
        cache_key = (source, aggregate, interval_seconds, device)
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        group_by = (source.identity, source.instance) if source.instance else (source.identity,)
        query = SeriesQuery(
            measurement=source.measurement,
            field=source.field,
            start_ns=self.start_ns,
            end_ns=self.end_ns,
            tags={"customer": self.customer, **dict(source.tags), **({source.identity: device} if device else {})},
            group_by=group_by,
            aggregate=aggregate,
            interval_seconds=interval_seconds,
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        result = self.store.query(query)
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu_started
        self.queries += 1
        found = {}
        for series in result:
            name = series.tags.get(source.identity, "")
            if not name:
                continue
            instance = series.tags.get(source.instance, "") if source.instance else ""
            found[(name, instance)] = series.rows
        self._cache[cache_key] = found
        return found

    def whole(self, sources: Iterable[Source], aggregate: Aggregate) -> dict[Key, float]:
        """One value per (device, instance) over the whole period; the first source wins."""
        values: dict[Key, float] = {}
        for source in sources:
            for key, rows in self._run(source, aggregate, None).items():
                value = rows[0][1] if rows else None
                if value is not None and key not in values:
                    values[key] = value
        return values

    def per_device(self, sources: Iterable[Source], aggregate: Aggregate) -> dict[str, float]:
        """Like :meth:`whole` for sources without an instance tag: device name -> value."""
        return {name: value for (name, _instance), value in self.whole(sources, aggregate).items()}

    def device_series(
        self, sources: Iterable[Source], aggregate: Aggregate, interval_seconds: int, device: str
    ) -> Rows:
        """Rows per interval of one device (sources without an instance tag); the first source
        with data wins. For the few devices a chart shows, rather than every device's series."""
        for source in sources:
            rows = self._run(source, aggregate, interval_seconds, device).get((device, ""))
            if rows and any(v is not None for _t, v in rows):
                return rows
        return []

    def series(
        self, sources: Iterable[Source], aggregate: Aggregate, interval_seconds: int
    ) -> dict[Key, Rows]:
        """Rows per interval for each (device, instance); the first source with data wins."""
        found: dict[Key, Rows] = {}
        for source in sources:
            for key, rows in self._run(source, aggregate, interval_seconds).items():
                if key not in found and any(v is not None for _t, v in rows):
                    found[key] = rows
        return found
