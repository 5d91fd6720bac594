"""Network interfaces: bytes, packets, errors and drops per second, link state and speed."""

from __future__ import annotations

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import FieldValue, Point

DEFAULT_INTERVAL_SECONDS = 10.0

_COUNTERS = (
    ("recv_bytes_per_second", "bytes_recv"),
    ("sent_bytes_per_second", "bytes_sent"),
    ("recv_packets_per_second", "packets_recv"),
    ("sent_packets_per_second", "packets_sent"),
    ("recv_errors_per_second", "errin"),
    ("sent_errors_per_second", "errout"),
    ("recv_drops_per_second", "dropin"),
    ("sent_drops_per_second", "dropout"),
)


class Options(Record):
    exclude_interfaces: tuple[str, ...] = ("lo",)
    exclude_prefixes: tuple[str, ...] = ("veth", "docker", "br-", "virbr", "ifb")


def collect(ctx: CollectContext) -> list[Point]:
    options: Options = ctx.options
    counters = psutil.net_io_counters(pernic=True, nowrap=True)
    stats = psutil.net_if_stats()
    points = []
    for name in sorted(set(counters) | set(stats)):
        if name in options.exclude_interfaces or name.startswith(options.exclude_prefixes):
            continue
        fields: dict[str, FieldValue] = {}
        io = counters.get(name)
        if io is not None:
            for field_name, attr in _COUNTERS:
                rate = ctx.rates.rate((name, attr), getattr(io, attr), ctx.monotonic_seconds)
                if rate is not None:
                    fields[field_name] = rate
        stat = stats.get(name)
        if stat is not None:
            fields["up"] = 1 if stat.isup else 0
            if stat.speed > 0:
                fields["speed_bits_per_second"] = int(stat.speed) * 1_000_000
        if fields:
            points.append(Point("net", {"interface": name}, fields, ctx.now_ns))
    return points
