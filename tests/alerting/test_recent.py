"""The recent-samples memory answers like the store it stands in front of, or passes the query on.

The reference is :class:`MemorySource` holding the same points (a complete store); the memory's
fallback is a second, empty one, so any answer taken from the fallback shows up as missing data.
"""

from __future__ import annotations

from vigil.agent.wire import Point
from vigil.checks.model import Query
from vigil.checks.source import MemorySource, tags_of
from vigil.server.alerting.recent import RecentSamples

S = 1_000_000_000
T0 = 1_780_000_000 * S
HOST = {"customer": "acme", "host": "web1"}
CPU_TOTAL = Query("range", "cpu", "util_percent", tags_of({"cpu": "total"}), 300 * S)
MEM = Query("latest", "mem", "used_percent", (), 300 * S)


def memory(planned_at_ns: int = T0 - 3600 * S) -> tuple[RecentSamples, MemorySource, MemorySource]:
    reference, empty = MemorySource(), MemorySource()
    recent = RecentSamples(empty, clock=lambda: planned_at_ns)
    recent.plan([CPU_TOTAL, MEM])
    return recent, reference, empty


def feed(recent: RecentSamples, reference: MemorySource, points: list[Point]) -> None:
    recent.add(points)
    for point in points:
        for name, value in point.fields.items():
            reference.add(point.measurement, point.tags, name, point.time_ns, value)


def cpu(t: int, value: float, core: str = "total") -> Point:
    return Point("cpu", {**HOST, "cpu": core}, {"util_percent": value, "idle_percent": 100 - value}, T0 + t * S)


def test_answers_match_a_complete_store() -> None:
    recent, reference, _ = memory()
    feed(recent, reference, [cpu(t, 10 + t % 50) for t in range(0, 900, 10)])
    feed(recent, reference, [Point("mem", HOST, {"used_percent": 42.0}, T0 + 890 * S)])
    at = T0 + 890 * S
    filters = {"customer": "acme", "host": "web1", "cpu": "total"}
    assert recent.range("cpu", "util_percent", filters, at - 300 * S + 1, at) == reference.range(
        "cpu", "util_percent", filters, at - 300 * S + 1, at)
    assert recent.latest("mem", "used_percent", HOST, at, 300 * S) == reference.latest(
        "mem", "used_percent", HOST, at, 300 * S)
    assert recent.answered == 2 and recent.passed_on == 0


def test_keeps_only_what_rules_read() -> None:
    recent, reference, empty = memory()
    feed(recent, reference, [cpu(0, 50, core="3")])
    # cpu=3 is not read by any rule and idle_percent by none: neither is kept, both go to the
    # (here empty) store.
    assert recent.range("cpu", "util_percent", {**HOST, "cpu": "3"}, T0 - S, T0 + S) == []
    assert recent.latest("cpu", "idle_percent", HOST, T0, 300 * S) == []
    assert recent.passed_on == 2 and recent.answered == 0
    assert recent.range("cpu", "util_percent", {**HOST, "cpu": "total"}, T0 - S, T0 + S) == []
    assert recent.answered == 1


def test_windows_older_than_the_memory_go_to_the_store() -> None:
    recent, reference, _ = memory(planned_at_ns=T0 + 100 * S)
    feed(recent, reference, [cpu(t, 99) for t in range(0, 400, 10)])
    at = T0 + 390 * S
    total = {**HOST, "cpu": "total"}
    recent.range("cpu", "util_percent", total, at - 300 * S + 1, at)  # starts before the memory did
    assert recent.passed_on == 1
    recent.range("cpu", "util_percent", total, at - 200 * S, at)
    assert recent.answered == 1


def test_a_longer_window_than_kept_or_a_future_sample_goes_to_the_store() -> None:
    recent, reference, _ = memory()
    feed(recent, reference, [cpu(t, 99) for t in range(0, 400, 10)])
    total = {**HOST, "cpu": "total"}
    recent.range("cpu", "util_percent", total, T0, T0 + 390 * S)  # 390 s > the 300 s kept
    recent.range("cpu", "util_percent", total, T0 + 100 * S, T0 + 200 * S)  # newer samples exist
    assert recent.passed_on == 2 and recent.answered == 0


def test_late_samples_keep_time_order_and_text_values_stay_latest() -> None:
    recent, reference, _ = memory()
    feed(recent, reference, [cpu(20, 30), cpu(0, 10), cpu(10, 20), cpu(10, 25)])
    rows = recent.range("cpu", "util_percent", {**HOST, "cpu": "total"}, T0 - S, T0 + 20 * S)
    assert [value for _t, value in rows[0][1]] == [10, 25, 30]
    recent.add([Point("mem", HOST, {"used_percent": "n/a"}, T0 + 30 * S)])
    assert recent.latest("mem", "used_percent", HOST, T0 + 30 * S, 60 * S)[0][2] == "n/a"


def test_a_new_plan_trusts_a_new_field_only_from_then() -> None:
    recent, reference, _ = memory()
    feed(recent, reference, [cpu(0, 10)])
    load = Query("range", "system", "load1", (), 600 * S)
    recent.clock = lambda: T0 + 50 * S
    recent.plan([CPU_TOTAL, MEM, load])
    recent.add([Point("system", HOST, {"load1": 3.0}, T0 + 60 * S)])
    recent.range("system", "load1", HOST, T0 - 500 * S, T0 + 100 * S)
    assert recent.passed_on == 1
    # cpu kept its history: its plan did not change.
    recent.range("cpu", "util_percent", {**HOST, "cpu": "total"}, T0 - 100 * S, T0 + 100 * S)
    assert recent.answered == 1


def test_samples_before_the_longest_window_are_left_out_and_never_trusted() -> None:
    """``oldest_read_ns`` is the longest planned window (and a minute) before now: what is
    older need not be kept. A query whose window reaches before the oldest bound handed out
    goes to the store, since the memory may lack its samples."""
    now = [T0]
    reference, empty = MemorySource(), MemorySource()
    recent = RecentSamples(empty, clock=lambda: now[0])
    recent.plan([CPU_TOTAL, MEM])
    now[0] = T0 + 3600 * S
    bound = recent.oldest_read_ns()
    assert bound == now[0] - 300 * S - 60 * S
    points = [cpu(t, 10.0) for t in range(3000, 3600, 10)]
    feed(recent, reference, [p for p in points if p.time_ns >= bound])
    for p in points:
        if p.time_ns < bound:
            reference.add(p.measurement, p.tags, "util_percent", p.time_ns, p.fields["util_percent"])
    filters = {"customer": "acme", "host": "web1", "cpu": "total"}
    at = now[0]
    answer = recent.range("cpu", "util_percent", filters, at - 300 * S, at)
    assert answer == reference.range("cpu", "util_percent", filters, at - 300 * S, at) and answer
    assert recent.answered == 1
    # A round that began more than a minute before the bound was handed out: not trusted.
    early = bound - 1 * S + 300 * S
    assert recent.range("cpu", "util_percent", filters, early - 300 * S, early) == []
    assert recent.passed_on == 1
