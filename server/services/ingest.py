"""Ingest: a node's batch of line protocol, checked line by line, stamped and stored.

The order of work matters for at-least-once delivery:

1. A batch id seen before for this node answers with the stored answer and stores nothing.
2. The body is decompressed within limits (413 past them) and split into lines.
3. Each line is parsed and checked against the schema (vigil.agent.schema) and the limits;
   a bad line is rejected with its number and reason, and the good ones go on.
4. Identity tags are stamped from the credential; a line claiming another identity is rejected.
5. The accepted points are written to the metric store. If the store is unreachable the whole
   batch fails with 503 and is not recorded, so the sender retries it.
6. The batch id and the answer are recorded; the ingest hooks (rules) see the points.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from vigil.agent.schema import IDENTITY_TAGS, MEASUREMENTS
from vigil.agent.wire import LineProtocolError, Point, parse_line
from vigil.server.config import IngestLimits
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device, IngestBatch, NodeKind
from vigil.server.errors import VigilError
from vigil.server.metrics.base import MetricStore, MetricWriteRejected
from vigil.server.services.enrollment import NodeIdentity, touch_node

IngestHook = Callable[[NodeIdentity, list[Point]], None]

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


class LineChecker:
    """Checks and stamps the lines of one batch for one node."""

    def __init__(self, node: NodeIdentity, limits: IngestLimits, device_names: frozenset[str], now_ns: int):
        self.node = node
        self.limits = limits
        self.device_names = device_names
        self.now_ns = now_ns
        self.oldest_ns = now_ns - limits.max_past_seconds * 1_000_000_000
        self.newest_ns = now_ns + limits.max_future_seconds * 1_000_000_000
        identity = {"customer": node.customer_slug, "site": node.site_slug}
        if node.kind is NodeKind.agent:
            identity["host"] = node.name
        else:
            identity["collector"] = node.name
        self.identity = identity

    def check(self, raw: str) -> Point:
        limits = self.limits
        point = parse_line(raw, self.now_ns)
        schema = MEASUREMENTS.get(point.measurement)
        if schema is None:
            raise LineProtocolError(f"unknown measurement {point.measurement[: limits.max_name_length]!r}")
        if len(point.tags) > limits.max_tags:
            raise LineProtocolError(f"more than {limits.max_tags} tags")
        if len(point.fields) > limits.max_fields:
            raise LineProtocolError(f"more than {limits.max_fields} fields")
        tags = dict(point.tags)
        for key, value in point.tags.items():
            if len(key) > limits.max_name_length or len(value) > limits.max_string_length:
                raise LineProtocolError(f"tag {key[:40]!r} is too long")
            if key in IDENTITY_TAGS:
                continue
            if key not in schema.tags:
                raise LineProtocolError(f"tag {key[:40]!r} is not in the schema of {point.measurement}")
        for key, value in point.fields.items():
            if key not in schema.fields:
                raise LineProtocolError(f"field {key[:40]!r} is not in the schema of {point.measurement}")
            if isinstance(value, str) and len(value) > limits.max_string_length:
                raise LineProtocolError(f"field {key!r} is longer than {limits.max_string_length} characters")
            if isinstance(value, float) and not math.isfinite(value):
                raise LineProtocolError("NaN and Inf are not accepted")
        if not self.oldest_ns <= point.time_ns <= self.newest_ns:
            raise LineProtocolError("timestamp is too far in the past or the future (nanoseconds expected)")
        for key, expected in self.identity.items():
            claimed = tags.get(key)
            if claimed is not None and claimed != expected:
                raise LineProtocolError(f"tag {key}={claimed[:40]!r} claims another identity")
            tags[key] = expected
        self._check_device(tags, point.measurement)
        # One type per field whatever the sender: InfluxDB fixes a field's type at its first
        # write and refuses the other, so 5i from one device and 5.0 from another both become 5.0.
        fields = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in point.fields.items()}
        return Point(point.measurement, tags, fields, point.time_ns)

    def _check_device(self, tags: dict[str, str], measurement: str) -> None:
        device = tags.get("device")
        if self.node.kind is NodeKind.agent:
            if device is not None:
                raise LineProtocolError("an agent cannot send a device tag")
            return
        if device is None:
            if measurement != "collector":
                raise LineProtocolError("a collector's line needs a device tag")
            return
        if device not in self.device_names:
            raise LineProtocolError(f"device {device[:40]!r} is not polled by this collector")


@dataclass
class IngestService:
    sessions: sessionmaker[Session]
    store: MetricStore
    limits: IngestLimits
    hooks: list[IngestHook] = field(default_factory=list)

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
        raw_lines = text.split(b"\n")
        if len(raw_lines) > self.limits.max_lines + 1:
            raise BatchTooLarge(f"more than {self.limits.max_lines} lines in one batch")
        checker = LineChecker(node, self.limits, self._device_names(node), time.time_ns())
        result = IngestResult(batch_id)
        points: list[Point] = []
        numbers: list[int] = []
        for number, raw in enumerate(raw_lines, start=1):
            if not raw.strip() or raw.startswith(b"#"):
                continue
            try:
                points.append(checker.check(raw.decode("utf-8")))
                numbers.append(number)
            except UnicodeDecodeError:
                result.rejected.append({"line": number, "reason": "not valid UTF-8"})
            except LineProtocolError as exc:
                result.rejected.append({"line": number, "reason": str(exc)})
        if points:
            try:
                self.store.write(points)
            except MetricWriteRejected:
                points = self._write_one_by_one(points, numbers, result)
            result.rejected.sort(key=lambda r: int(r["line"]))
        result.accepted = len(points)
        self._record(node, result, points, version)
        for hook in self.hooks:
            hook(node, points)
        return result

    def _write_one_by_one(self, points: list[Point], numbers: list[int], result: IngestResult) -> list[Point]:
        """The store refused the batch (a field type conflict, say): find the points it refuses,
        report those lines, keep the rest. Rewriting a point already stored changes nothing."""
        kept: list[Point] = []
        for point, number in zip(points, numbers, strict=True):
            try:
                self.store.write([point])
            except MetricWriteRejected as exc:
                result.rejected.append({"line": number, "reason": f"refused by the metric store: {exc}"[:300]})
            else:
                kept.append(point)
        return kept

    def _device_names(self, node: NodeIdentity) -> frozenset[str]:
        if node.kind is NodeKind.agent:
            return frozenset()
        with self.sessions() as db:
            names = db.scalars(select(Device.name).where(Device.node_id == node.node_id))
            return frozenset(names)

    def _record(self, node: NodeIdentity, result: IngestResult, points: list[Point], version: str | None) -> None:
        now = utcnow()
        with self.sessions() as db:
            try:
                with db.begin():
                    db.add(IngestBatch(node_id=node.node_id, batch_id=result.batch_id, response=result.as_dict()))
                    touch_node(db, node.node_id, version, now)
                    seen = {p.tags.get("device") for p in points} - {None}
                    if node.kind is NodeKind.agent and points:
                        db.execute(update(Device).where(Device.node_id == node.node_id).values(last_seen_at=now))
                    elif seen:
                        db.execute(
                            update(Device)
                            .where(Device.node_id == node.node_id, Device.name.in_(sorted(seen)))  # type: ignore[arg-type]
                            .values(last_seen_at=now)
                        )
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
