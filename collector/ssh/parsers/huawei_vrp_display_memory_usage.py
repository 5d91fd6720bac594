"""Huawei VRP ``display memory-usage``: total and used memory of the system."""

from __future__ import annotations

import re

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "huawei_vrp"
SOURCE = "exec"
COMMAND = "display memory-usage"

_TOTAL = re.compile(r"System Total Memory Is:\s*(\d+)\s*bytes", re.IGNORECASE)
_USED = re.compile(r"Total Memory Used Is:\s*(\d+)\s*bytes", re.IGNORECASE)
_PERCENT = re.compile(r"Memory Using Percentage Is:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


def parse(text: str) -> list[Reading]:
    head = text[:20_000]
    total, used, percent = _TOTAL.search(head), _USED.search(head), _PERCENT.search(head)
    if total is None or used is None:
        raise ParseError("display memory-usage: no total/used memory lines")
    total_bytes, used_bytes = int(total.group(1)), int(used.group(1))
    if used_bytes > total_bytes:
        raise ParseError("display memory-usage: used memory exceeds total")
    fields: dict[str, float | int] = {"total_bytes": total_bytes, "used_bytes": used_bytes}
    fields["used_percent"] = (float(percent.group(1)) if percent is not None
                              else round(used_bytes / total_bytes * 100, 4) if total_bytes else 0.0)
    return [Reading("device_mem", fields, {"unit": "system"})]
