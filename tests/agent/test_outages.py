"""Outages: the server away for a simulated hour, and for longer than the spool can hold.

Points are made at 10-second steps of simulated time and shipped through the real batcher,
spool and sender to the fault-injecting HTTP peer; only the clock is compressed.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from pathlib import Path

from vigil.agent.config import RetrySection
from vigil.agent.sender import Batcher, Sender
from vigil.agent.spool import Spool
from vigil.agent.transport import HttpClient
from vigil.agent.wire import Point

from tests.agent.conftest import FaultServer, Reply

RETRY = RetrySection(initial_backoff_seconds=0.005, max_backoff_seconds=0.02, max_retry_after_seconds=0.05)
START_NS = 1_700_000_000_000_000_000
STEP_NS = 10 * 10**9
SERIES = 12


def _interval(step: int) -> list[Point]:
    return [
        Point(
            "cpu", {"cpu": str(s)}, {"util_percent": float(step), "user_percent": float(s)}, START_NS + step * STEP_NS
        )
        for s in range(SERIES)
    ]


def _segments_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path / "segments").glob("*.seg"))


def _wait(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _check_once_and_in_order(points: list[Point]) -> dict[tuple[str, ...], list[int]]:
    per_series: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for p in points:
        per_series[(p.measurement, *sorted(p.tags.values()))].append(p.time_ns)
    for times in per_series.values():
        assert times == sorted(times), "out of order within a series"
        assert len(times) == len(set(times)), "a point arrived twice"
    return per_series


def test_server_down_for_a_simulated_hour(tmp_path: Path, fault_server: FaultServer) -> None:
    cap = 256 * 1024
    steps = 360  # one hour at 10 s
    spool = Spool(tmp_path, max_bytes=cap, segment_max_bytes=16 * 1024, fsync=False)
    batcher = Batcher(spool, max_bytes=4096, max_age_seconds=3600)
    sender = Sender(spool, HttpClient(fault_server.url, timeout_seconds=5), "c", RETRY, random.Random(3))
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop, 0.01))
    rng = random.Random(5)
    fault_server.stop()
    thread.start()
    max_seen = 0
    try:
        for step in range(steps):
            if step == 300:
                # The server comes back, but flaky: errors, throttling and dropped connections.
                fault_server.script = [
                    rng.choice([Reply(500), Reply(429, headers={"Retry-After": "0"}), Reply(200, drop=True)])
                    for _ in range(20)
                ]
                fault_server.start()
            batcher.add(_interval(step))
            if step % 6 == 5:  # a batch a minute
                batcher.flush()
            max_seen = max(max_seen, _segments_bytes(tmp_path), spool.stats().bytes)
        batcher.flush()
        _wait(lambda: spool.stats().pending_batches == 0)
    finally:
        stop.set()
        spool.wake()
        thread.join(10)
        spool.close()
    assert max_seen <= cap
    assert spool.stats().dropped_points == 0
    per_series = _check_once_and_in_order(fault_server.points())
    assert len(per_series) == SERIES
    expected = [START_NS + step * STEP_NS for step in range(steps)]
    assert all(times == expected for times in per_series.values())
    assert sender.stats.retries > 0


def test_outage_longer_than_the_spool_loses_only_the_oldest_and_counts_it(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    cap = 32 * 1024
    steps = 720  # two hours: far more than 32 KiB holds
    spool = Spool(tmp_path, max_bytes=cap, segment_max_bytes=4096, fsync=False)
    batcher = Batcher(spool, max_bytes=1024, max_age_seconds=3600)
    fault_server.stop()
    for step in range(steps):
        batcher.add(_interval(step))
        batcher.flush()
        assert _segments_bytes(tmp_path) <= cap
    fault_server.start()
    sender = Sender(spool, HttpClient(fault_server.url, timeout_seconds=5), "c", RETRY, random.Random(3))
    while sender.send_one().kind != "empty":
        pass
    stats = spool.stats()
    spool.close()
    arrived = fault_server.points()
    total = steps * SERIES
    assert stats.dropped_points > 0
    assert len(arrived) + stats.dropped_points == total  # the count is exact
    _check_once_and_in_order(arrived)
    # Only the oldest went: what arrived is exactly the newest len(arrived) points.
    all_points = [p for step in range(steps) for p in _interval(step)]
    assert arrived == all_points[total - len(arrived) :]
