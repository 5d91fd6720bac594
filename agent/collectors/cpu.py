"""CPU utilisation, total and per core: user, system, iowait, steal, idle and busy percent.

Shares come from the difference of two ``psutil.cpu_times`` readings, so the first call of an
agent produces nothing and every later call covers exactly the time since the one before.
"""

from __future__ import annotations

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import Point

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import typing
    from typing import Any

DEFAULT_INTERVAL_SECONDS = 10.0


class Options(Record):
    per_core: bool = True


def _split(times: Any) -> dict[str, float]:
    get = lambda name: float(getattr(times, name, 0.0))  # noqa: E731 - absent on some platforms
    # guest time is already counted in user time on Linux; leave it out of the total.
    user = get("user") + get("nice")
    system = get("system") + get("irq") + get("softirq") + get("interrupt") + get("dpc")
    parts = {
        "user": user,
        "system": system,
        "iowait": get("iowait"),
        "steal": get("steal"),
        "idle": get("idle"),
    }
    parts["_total"] = sum(parts.values())
    return parts


def _shares(before: dict[str, float], after: dict[str, float]) -> dict[str, float] | None:
    total = after["_total"] - before["_total"]
    if total <= 0:
        return None
    share = {k: max(0.0, min(100.0, (after[k] - before[k]) / total * 100.0)) for k in before if k != "_total"}
    return {
        "util_percent": max(0.0, 100.0 - share["idle"] - share["iowait"]),
        "user_percent": share["user"],
        "system_percent": share["system"],
        "iowait_percent": share["iowait"],
        "steal_percent": share["steal"],
        "idle_percent": share["idle"],
    }


def collect(ctx: CollectContext) -> list[Point]:
    options: Options = ctx.options
    readings = {"total": _split(psutil.cpu_times())}
    if options.per_core:
        for index, times in enumerate(psutil.cpu_times(percpu=True)):
            readings[str(index)] = _split(times)
    previous: dict[str, dict[str, float]] = ctx.state.get("previous", {})
    ctx.state["previous"] = readings
    points = []
    for cpu, now in readings.items():
        before = previous.get(cpu)
        if before is None:
            continue
        fields = _shares(before, now)
        if fields is not None:
            points.append(Point("cpu", {"cpu": cpu}, dict(fields), ctx.now_ns))
    return points
