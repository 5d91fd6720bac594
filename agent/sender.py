"""Batching points into the spool, and shipping spooled batches to the server's ingest.

:class:`Batcher` encodes points to line protocol and writes a batch, gzip-compressed, to the
spool when it reaches ``max_bytes`` (uncompressed) or ``max_age_seconds``; the batch is the unit
of delivery from then on.

:class:`Sender` sends the oldest spooled batch, gzip-compressed, with its batch id, and decides:

- 2xx: delivered; lines the server rejected are counted, and each distinct reason logged once;
- 429, 5xx, no answer (refused, reset, dropped, timeout): kept, retried after a jittered
  exponential backoff, or after ``Retry-After`` when the server gives one;
- any other 4xx (400, 401, 413...): retrying cannot help; the batch is dropped, its points
  counted, and the server's reason logged once.

Batches leave in spool order, one at a time, so the order of points per series is kept.
"""

from __future__ import annotations

import json
import os
import threading
import time
import zlib

from vigil.agent import __version__, logs
from vigil.agent.config import RetrySection
from vigil.agent.record import Record
from vigil.agent.spool import Batch, Spool, SpoolError
from vigil.agent.transport import HttpClient, TransportError
from vigil.agent.wire import LineProtocolError, Point, encode_point

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    import random
    from collections.abc import Callable

log = logs.get("vigil.agent.sender")

INGEST_PATH = "/api/v1/ingest"
GZIP_LEVEL = 6
GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 31  # zlib's gzip container: what gzip.compress writes, without importing gzip


def gzip_compress(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """``data`` as a gzip member (RFC 1952), readable by ``gzip.decompress`` and any HTTP server."""
    return zlib.compress(data, level, _GZIP_WBITS)


class UrandomJitter:
    """Uniform draws for the retry jitter, from ``os.urandom``: all the sender needs of
    ``random``, which with ``_sha512`` and ``bisect`` is ~0.2 MiB resident in the agent."""

    __slots__ = ()

    def uniform(self, low: float, high: float) -> float:
        fraction = (int.from_bytes(os.urandom(7), "big") >> 3) / (1 << 53)  # 53 random bits in [0, 1)
        return low + (high - low) * fraction


class OnceLogger:
    """Logs each distinct message once at the given level, later repeats at debug."""

    def __init__(self, logger: logs.Logger, limit: int = 200) -> None:
        self._logger = logger
        self._seen: set[str] = set()
        self._limit = limit

    def log(self, level: int, message: str) -> None:
        if message in self._seen:
            self._logger.debug(message)
            return
        if len(self._seen) < self._limit:
            self._seen.add(message)
        self._logger.log(level, message)


class Batcher:
    """Collects encoded lines and writes them to the spool as batches of bounded size and age."""

    def __init__(self, spool: Spool, max_bytes: int, max_age_seconds: float) -> None:
        self.spool = spool
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._lines: list[bytes] = []
        self._bytes = 0
        self._started: float | None = None
        self._lock = threading.Lock()
        self.unspooled_points = 0  # lost because the spool could not be written
        self.invalid_points = 0
        self._errors = OnceLogger(log)

    def add(self, points: list[Point]) -> None:
        with self._lock:
            for point in points:
                try:
                    line = (encode_point(point) + "\n").encode()
                except LineProtocolError as exc:
                    self.invalid_points += 1
                    self._errors.log(logs.WARNING, f"point not encodable, skipped: {exc}")
                    continue
                if self._bytes + len(line) > self.max_bytes and self._lines:
                    self._flush_locked()
                if self._started is None:
                    self._started = time.monotonic()
                self._lines.append(line)
                self._bytes += len(line)

    def due_at(self) -> float:
        """When the pending batch reaches its age (monotonic seconds); infinity when empty."""
        with self._lock:
            return float("inf") if self._started is None else self._started + self.max_age_seconds

    def flush_if_due(self) -> None:
        with self._lock:
            if self._started is not None and time.monotonic() - self._started >= self.max_age_seconds:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._lines:
            return
        payload, count = b"".join(self._lines), len(self._lines)
        self._lines, self._bytes, self._started = [], 0, None
        try:
            # Spooled compressed: the spool holds several times more, and sending needs no work.
            batch_id = self.spool.append(gzip_compress(payload), count)
        except SpoolError as exc:
            self.unspooled_points += count
            self._errors.log(logs.ERROR, f"{exc}; points are being lost")
            return
        log.debug("spooled batch %s points=%d", batch_id, count)


class SenderStats:
    """What the sender has done since it started (a plain class: records are immutable)."""

    __slots__ = (
        "sent_batches",
        "sent_points",
        "replayed_batches",
        "rejected_lines",
        "refused_batches",
        "refused_points",
        "retries",
        "last_send_latency_seconds",
        "last_error",
    )

    def __init__(self) -> None:
        self.sent_batches = 0
        self.sent_points = 0
        self.replayed_batches = 0
        self.rejected_lines = 0
        self.refused_batches = 0
        self.refused_points = 0
        self.retries = 0
        self.last_send_latency_seconds = 0.0
        self.last_error = ""


class Outcome(Record):
    """What one send attempt did: ``kind`` is empty, sent, refused or retry."""

    kind: str
    delay_seconds: float = 0.0
    status: int = 0


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils  # only for the rare HTTP-date form; the email package is not small

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Sender:
    def __init__(
        self,
        spool: Spool,
        client: HttpClient,
        credential: str,
        retry: RetrySection,
        rng: random.Random | UrandomJitter | None = None,
    ) -> None:
        self.spool = spool
        self.client = client
        self._auth = f"Bearer {credential}"
        self.retry = retry
        self.stats = SenderStats()
        self._failures = 0
        self._rng = rng or UrandomJitter()  # tests hand in a seeded random.Random
        self._once = OnceLogger(log)
        # Reasons to retry are logged once per outage, not once per process life.
        self._outage = OnceLogger(log)

    def backoff_seconds(self) -> float:
        """Equal-jitter exponential backoff for the current run of failures."""
        ceiling = min(self.retry.max_backoff_seconds, self.retry.initial_backoff_seconds * 2 ** min(self._failures, 30))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def send_one(self, wait_seconds: float = 0.0) -> Outcome:
        batch = self.spool.peek(wait_seconds)
        if batch is None:
            return Outcome("empty")
        return self._deliver(batch)

    def _deliver(self, batch: Batch) -> Outcome:
        headers = {
            "Authorization": self._auth,
            "X-Vigil-Batch-Id": batch.batch_id,
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Encoding": "gzip",
            # The server keeps each host's agent version from this, so an upgrade shows.
            "X-Vigil-Version": __version__,
        }
        body = batch.payload if batch.payload[:2] == GZIP_MAGIC else gzip_compress(batch.payload)
        started = time.monotonic()
        try:
            reply = self.client.request("POST", INGEST_PATH, body, headers)
        except TransportError as exc:
            return self._retry(f"server unreachable: {exc}", None, 0)
        self.stats.last_send_latency_seconds = time.monotonic() - started
        status = reply.status
        if 200 <= status < 300:
            if self._failures:
                log.info("delivering again after %d failed attempts", self._failures)
                self._outage = OnceLogger(log)
            self._failures = 0
            self._accepted(batch, reply.body)
            self.spool.ack(batch)
            return Outcome("sent", status=status)
        if status == 429 or status >= 500:
            hint = retry_after_seconds(reply.headers.get("retry-after"))
            return self._retry(f"server answered {status}: {reply.reason()}", hint, status)
        # Another 4xx: the same request would be refused again. Drop it, count it, say why.
        self._failures = 0
        self.stats.refused_batches += 1
        self.stats.refused_points += batch.points
        self._once.log(logs.ERROR, f"server refused a batch with {status}, dropping it: {reply.reason()}")
        self.spool.ack(batch)
        return Outcome("refused", status=status)

    def _accepted(self, batch: Batch, body: bytes) -> None:
        self.stats.sent_batches += 1
        self.stats.sent_points += batch.points
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            return
        if not isinstance(answer, dict):
            return
        if answer.get("replayed"):
            self.stats.replayed_batches += 1
        rejected = answer.get("rejected") or []
        if isinstance(rejected, list) and rejected:
            self.stats.rejected_lines += len(rejected)
            for item in rejected:
                reason = str(item.get("reason", "")) if isinstance(item, dict) else str(item)
                self._once.log(logs.WARNING, f"server rejected a line: {reason}")

    def _retry(self, message: str, hint_seconds: float | None, status: int) -> Outcome:
        self.stats.retries += 1
        self.stats.last_error = message
        delay = self.backoff_seconds()
        if hint_seconds is not None:
            hint = min(hint_seconds, self.retry.max_retry_after_seconds)
            delay = hint + self._rng.uniform(0, max(0.05, hint * 0.1))
        self._failures += 1
        self._outage.log(logs.WARNING, f"{message}; will retry")
        log.debug("retrying in %.2f s", delay)
        return Outcome("retry", delay, status)

    def run(
        self, stop: threading.Event, idle_wait_seconds: float = 5.0, between: Callable[[], float] | None = None
    ) -> None:
        """Send until ``stop`` is set; sleeps while the spool is empty or the server is away.

        ``between``, if given, is another job for this thread: it is called before a send when it
        is due, and returns the seconds until it is due again. (The agent sends its daily host
        inventory this way rather than from a thread of its own: a thread's stack and malloc
        arena cost about 0.3 MiB resident.)
        """
        between_due = 0.0
        while not stop.is_set():
            wait = idle_wait_seconds
            if between is not None:
                now = time.monotonic()
                if now >= between_due:
                    try:
                        between_due = now + between()
                    except Exception:  # noqa: BLE001 - the other job must not end all sending
                        log.exception("job run between sends failed; again in 60 s")
                        between_due = now + 60.0
                wait = min(wait, max(0.0, between_due - time.monotonic()))
            try:
                outcome = self.send_one(wait_seconds=wait)
            except SpoolError as exc:
                self._once.log(logs.ERROR, str(exc))
                stop.wait(5.0)
                continue
            except Exception:  # noqa: BLE001 - a bug here must not silently end all sending
                log.exception("sender failed; going on in 5 s")
                stop.wait(5.0)
                continue
            if outcome.kind == "retry":
                stop.wait(outcome.delay_seconds)
        self.client.close()
