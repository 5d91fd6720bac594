"""Counters to per-second rates without spikes.

A rate needs two samples of the same counter. A smaller second value is a wrap of a 32-bit
counter (added back once: 2**32) but a reset of a 64-bit one (no rate: a 64-bit counter does not
wrap in any realistic interval). An agent restart, seen as sysUpTime going back, drops every
previous sample of that device, so the first poll after it yields no rate instead of a spike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Sample:
    value: int
    time_seconds: float


class RateTracker:
    """Previous samples per (device, OID instance); one tracker lives for the collector's life."""

    def __init__(self) -> None:
        self._samples: dict[tuple[str, str], _Sample] = {}
        self._uptimes: dict[str, float] = {}

    def observe_uptime(self, device: str, uptime_seconds: float | None) -> bool:
        """Record the device's sysUpTime; True when it went back (the agent restarted)."""
        if uptime_seconds is None:
            return False
        previous = self._uptimes.get(device)
        self._uptimes[device] = uptime_seconds
        if previous is not None and uptime_seconds < previous:
            self.forget_device(device)
            self._uptimes[device] = uptime_seconds
            return True
        return False

    def forget_device(self, device: str) -> None:
        for key in [k for k in self._samples if k[0] == device]:
            del self._samples[key]
        self._uptimes.pop(device, None)

    def rate(self, device: str, oid: str, value: int, bits: int, time_seconds: float) -> float | None:
        """The per-second rate since the previous sample, or None when there is none to give."""
        key = (device, oid)
        previous = self._samples.get(key)
        self._samples[key] = _Sample(value, time_seconds)
        if previous is None:
            return None
        elapsed = time_seconds - previous.time_seconds
        if elapsed <= 0:
            return None
        delta = value - previous.value
        if delta < 0:
            if bits == 32 and previous.value < 2**32:
                delta += 2**32
            else:
                return None  # 64-bit counter reset or discontinuity
        return delta / elapsed
