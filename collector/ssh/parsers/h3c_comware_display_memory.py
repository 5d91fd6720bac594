"""H3C / HPE Comware 7 ``display memory``: total and used memory of every slot.

ntc-templates has no ``hp_comware`` template for this command, so this is a pure parser. The
output says ``Memory statistics are measured in KB:``; each ``Slot N:`` (or ``Chassis N Slot
N:``) block has a ``Mem:`` row ``Total Used Free Shared Buffers Cached FreeRatio``.
``used_percent`` is the device's own figure, 100 - FreeRatio, as an engineer reads it on the
console; ``used_bytes`` is the ``Used`` column (it counts buffers and cache, like ``free``).
"""

from __future__ import annotations

import re

from vigil.collector.device_text import device_tag
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "h3c_comware"
SOURCE = "exec"
COMMAND = "display memory"
MAX_SLOTS = 64

_UNIT_KB = re.compile(r"measured in KB", re.IGNORECASE)
_SLOT = re.compile(r"^[ \t]*((?:Chassis[ \t]+\d+[ \t]+)?Slot[ \t]+\d+(?:[ \t]+CPU[ \t]+\d+)?)[ \t]*:", re.MULTILINE)
_MEM = re.compile(r"^[ \t]*Mem:[ \t]+(\d+)[ \t]+(\d+)[ \t]+(\d+)(?:[ \t]+\d+){3}[ \t]+(\d{1,3}(?:\.\d+)?)%",
                  re.MULTILINE)


def parse(text: str) -> list[Reading]:
    head = text[:100_000]
    if not _UNIT_KB.search(head):
        raise ParseError("display memory: no 'measured in KB' line (not Comware 7 output)")
    slots = list(_SLOT.finditer(head))
    if not slots:
        raise ParseError("display memory: no 'Slot N:' block")
    readings = []
    for number, slot in enumerate(slots[:MAX_SLOTS]):
        end = slots[number + 1].start() if number + 1 < len(slots) else len(head)
        row = _MEM.search(head, slot.end(), end)
        if row is None:
            raise ParseError(f"display memory: no 'Mem:' row for {slot.group(1)[:40]!r}")
        total_kb, used_kb, _free_kb = (int(row.group(i)) for i in (1, 2, 3))
        free_ratio = float(row.group(4))
        if used_kb > total_kb or free_ratio > 100:
            raise ParseError(f"display memory: inconsistent 'Mem:' row for {slot.group(1)[:40]!r}")
        fields: dict[str, float | int] = {"total_bytes": total_kb * 1024, "used_bytes": used_kb * 1024,
                                          "used_percent": round(100.0 - free_ratio, 4)}
        unit = device_tag(" ".join(slot.group(1).split()))
        readings.append(Reading("device_mem", fields, {"unit": unit}))
    return readings
