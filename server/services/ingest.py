"""Ingest: a node's batch of line protocol, checked line by line, stamped and stored.

The order of work matters for at-least-once delivery:

1. A batch id seen before for this node answers with the stored answer and stores nothing.
2. The body is decompressed within limits (413 past them) and split into lines.
3. Each line is checked against the schema (vigil.agent.schema) and the limits, and stamped
   with the identity tags from the credential (:mod:`vigil.server.services.ingest_check`:
   as text on its fast path, parsed on its strict path); a bad line or one claiming another
   identity is rejected with its number and reason, and the good ones go on.
4. The accepted lines are written to the metric store: as line protocol to a store that takes
   it (InfluxDB), in pieces, each stored while the next is checked; as points to the others.
   If the store is unreachable the whole batch fails with 503 and is not recorded, so the
   sender retries it (rewriting a point already stored changes nothing).
5. The batch id and the answer are recorded; the ingest hooks (rules) see the batch.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.config import IngestLimits
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device, IngestBatch, NodeKind
from vigil.server.errors import VigilError
from vigil.server.metrics.base import LineProtocolStore, MetricStore, MetricWriteRejected
from vigil.server.metrics.line_encoder import LineEncoder
from vigil.server.services.enrollment import NodeIdentity, touch_node
from vigil.server.services.ingest_check import AcceptedBatch, BatchChecker, BatchScope, LineChecker

__all__ = ["AcceptedBatch", "IngestHook", "IngestResult", "IngestService", "LineChecker", "decompress"]

# A hook sees each stored batch (points parsed on demand, see AcceptedBatch.points).
IngestHook = Callable[[NodeIdentity, AcceptedBatch], None]

log = logging.getLogger(__name__)


class BadBatch(VigilError):
    """The request as a whole is unusable (not gzip, no batch id)."""

    status_code = 400


class BatchTooLarge(VigilError):
    status_code = 413


@dataclass(slots=True)
class IngestResult:
    batch_id: str
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "replayed": self.replayed,
        }


def decompress(body: bytes, encoding: str | None, limits: IngestLimits) -> bytes:
    if len(body) > limits.max_body_bytes:
        raise BatchTooLarge(f"body of {len(body)} bytes exceeds {limits.max_body_bytes}")
    if not encoding or encoding == "identity":
        return body
    if encoding != "gzip":
        raise BadBatch(f"unsupported Content-Encoding {encoding[:20]!r}; use gzip")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limits.max_decompressed_bytes + 1)
    except zlib.error:
        raise BadBatch("body is not valid gzip") from None
    if len(data) > limits.max_decompressed_bytes or inflater.unconsumed_tail:
        raise BatchTooLarge(f"decompressed body exceeds {limits.max_decompressed_bytes} bytes")
    if not inflater.eof:
        raise BadBatch("gzip body is truncated")
    return data


@dataclass
class IngestService:
    sessions: sessionmaker[Session]
    store: MetricStore
    limits: IngestLimits
    hooks: list[IngestHook] = field(default_factory=list)
    # Run while a batch is being stored, to prepare what the hooks read (AcceptedBatch.points
    # with a selector remembers its answer).
    prepares: list[Callable[[AcceptedBatch], object]] = field(default_factory=list)
    # To a store that takes line protocol, a batch goes in pieces of this many lines (the
    # first piece smaller, so that the store starts sooner).
    forward_lines: int = 5000
    first_piece_lines: int = 1000
    checker: BatchChecker = field(init=False)
    _encoder: LineEncoder = field(init=False, default_factory=LineEncoder)
    _line_store: LineProtocolStore | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.checker = BatchChecker(self.limits)
        self._line_store = self.store if isinstance(self.store, LineProtocolStore) else None

    def ingest(
        self,
        node: NodeIdentity,
        batch_id: str,
        body: bytes,
        encoding: str | None,
        version: str | None = None,
    ) -> IngestResult:
        with self.sessions() as db:
            stored = db.scalar(
                select(IngestBatch.response).where(
                    IngestBatch.node_id == node.node_id, IngestBatch.batch_id == batch_id
                )
            )
        if stored is not None:
            return IngestResult(stored["batch_id"], stored["accepted"], stored["rejected"], replayed=True)

        text = decompress(body, encoding, self.limits)
        if text.count(b"\n") > self.limits.max_lines:
            raise BatchTooLarge(f"more than {self.limits.max_lines} lines in one batch")
        result = IngestResult(batch_id)
        scope = self.checker.begin(node, self._device_names(node), time.time_ns())
        lines = text.split(b"\n")
        batch = AcceptedBatch()
        if self._line_store is not None:
            refused = self._check_and_forward(self._line_store, scope, lines, batch, result)
        else:
            scope.check_lines(lines, 1, batch, result.rejected)
            refused = []
            if batch:
                try:
                    self.store.write(batch.points())
                except MetricWriteRejected:
                    refused = list(range(len(batch)))
        batch.find_devices(node)
        if refused:
            batch = self._write_one_by_one(batch, refused, result)
        result.rejected.sort(key=lambda r: int(r["line"]))
        result.accepted = len(batch)
        self._record(node, result, batch, version)
        for hook in self.hooks:
            hook(node, batch)
        return result

    def _check_and_forward(
        self,
        store: LineProtocolStore,
        scope: BatchScope,
        lines: list[bytes],
        batch: AcceptedBatch,
        result: IngestResult,
    ) -> list[int]:
        """Check the lines a piece at a time and hand each checked piece to the store's
        pipeline, which sends it at once and reads its answer only when the next piece is
        ready: the store works on one piece while the next is checked. Then, while the last
        piece is stored, parse what the hooks will read. Returns the indexes of the entries in
        pieces the store refused; raises the store error that stopped the sending (the pieces
        after it are not sent)."""
        pipeline = store.pipeline()
        try:
            start, step = 0, self.first_piece_lines  # a small first piece gets the store going
            while start < len(lines):
                first = len(batch)
                scope.check_lines(lines[start : start + step], start + 1, batch, result.rejected)
                if len(batch) > first:
                    pipeline.send(first, len(batch), batch.line_protocol(self._encoder, first))
                start, step = start + step, self.forward_lines
            for prepare in self.prepares:
                prepare(batch)
        except BaseException:
            pipeline.abort()
            raise
        refused, failure = pipeline.finish()
        if failure is not None:
            raise failure
        return [index for first, end in refused for index in range(first, end)]

    def _write_one_by_one(self, batch: AcceptedBatch, candidates: list[int], result: IngestResult) -> AcceptedBatch:
        """The store refused some points (a field type conflict, say): find the ones it refuses
        among ``candidates``, report those lines, keep the rest. Rewriting a point already
        stored changes nothing."""
        refused: set[int] = set()
        for index, point in zip(candidates, batch.points(indexes=candidates), strict=True):
            try:
                self.store.write([point])
            except MetricWriteRejected as exc:
                reason = f"refused by the metric store: {exc}"[:300]
                result.rejected.append({"line": batch.numbers[index], "reason": reason})
                refused.add(index)
        if not refused:
            return batch
        return batch.subset([i for i in range(len(batch)) if i not in refused])

    def _device_names(self, node: NodeIdentity) -> frozenset[str]:
        if node.kind is NodeKind.agent:
            return frozenset()
        with self.sessions() as db:
            names = db.scalars(select(Device.name).where(Device.node_id == node.node_id))
            return frozenset(names)

    def _record(self, node: NodeIdentity, result: IngestResult, batch: AcceptedBatch, version: str | None) -> None:
        now = utcnow()
        # Statements on the session's connection, not the session: the ORM's unit of work and
        # its bulk-update bookkeeping cost more than the statements themselves, once per batch.
        with self.sessions() as db:
            try:
                with db.begin():
                    conn = db.connection()
                    conn.execute(
                        insert(IngestBatch).values(
                            node_id=node.node_id, batch_id=result.batch_id, response=result.as_dict(), created_at=now
                        )
                    )
                    touch_node(conn, node.node_id, version, now)
                    seen = sorted(device for device in batch.devices if device is not None)
                    mine = Device.node_id == node.node_id
                    if node.kind is NodeKind.agent and batch:
                        conn.execute(update(Device).where(mine).values(last_seen_at=now))
                    elif seen:
                        conn.execute(update(Device).where(mine, Device.name.in_(seen)).values(last_seen_at=now))
            except IntegrityError:
                # A concurrent request with the same batch id won; the points it wrote are the
                # same points, and both stores overwrite a point with the same series and time.
                pass


def prune_batch_ids(sessions: sessionmaker[Session], kept_hours: int, now: datetime | None = None) -> int:
    """Forget batch ids older than ``kept_hours``: a sender retries for far less than that."""
    cutoff = (now or utcnow()) - timedelta(hours=kept_hours)
    with sessions() as db, db.begin():
        result = db.execute(delete(IngestBatch).where(IngestBatch.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def batch_id_pruner(
    sessions: sessionmaker[Session], kept_hours: int, every_seconds: float = 3600.0
) -> Callable[[threading.Event], None]:
    """A background worker that prunes batch ids once an hour."""

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                removed = prune_batch_ids(sessions, kept_hours)
                if removed:
                    log.info("forgot %d ingest batch ids older than %d h", removed, kept_hours)
            except Exception:  # the next round tries again; the server goes on
                log.exception("pruning ingest batch ids failed")
            stop.wait(every_seconds)

    return run
