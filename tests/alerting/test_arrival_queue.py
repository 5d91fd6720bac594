"""The arrival queue: which devices an arrival round takes, and when.

A device that keeps sending is taken at most once per interval; what it sends meanwhile waits
and is taken when the interval has passed, with the arrival time of its oldest waiting batch.
Time is a controlled clock here (``take(0)`` never sleeps), except in the last test, which
lets a real worker thread wait on the real clock.
"""

from __future__ import annotations

import threading

from vigil.server.alerting.install import ArrivalQueue

A, B = ("acme", "web01"), ("acme", "sw1")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_device_that_keeps_sending_is_taken_once_per_interval() -> None:
    clock = Clock()
    queue = ArrivalQueue(min_interval_seconds=2.0, clock=clock)
    queue.put([A], 1)
    assert queue.take(0) == {A: 1}
    queue.put([A], 2)
    queue.put([A], 3)
    queue.put([B], 4)  # another device is not held back by A
    assert queue.take(0) == {B: 4}
    clock.now += 1.9
    assert queue.take(0) == {}  # A's batches wait: nothing is lost, nothing is due
    clock.now += 0.1
    assert queue.take(0) == {A: 2}  # the oldest waiting batch's arrival time
    assert queue.take(0) == {}
    clock.now += 2.0
    assert queue.take(0) == {}  # taken and then silent: nothing pending
    queue.put([A], 5)
    assert queue.take(0) == {A: 5}  # the interval has passed: due at once


def test_without_an_interval_every_arrival_is_due() -> None:
    clock = Clock()
    queue = ArrivalQueue(min_interval_seconds=0.0, clock=clock)
    queue.put([A, B], 1)
    assert queue.take(0) == {A: 1, B: 1}
    queue.put([A], 2)
    assert queue.take(0) == {A: 2}


def test_take_waits_for_a_deferred_device_to_become_due() -> None:
    queue = ArrivalQueue(min_interval_seconds=0.05)
    queue.put([A], 1)
    assert queue.take(5) == {A: 1}
    queue.put([A], 2)
    taken: list[dict[tuple[str, str], int]] = []
    worker = threading.Thread(target=lambda: taken.append(queue.take(30)))
    worker.start()
    worker.join(60)
    assert taken == [{A: 2}]


def test_take_gives_up_after_its_timeout_when_nothing_is_due() -> None:
    queue = ArrivalQueue(min_interval_seconds=60.0)
    queue.put([A], 1)
    assert queue.take(0) == {A: 1}
    queue.put([A], 2)
    assert queue.take(0.01) == {}
