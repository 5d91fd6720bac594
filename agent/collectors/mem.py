"""Memory and swap: sizes in bytes, shares in percent, swap-in/out as bytes per second."""

from __future__ import annotations

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import FieldValue, Point

DEFAULT_INTERVAL_SECONDS = 10.0


class Options(Record):
    pass


def collect(ctx: CollectContext) -> list[Point]:
    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()
    fields: dict[str, FieldValue] = {
        "total_bytes": int(vm.total),
        "used_bytes": int(vm.used),
        "available_bytes": int(vm.available),
        "cached_bytes": int(getattr(vm, "cached", 0)),
        "used_percent": float(vm.percent),
        "swap_total_bytes": int(swap.total),
        "swap_used_bytes": int(swap.used),
        "swap_used_percent": float(swap.percent),
    }
    for name, counter in (("swap_in", swap.sin), ("swap_out", swap.sout)):
        rate = ctx.rates.rate(name, counter, ctx.monotonic_seconds)
        if rate is not None:
            fields[f"{name}_bytes_per_second"] = rate
    return [Point("mem", {}, fields, ctx.now_ns)]
