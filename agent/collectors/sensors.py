"""Hardware sensors where the host exposes them: temperatures, fan speeds, battery charge.

Virtual machines usually expose none; then this family yields nothing.
"""

from __future__ import annotations

import re

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import Point

DEFAULT_INTERVAL_SECONDS = 60.0

_UNSAFE = re.compile(r"[^A-Za-z0-9._:+-]")


class Options(Record):
    pass


def _sensor_name(chip: str, label: str, index: int) -> str:
    """``chip/label`` (the index when there is no label), each part cut to a safe set of characters.

    Made part by part: the slash between them is ours and stays; one inside a part is the host's.
    """
    return f"{_UNSAFE.sub('_', chip)}/{_UNSAFE.sub('_', label or str(index))}"[:64]


def collect(ctx: CollectContext) -> list[Point]:
    points = []
    temperatures = getattr(psutil, "sensors_temperatures", None)
    for chip, entries in (temperatures() if temperatures else {}).items():
        for index, entry in enumerate(entries):
            tags = {"sensor": _sensor_name(chip, entry.label, index), "kind": "temperature"}
            points.append(Point("sensors", tags, {"temperature_celsius": float(entry.current)}, ctx.now_ns))
    fans = getattr(psutil, "sensors_fans", None)
    for chip, entries in (fans() if fans else {}).items():
        for index, entry in enumerate(entries):
            tags = {"sensor": _sensor_name(chip, entry.label, index), "kind": "fan"}
            points.append(Point("sensors", tags, {"fan_rpm": float(entry.current)}, ctx.now_ns))
    battery_reader = getattr(psutil, "sensors_battery", None)
    battery = battery_reader() if battery_reader else None
    if battery is not None:
        tags = {"sensor": "battery", "kind": "battery"}
        points.append(Point("sensors", tags, {"battery_percent": float(battery.percent)}, ctx.now_ns))
    return points
