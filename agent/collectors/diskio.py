"""Block device I/O per whole disk: bytes and operations per second, busy percent, average wait.

Loop, RAM and optical devices are left out by default, and so are partitions (their I/O is
already in their disk's). Wait is the time operations spent queued and served, divided by the
operations completed in the interval (``iostat``'s await).
"""

from __future__ import annotations

import os
import sys

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import FieldValue, Point

DEFAULT_INTERVAL_SECONDS = 10.0


class Options(Record):
    exclude_prefixes: tuple[str, ...] = ("loop", "ram", "fd", "sr", "zram")
    include_partitions: bool = False


def _whole_disks() -> set[str] | None:
    if sys.platform.startswith("linux") and os.path.isdir("/sys/block"):
        return {name.replace("!", "/") for name in os.listdir("/sys/block")}
    return None


def collect(ctx: CollectContext) -> list[Point]:
    options: Options = ctx.options
    counters = psutil.disk_io_counters(perdisk=True, nowrap=True) or {}
    whole = None if options.include_partitions else _whole_disks()
    now = ctx.monotonic_seconds
    points = []
    for name, io in sorted(counters.items()):
        if name.startswith(options.exclude_prefixes) or (whole is not None and name not in whole):
            continue
        rate = ctx.rates.rate
        values = {
            "read_bytes_per_second": rate((name, "rb"), io.read_bytes, now),
            "write_bytes_per_second": rate((name, "wb"), io.write_bytes, now),
            "read_ops_per_second": rate((name, "ro"), io.read_count, now),
            "write_ops_per_second": rate((name, "wo"), io.write_count, now),
        }
        busy_ms = getattr(io, "busy_time", None)
        if busy_ms is not None:
            busy = rate((name, "busy"), busy_ms, now)
            values["busy_percent"] = None if busy is None else min(100.0, busy / 10.0)
        ops_per_second = (values["read_ops_per_second"] or 0.0) + (values["write_ops_per_second"] or 0.0)
        wait_ms = rate((name, "wait"), io.read_time + io.write_time, now)
        if wait_ms is not None and values["read_ops_per_second"] is not None:
            values["await_seconds"] = wait_ms / ops_per_second / 1000.0 if ops_per_second > 0 else 0.0
        fields: dict[str, FieldValue] = {k: v for k, v in values.items() if v is not None}
        if fields:
            points.append(Point("diskio", {"name": name}, fields, ctx.now_ns))
    return points
