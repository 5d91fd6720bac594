"""The heaviest processes: the top N by CPU and the top N by resident memory.

Only these 2N series exist at any time (``rank`` 1..N under ``rank_by`` cpu or memory), so the
tag cardinality stays bounded however many processes come and go. Process names come from the
host and are untrusted: they are cut to a safe character set and length before they become tags.
"""

from __future__ import annotations

import re

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import Point

DEFAULT_INTERVAL_SECONDS = 30.0

_UNSAFE = re.compile(r"[^A-Za-z0-9._@:+-]")
NAME_MAX_CHARS = 48


class Options(Record):
    top_n: int = 5


def sanitise_name(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name.strip())[:NAME_MAX_CHARS]
    return cleaned or "_"


def collect(ctx: CollectContext) -> list[Point]:
    top_n: int = ctx.options.top_n
    previous: dict[tuple[int, float], float] = ctx.state.get("cpu_seconds", {})
    last_time: float | None = ctx.state.get("time")
    now = ctx.monotonic_seconds
    current: dict[tuple[int, float], float] = {}
    rows = []
    for proc in psutil.process_iter(["pid", "name", "cpu_times", "memory_info", "create_time"]):
        info = proc.info
        times, memory = info.get("cpu_times"), info.get("memory_info")
        if times is None or memory is None:
            continue  # gone, or not ours to read
        key = (info["pid"], info.get("create_time") or 0.0)
        cpu_seconds = float(times.user + times.system)
        current[key] = cpu_seconds
        cpu_percent = None
        if last_time is not None and key in previous and now > last_time:
            cpu_percent = max(0.0, (cpu_seconds - previous[key]) / (now - last_time) * 100.0)
        rows.append((info["pid"], sanitise_name(info.get("name") or ""), cpu_percent, int(memory.rss)))
    ctx.state["cpu_seconds"], ctx.state["time"] = current, now
    points = []
    by_memory = sorted(rows, key=lambda r: r[3], reverse=True)[:top_n]
    with_cpu = [r for r in rows if r[2] is not None]
    by_cpu = sorted(with_cpu, key=lambda r: r[2] or 0.0, reverse=True)[:top_n]
    for rank_by, chosen in (("cpu", by_cpu), ("memory", by_memory)):
        for rank, (pid, name, cpu_percent, rss) in enumerate(chosen, start=1):
            fields: dict[str, float | int] = {"rss_bytes": rss, "pid": pid}
            if cpu_percent is not None:
                fields["cpu_percent"] = cpu_percent
            tags = {"process": name, "rank_by": rank_by, "rank": str(rank)}
            points.append(Point("procstat", tags, dict(fields), ctx.now_ns))
    return points
