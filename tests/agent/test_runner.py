"""The whole agent in a thread (as ``vigil demo`` runs it), shipping real collections."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from vigil.agent.collectors import CollectContext, CollectorSpec
from vigil.agent.config import CollectorSettings, from_dict
from vigil.agent.enrollment import Credential
from vigil.agent.runner import Agent, CollectorRun, CollectorSet
from vigil.agent.spool import Spool
from vigil.agent.wire import Point

from tests.agent.conftest import FaultServer

INVENTORY_KEYS = {
    "os", "kernel", "hostname", "cpu_model", "cpu_cores", "cpu_threads", "memory_bytes", "vendor", "model",
    "serial", "agent_version", "disks", "interfaces", "extra",
}  # fmt: skip


def fast_config(state_dir: Path, interval: float = 0.2) -> dict[str, object]:
    return {
        "agent": {
            "state_dir": str(state_dir),
            "interval_seconds": interval,
            "self_metrics_interval_seconds": interval,
        },
        "batch": {"max_age_seconds": interval},
        "retry": {"initial_backoff_seconds": 0.05, "max_backoff_seconds": 0.2},
    }


def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_agent_ships_every_family_self_metrics_and_inventory_through_an_outage(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    config = from_dict(fast_config(tmp_path))
    cred = Credential(fault_server.url, "n-1", "cred-secret", "acme", "hq", "host1")
    agent = Agent(config, credential=cred)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    thread.start()
    try:
        _wait(lambda: len(fault_server.order) >= 2)
        # One shipping thread: batches, and the inventory between them.
        assert [t.name for t in threading.enumerate() if t.name.startswith("vigil-agent")] == ["vigil-agent-sender"]
        fault_server.stop()  # the server goes away for a while...
        time.sleep(1.0)
        assert agent.spool is not None
        _wait(lambda: agent.spool is not None and agent.spool.stats().pending_batches > 0)
        fault_server.start()  # ...and comes back
        _wait(lambda: agent.spool is not None and agent.spool.stats().pending_batches == 0)
        _wait(lambda: {"cpu", "mem", "disk", "diskio", "net", "system", "procstat", "agent"}
              <= {p.measurement for p in fault_server.points()})  # fmt: skip
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    points = fault_server.points()
    per_series: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for p in points:
        per_series[(p.measurement, tuple(sorted(p.tags.items())))].append(p.time_ns)
    for key, times in per_series.items():
        assert times == sorted(times) and len(times) == len(set(times)), key
    health = [p for p in points if p.measurement == "agent" and not p.tags]
    assert health and health[-1].fields["version"]
    assert any(p.fields.get("spool_bytes", 0) for p in health)  # the outage was visible
    per_collector = {p.tags["collector_name"] for p in points if p.measurement == "agent" and p.tags}
    assert {"cpu", "mem", "disk"} <= per_collector
    assert fault_server.inventory and set(fault_server.inventory[0]) == INVENTORY_KEYS
    assert fault_server.inventory[0]["memory_bytes"] > 0
    assert all("mac" in i and "addresses" in i for i in fault_server.inventory[0]["interfaces"])


def test_self_metrics_report_losses_a_failing_collector_and_timings(
    tmp_path: Path, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    raw = fast_config(tmp_path)
    raw["spool"] = {"max_bytes": 16 * 1024, "segment_bytes": 4096, "fsync": False}
    raw["batch"] = {"max_bytes": 4096, "max_age_seconds": 0.2}
    config = from_dict(raw)
    # An earlier run of the agent filled its spool while the server was away: the loss is
    # counted in the spool's cursor and must be reported after a restart, exactly.
    with Spool(config.spool_dir, max_bytes=16 * 1024, segment_max_bytes=4096, fsync=False) as spool:
        for i in range(60):
            spool.append(b"".join(b"mem used_bytes=%di %d\n" % (i, 10**18 + i * 10 + k) for k in range(30)), 30)
        dropped = spool.stats().dropped_points
    assert dropped > 0

    def broken(ctx: CollectContext) -> list[Point]:
        raise RuntimeError("sensor bus on fire")

    cred = Credential(fault_server.url, "n-1", "cred-secret", "acme", "hq", "host1")
    agent = Agent(config, credential=cred)
    agent.collectors.runs.append(
        CollectorRun(
            CollectorSettings("broken", True, 0.2, None),
            CollectorSpec("broken", 0.2, object, broken),
            CollectContext(options=None),
        )
    )

    def health() -> list[Point]:
        return [p for p in fault_server.points() if p.measurement == "agent"]

    def failures_reported() -> bool:
        counts = [p.fields["collector_errors_count"] for p in health() if p.tags.get("collector_name") == "broken"]
        return bool(counts) and int(counts[-1]) >= 2

    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    with caplog.at_level(logging.DEBUG, logger="vigil.agent"):
        thread.start()
        try:
            _wait(failures_reported)
            _wait(lambda: any(p.fields.get("send_latency_seconds", 0) for p in health() if not p.tags))
            fault_server.stop()  # now data waits: its age and size are reported
            _wait(lambda: agent.spool is not None and agent.spool.stats().pending_batches > 0)
            waiting = next(p for p in agent.self_points() if not p.tags)
        finally:
            stop.set()
            thread.join(30)
    assert not thread.is_alive()
    for point in health():
        if not point.tags:
            assert point.fields["dropped_points_count"] == dropped  # no new losses, the old ones kept
    assert float(waiting.fields["oldest_unsent_age_seconds"]) > 0
    assert int(waiting.fields["spool_bytes"]) > 0 and int(waiting.fields["pending_points_count"]) > 0
    per_collector = {p.tags["collector_name"]: p for p in health() if p.tags}
    assert int(per_collector["mem"].fields["collector_errors_count"]) == 0
    assert float(per_collector["mem"].fields["collect_duration_seconds"]) > 0
    # The failure is a log line too: once at ERROR, repeats only at debug.
    lines = [r for r in caplog.records if r.getMessage() == "collector broken failed: RuntimeError: sensor bus on fire"]
    assert [r.levelno for r in lines if r.levelno >= logging.ERROR] == [logging.ERROR]
    assert len(lines) >= 2


def test_each_collector_runs_on_its_own_interval() -> None:
    """The schedule is driven by the ``now`` handed in, so it is checked on controlled time."""
    calls: dict[str, list[float]] = defaultdict(list)

    def run(name: str, interval: float) -> CollectorRun:
        def collect(ctx: CollectContext) -> list[Point]:
            calls[name].append(now)
            return [Point("mem", {}, {"used_bytes": 1}, 1)]

        return CollectorRun(
            CollectorSettings(name, True, interval, None),
            CollectorSpec(name, interval, object, collect),
            CollectContext(options=None),
        )

    collector_set = CollectorSet([run("fast", 1.0), run("slow", 3.0)])
    for now in [float(t) for t in range(10)]:
        collector_set.run_due(now)
    assert calls == {"fast": [float(t) for t in range(10)], "slow": [0.0, 3.0, 6.0, 9.0]}
    assert collector_set.next_due() == 10.0
    # After a long stall (a suspended VM) each runs once, then keeps its interval from then on.
    now = 100.5
    collector_set.run_due(now)
    assert (calls["fast"][-1], calls["slow"][-1]) == (100.5, 100.5)
    assert [r.next_due for r in collector_set.runs] == [101.5, 103.5]


def test_inventory_is_sent_at_start_and_again_every_interval(tmp_path: Path, fault_server: FaultServer) -> None:
    raw = fast_config(tmp_path)
    raw["agent"] = {**raw["agent"], "inventory_interval_seconds": 0.2}  # type: ignore[dict-item]
    agent = Agent(from_dict(raw), credential=Credential(fault_server.url, "n-1", "c", "acme", "hq", "host1"))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    thread.start()
    try:
        _wait(lambda: len(fault_server.inventory) >= 3)
    finally:
        stop.set()
        thread.join(30)
    assert agent.inventory_sent >= 3
    assert all(set(doc) == INVENTORY_KEYS for doc in fault_server.inventory)
