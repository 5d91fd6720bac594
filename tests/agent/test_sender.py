"""The sender against a real HTTP peer that fails on demand (see FaultServer's docstring)."""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from vigil.agent import __version__
from vigil.agent.config import RetrySection
from vigil.agent.sender import Batcher, Sender, retry_after_seconds
from vigil.agent.spool import Spool
from vigil.agent.transport import HttpClient
from vigil.agent.wire import Point

from tests.agent.conftest import FaultServer, Reply

FAST_RETRY = RetrySection(initial_backoff_seconds=0.01, max_backoff_seconds=0.05, max_retry_after_seconds=5)


def _points(n: int, series: int = 3, start_ns: int = 1_700_000_000_000_000_000) -> list[Point]:
    return [
        Point("cpu", {"cpu": str(i % series)}, {"util_percent": float(i)}, start_ns + (i // series) * 10**10)
        for i in range(n)
    ]


def _sender(spool: Spool, server: FaultServer) -> Sender:
    return Sender(spool, HttpClient(server.url, timeout_seconds=5), "cred-secret", FAST_RETRY, random.Random(1))


def test_batches_are_gzipped_authorised_and_carry_ids(tmp_path: Path, fault_server: FaultServer) -> None:
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        batcher = Batcher(spool, max_bytes=600, max_age_seconds=60)
        batcher.add(_points(30))
        batcher.flush()
        sender = _sender(spool, fault_server)
        while sender.send_one().kind == "sent":
            pass
        assert spool.stats().pending_batches == 0
    assert len(fault_server.order) > 1  # split by size
    assert fault_server.points() == _points(30)
    for headers in fault_server.requests:
        assert headers["Authorization"] == "Bearer cred-secret"
        assert headers["Content-Encoding"] == "gzip"
        assert 0 < len(headers["X-Vigil-Batch-Id"]) <= 64
        # The server keeps the host's agent version from every batch, not only from enrolment.
        assert headers["X-Vigil-Version"] == __version__


def test_batch_age_triggers_a_flush(tmp_path: Path) -> None:
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        batcher = Batcher(spool, max_bytes=1 << 16, max_age_seconds=0.05)
        batcher.add(_points(2))
        batcher.flush_if_due()
        assert spool.stats().pending_batches == 0
        time.sleep(0.06)
        batcher.flush_if_due()
        assert spool.stats().pending_batches == 1


@pytest.mark.parametrize("status", [400, 401, 413])
def test_other_4xx_drops_the_batch_counts_it_and_logs_the_reason_once(
    tmp_path: Path, fault_server: FaultServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    reason = f"nope-{status}"
    fault_server.script = [Reply(status, body={"detail": reason}), Reply(status, body={"detail": reason})]
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        spool.append(b"cpu util_percent=2.0 2\n", 1)
        spool.append(b"cpu util_percent=3.0 3\n", 1)
        sender = _sender(spool, fault_server)
        with caplog.at_level(logging.INFO, logger="vigil.agent.sender"):
            outcomes = [sender.send_one().kind for _ in range(3)]
        assert outcomes == ["refused", "refused", "sent"]
        assert sender.stats.refused_batches == 2 and sender.stats.refused_points == 2
        assert spool.stats().pending_batches == 0
    assert len(fault_server.requests) == 3  # no retry of the refused ones
    assert [r.message for r in caplog.records if reason in r.message and r.levelno >= logging.ERROR] == [
        f"server refused a batch with {status}, dropping it: {reason}"
    ]
    assert [p.fields["util_percent"] for p in fault_server.points()] == [3.0]


def test_429_honours_retry_after_and_500_backs_off(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.script = [Reply(429, headers={"Retry-After": "2"}), Reply(500), Reply(503)]
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        sender = _sender(spool, fault_server)
        first = sender.send_one()
        assert first.kind == "retry" and first.status == 429
        assert 2.0 <= first.delay_seconds <= 2.2
        second, third = sender.send_one(), sender.send_one()
        assert (second.kind, second.status, third.kind, third.status) == ("retry", 500, "retry", 503)
        assert 0 < second.delay_seconds <= FAST_RETRY.max_backoff_seconds
        assert sender.send_one().kind == "sent"
        assert spool.stats().pending_batches == 0
    assert len(fault_server.points()) == 1


def test_backoff_grows_with_jitter_up_to_the_cap(tmp_path: Path, fault_server: FaultServer) -> None:
    retry = RetrySection(initial_backoff_seconds=1, max_backoff_seconds=30, max_retry_after_seconds=60)
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        sender = Sender(spool, HttpClient(fault_server.url), "c", retry, random.Random(7))
        delays = []
        for failures in range(8):
            sender._failures = failures
            delays.append(sender.backoff_seconds())
    ceilings = [min(30, 2**n) for n in range(8)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)


def test_retry_after_as_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = retry_after_seconds(format_datetime(when, usegmt=True))
    assert seconds is not None and 25 <= seconds <= 31
    assert retry_after_seconds("garbage") is None
    assert retry_after_seconds("7") == 7.0


def test_accepted_then_dropped_connection_is_retried_and_the_replay_dropped(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    # The server stores the batch and then drops the connection without answering.
    fault_server.script = [Reply(200, drop=True, commit=True)]
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        sender = _sender(spool, fault_server)
        assert sender.send_one().kind == "retry"
        assert spool.stats().pending_batches == 1  # not acknowledged: it may not have arrived
        assert sender.send_one().kind == "sent"
        assert sender.stats.replayed_batches == 1
    assert len(fault_server.points()) == 1
    assert len(fault_server.replays) == 1


def test_server_away_then_back(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.stop()
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        sender = _sender(spool, fault_server)
        outcome = sender.send_one()
        assert outcome.kind == "retry"
        assert "unreachable" in sender.stats.last_error
        fault_server.start()
        assert sender.send_one().kind == "sent"


def test_each_outage_is_logged_once_and_its_end_too(
    tmp_path: Path, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    with Spool(tmp_path, max_bytes=1 << 20) as spool, caplog.at_level(logging.INFO, logger="vigil.agent.sender"):
        sender = _sender(spool, fault_server)
        for outage in range(2):
            spool.append(f"cpu util_percent={outage}.0 1\n".encode(), 1)
            fault_server.script = [Reply(500, body={"detail": "db down"})] * 3
            assert [sender.send_one().kind for _ in range(4)] == ["retry", "retry", "retry", "sent"]
    messages = [r.message for r in caplog.records if r.levelno >= logging.INFO]
    assert messages.count("server answered 500: db down; will retry") == 2
    assert messages.count("delivering again after 3 failed attempts") == 2


def test_rejected_lines_are_counted(tmp_path: Path, fault_server: FaultServer) -> None:
    rejected = {"batch_id": "x", "accepted": 1, "rejected": [{"line": 2, "reason": "unknown field"}], "replayed": False}
    fault_server.script = [Reply(200, body=rejected)]
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(b"cpu util_percent=1.0 1\ncpu bogus=1.0 1\n", 2)
        sender = _sender(spool, fault_server)
        assert sender.send_one().kind == "sent"
        assert sender.stats.rejected_lines == 1


def test_run_loop_stops_promptly(tmp_path: Path, fault_server: FaultServer) -> None:
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        sender = _sender(spool, fault_server)
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop, 0.05))
        thread.start()
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        deadline = time.monotonic() + 10
        while not fault_server.order and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        spool.wake()
        thread.join(10)
        assert not thread.is_alive()
    assert len(fault_server.points()) == 1


def test_payload_on_the_wire_is_the_spooled_batch(tmp_path: Path, fault_server: FaultServer) -> None:
    body = b"mem used_bytes=1i 5\n"
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        spool.append(body, 1)
        assert _sender(spool, fault_server).send_one().kind == "sent"
    assert fault_server.points()[0].fields == {"used_bytes": 1}


def test_a_job_between_sends_runs_when_due_and_its_failure_does_not_stop_sending(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    calls: list[float] = []

    def between() -> float:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("odd host")  # logged; tried again in 60 s, batches go on
        return 0.1

    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        sender = _sender(spool, fault_server)
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop, 5.0), kwargs={"between": between})
        thread.start()
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        spool.append(b"cpu util_percent=1.0 1\n", 1)
        while not fault_server.order and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        spool.wake()
        thread.join(10)
        assert not thread.is_alive()
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.1  # at start, then when due (not every 5 s)
    assert len(fault_server.points()) == 1
