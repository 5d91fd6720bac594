"""Per-second rates from monotonically increasing counters, with wrap-around and reset handling.

A counter that goes down either wrapped (it was near the top of a 32- or 64-bit range and is now
near zero: the difference is taken across the wrap) or was reset (a reboot, a driver reload, a
device that came back): then no rate is produced for that one sample, never a huge negative or
positive spike.
"""

from __future__ import annotations

from collections.abc import Hashable

_WRAP_RANGES = (2**32, 2**64)


def counter_delta(previous: float, current: float) -> float | None:
    """The increase from ``previous`` to ``current``; None when the counter was reset."""
    if current >= previous:
        return current - previous
    for top in _WRAP_RANGES:
        # A wrap leaves the old value in the top quarter and the new one in the bottom quarter.
        if previous < top and previous >= top * 0.75 and current < top * 0.25:
            return top - previous + current
    return None


class RateTracker:
    """Remembers the last value of each counter and turns the next one into a rate.

    ``sweep()`` after a collection forgets counters that were not seen in it, so interfaces and
    disks that disappear do not keep memory forever.
    """

    def __init__(self) -> None:
        self._last: dict[Hashable, tuple[float, float]] = {}
        self._seen: set[Hashable] = set()

    def rate(self, key: Hashable, value: float, now_seconds: float) -> float | None:
        """Per-second rate since the previous call for ``key``; None on the first call or a reset."""
        self._seen.add(key)
        previous = self._last.get(key)
        self._last[key] = (float(value), now_seconds)
        if previous is None:
            return None
        elapsed = now_seconds - previous[1]
        if elapsed <= 0:
            return None
        delta = counter_delta(previous[0], float(value))
        if delta is None:
            return None
        return delta / elapsed

    def sweep(self) -> None:
        for key in list(self._last):
            if key not in self._seen:
                del self._last[key]
        self._seen.clear()
