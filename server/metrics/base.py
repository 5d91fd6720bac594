"""The metric store interface: what the rest of the server asks of a metric backend.

Two backends implement it (``embedded``: SQLite with rollups; ``influxdb``: line protocol in,
InfluxQL out, API v1 or v2) and pass one contract test suite (tests/metrics/).

Queries are expressed as data (:class:`SeriesQuery`), not as query text, so both backends can
answer them and no caller builds InfluxQL from user input.

Errors: every backend failure is raised as :class:`MetricStoreError` (a
``MetricStoreUnavailable`` when the store cannot be reached, so ingest can answer 503 and the
sender retries).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal, Protocol, runtime_checkable

from vigil.agent.wire import FieldValue, Point

Aggregate = Literal["mean", "max", "min", "p95", "last", "count", "sum"]


class MetricStoreError(Exception):
    """A metric backend failed."""


class MetricStoreUnavailable(MetricStoreError):
    """The metric backend cannot be reached; the caller may retry later."""


class MetricWriteRejected(MetricStoreError):
    """The store refused the points themselves (a field type conflict, a name line protocol
    cannot carry); retrying the same points will not help. Nothing of the batch is kept by the
    embedded store; InfluxDB may keep the other points of the batch."""


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """One field of one measurement, filtered by exact tag values, grouped by tag keys.

    ``start_ns``/``end_ns`` bound the range (start inclusive, end exclusive).
    ``interval_seconds`` of None asks for one value per group over the whole range.
    """

    measurement: str
    field: str
    start_ns: int
    end_ns: int
    tags: dict[str, str] = dataclass_field(default_factory=dict)
    group_by: tuple[str, ...] = ()
    aggregate: Aggregate = "mean"
    interval_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """A result: the group's tag values and (time_ns, value) rows in time order."""

    tags: dict[str, str]
    rows: list[tuple[int, float | None]]


@dataclass(frozen=True, slots=True)
class LatestValue:
    tags: dict[str, str]
    time_ns: int
    value: FieldValue


@runtime_checkable
class LineProtocolStore(Protocol):
    """A store that takes checked line protocol as it is (InfluxDB): ingest forwards the
    stamped lines instead of parsing them into points and encoding them again."""

    def pipeline(self) -> WritePipeline:
        """A batch's pieces of checked lines, stored one after another (see WritePipeline)."""


class WritePipeline:
    """The pieces of one batch, sent one after another (see :meth:`InfluxStore.pipeline`).

    ``send`` hands over a piece (entries ``first`` to ``end`` of the caller's batch);
    ``finish`` waits for the last answer and returns the ranges of the pieces the store
    refused and the store error that stopped the sending, if one did (the pieces after it are
    not sent). This base class writes each piece when it is handed over."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write
        self.refused: list[tuple[int, int]] = []
        self.failure: MetricStoreError | None = None

    def send(self, first: int, end: int, body: bytes) -> None:
        if self.failure is not None or not body:
            return
        try:
            self._write(body)
        except MetricWriteRejected:
            self.refused.append((first, end))
        except MetricStoreError as exc:
            self.failure = exc

    def finish(self) -> tuple[list[tuple[int, int]], MetricStoreError | None]:
        return self.refused, self.failure

    def abort(self) -> None:
        """The caller gives up on the batch (an error of its own): release what is held."""


class MetricStore(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """Store points; raises MetricStoreError (MetricStoreUnavailable when unreachable)."""

    def query(self, query: SeriesQuery) -> list[Series]:
        """Aggregated series for a query."""

    def latest(
        self, measurement: str, field: str, tags: dict[str, str], group_by: tuple[str, ...] = ()
    ) -> list[LatestValue]:
        """The newest value per group (per series when group_by names the series' tags)."""

    def tag_values(self, measurement: str, key: str, tags: dict[str, str]) -> list[str]:
        """Distinct values of a tag, filtered by other tags."""

    def close(self) -> None: ...
