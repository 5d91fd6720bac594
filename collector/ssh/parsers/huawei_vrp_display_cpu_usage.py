"""Huawei VRP ``display cpu-usage``: the system CPU utilisation (one-minute figure if shown)."""

from __future__ import annotations

import re

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "huawei_vrp"
SOURCE = "exec"
COMMAND = "display cpu-usage"

_ONE_MINUTE = re.compile(r"one minute:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
_CURRENT = re.compile(r"^\s*CPU Usage\s*:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE | re.MULTILINE)


def parse(text: str) -> list[Reading]:
    head = text[:20_000]
    match = _ONE_MINUTE.search(head) or _CURRENT.search(head)
    if match is None:
        raise ParseError("display cpu-usage: no CPU utilisation figure")
    value = float(match.group(1))
    if not 0 <= value <= 100:
        raise ParseError(f"display cpu-usage: {value}% is not a percentage")
    return [Reading("device_cpu", {"util_percent": value}, {"unit": "system"})]
