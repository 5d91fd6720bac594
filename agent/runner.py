"""The running agent: collectors on their own intervals, the spool, the sender and inventory.

``Agent(config).run(stop)`` blocks until ``stop`` is set, so a service, a test or the server's
``vigil demo`` can run it (the demo in a thread). Threads:

- the caller's thread runs the collectors when they are due, adds the agent's own health
  points, and feeds the :class:`~vigil.agent.sender.Batcher`;
- a sender thread ships spooled batches, and between them the host inventory, at start and
  every ``inventory_interval`` (on the same connection; a thread of its own would cost memory).

A collector that raises is counted and logged, and the others go on.
"""

from __future__ import annotations

import functools
import threading
import time

from vigil.agent import __version__, collectors, inventory, logs
from vigil.agent.collectors import CollectContext, CollectorSpec
from vigil.agent.config import AgentConfig, CollectorSettings
from vigil.agent.enrollment import Credential, CredentialError, load_credential
from vigil.agent.sender import Batcher, OnceLogger, Sender
from vigil.agent.spool import Spool
from vigil.agent.transport import HttpClient, TransportError
from vigil.agent.wire import FieldValue, Point

log = logs.get("vigil.agent")


class CollectorRun:
    """One enabled collector with its memory, schedule and health."""

    __slots__ = ("settings", "spec", "ctx", "next_due", "errors", "last_duration_seconds")

    def __init__(self, settings: CollectorSettings, spec: CollectorSpec, ctx: CollectContext) -> None:
        self.settings = settings
        self.spec = spec
        self.ctx = ctx
        self.next_due = 0.0
        self.errors = 0
        self.last_duration_seconds = 0.0

    def run(self, errors: OnceLogger) -> list[Point]:
        self.ctx.tick()
        started = time.perf_counter()
        try:
            points = self.spec.collect(self.ctx)
        except Exception as exc:  # noqa: BLE001 - one broken family must not stop the others
            self.errors += 1
            errors.log(logs.ERROR, f"collector {self.spec.name} failed: {type(exc).__name__}: {exc}")
            points = []
        finally:
            self.last_duration_seconds = time.perf_counter() - started
            self.ctx.rates.sweep()
        return points


class CollectorSet:
    """The enabled collectors, run when due; one failure message of each kind is logged."""

    __slots__ = ("runs", "errors")

    def __init__(self, runs: list[CollectorRun] | None = None) -> None:
        self.runs = runs if runs is not None else []
        self.errors = OnceLogger(log)

    @classmethod
    def from_config(cls, config: AgentConfig) -> CollectorSet:
        runs = [
            CollectorRun(settings, collectors.load(settings.name), CollectContext(options=settings.options))
            for settings in config.enabled_collectors()
        ]
        return cls(runs)

    def run_all(self) -> list[Point]:
        points: list[Point] = []
        for run in self.runs:
            points.extend(run.run(self.errors))
        return points

    def run_due(self, now: float) -> list[Point]:
        points: list[Point] = []
        for run in self.runs:
            if run.next_due <= now:
                points.extend(run.run(self.errors))
                # Keep to the grid; after a long stall, start again from now.
                run.next_due = max(run.next_due + run.settings.interval_seconds, now)
                if run.next_due <= now:
                    run.next_due = now + run.settings.interval_seconds
        return points

    def next_due(self) -> float:
        return min((r.next_due for r in self.runs), default=time.monotonic() + 60.0)


class Agent:
    """The host agent. ``run(stop)`` blocks until ``stop`` is set."""

    def __init__(self, config: AgentConfig, credential: Credential | None = None) -> None:
        self.config = config
        self.credential = credential
        self.spool: Spool | None = None
        self.sender: Sender | None = None
        self.batcher: Batcher | None = None
        self.collectors = CollectorSet.from_config(config)
        self.inventory_sent = 0
        self._inventory_errors = OnceLogger(log)
        self.ready = threading.Event()

    def _server(self, cred: Credential) -> tuple[str, str | None]:
        url = self.config.server.url or cred.server_url
        ca = self.config.server.ca_file or cred.ca_file or None
        return url, ca

    def run(self, stop: threading.Event) -> None:
        cred = self.credential or load_credential(self.config.credential_path)
        url, ca = self._server(cred)
        timeout = self.config.server.timeout_seconds
        try:
            ingest_client = HttpClient(url, ca, timeout)
        except ValueError as exc:
            raise CredentialError(f"{self.config.credential_path}: {exc}") from None
        spool_cfg = self.config.spool
        self.spool = Spool(
            self.config.spool_dir,
            max_bytes=spool_cfg.max_bytes,
            segment_max_bytes=spool_cfg.segment_bytes or None,
            fsync=spool_cfg.fsync,
            lock_wait_seconds=spool_cfg.lock_wait_seconds,
        )
        self.sender = Sender(self.spool, ingest_client, cred.credential, self.config.retry)
        self.batcher = Batcher(self.spool, self.config.batch.max_bytes, self.config.batch.max_age_seconds)
        inner_stop = threading.Event()
        # One thread ships: batches, and the inventory between them (a thread costs ~0.3 MiB).
        send_inventory = functools.partial(self._send_inventory, ingest_client, cred.credential)
        threads = [
            threading.Thread(
                target=self.sender.run,
                args=(inner_stop,),
                kwargs={"between": send_inventory},
                name="vigil-agent-sender",
                daemon=True,
            ),
        ]
        for thread in threads:
            thread.start()
        log.info("agent %s started: server %s, spool %s", __version__, url, self.config.spool_dir)
        self.ready.set()
        try:
            self._collect_loop(stop)
        finally:
            self.batcher.flush()
            inner_stop.set()
            self.spool.wake()
            for thread in threads:
                thread.join(timeout=self.config.server.timeout_seconds + 5)
            self.spool.close()
            log.info("agent stopped")

    def _collect_loop(self, stop: threading.Event) -> None:
        assert self.batcher is not None
        self_interval = self.config.agent.self_metrics_interval_seconds
        next_self = time.monotonic() + self_interval
        while not stop.is_set():
            now = time.monotonic()
            points = self.collectors.run_due(now)
            if now >= next_self:
                points.extend(self.self_points())
                next_self = now + self_interval
            if points:
                self.batcher.add(points)
            self.batcher.flush_if_due()
            # Sleep until the next thing is due: every wake-up costs CPU on an idle host.
            wake = min(self.collectors.next_due(), next_self, self.batcher.due_at())
            stop.wait(max(0.01, wake - time.monotonic()))

    def self_points(self) -> list[Point]:
        """The agent's own health: spool, losses, sending and collection."""
        assert self.spool is not None and self.sender is not None and self.batcher is not None
        spool = self.spool.stats()
        sent = self.sender.stats
        now_ns = time.time_ns()
        fields: dict[str, FieldValue] = {
            "spool_bytes": spool.bytes,
            "pending_points_count": spool.pending_points,
            "oldest_unsent_age_seconds": spool.oldest_unsent_age_seconds,
            "dropped_points_count": spool.dropped_points + self.batcher.unspooled_points,
            "corrupt_segments_count": spool.corrupt_segments,
            "rejected_lines_count": sent.rejected_lines,
            "refused_points_count": sent.refused_points,
            "send_latency_seconds": sent.last_send_latency_seconds,
            "version": __version__,
        }
        points = [Point("agent", {}, fields, now_ns)]
        for run in self.collectors.runs:
            points.append(
                Point(
                    "agent",
                    {"collector_name": run.spec.name},
                    {
                        "collect_duration_seconds": run.last_duration_seconds,
                        "collector_errors_count": run.errors,
                    },
                    now_ns,
                )
            )
        return points

    def _send_inventory(self, client: HttpClient, credential: str) -> float:
        """Send the host inventory once; returns the seconds until the next one (the sender
        thread calls it between batches, on the ingest connection)."""
        delay = self.config.agent.inventory_interval_seconds
        try:
            body = inventory.encode()
        except Exception:  # noqa: BLE001 - an odd host must not end the inventory for good
            log.exception("inventory could not be gathered")
            return delay
        headers = {"Authorization": f"Bearer {credential}", "Content-Type": "application/json"}
        try:
            reply = client.request("PUT", inventory.INVENTORY_PATH, body, headers)
        except TransportError as exc:
            self._inventory_errors.log(logs.WARNING, f"inventory not sent, server unreachable: {exc}")
            return min(delay, 60.0)
        if 200 <= reply.status < 300:
            self.inventory_sent += 1
            log.debug("inventory sent")
        else:
            self._inventory_errors.log(logs.WARNING, f"inventory refused with {reply.status}: {reply.reason()}")
            if reply.status == 429 or reply.status >= 500:
                delay = min(delay, 60.0)
        return delay
