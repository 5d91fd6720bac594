"""H3C / HPE Comware 7 ``display cpu-usage``: CPU utilisation of every slot and CPU (one-minute
figure). ntc-templates has no ``hp_comware`` template for this command, so this is a pure parser.

Two block headers exist: ``Slot 1 CPU 0 CPU usage:`` (chassis and IRF members) and
``Unit CPU usage:`` (centralised devices and virtual routers), each followed by
``N% in last 5 seconds / 1 minute / 5 minutes``. ``Unit`` becomes ``unit=system``.
"""

from __future__ import annotations

import re

from vigil.collector.device_text import device_tag
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "h3c_comware"
SOURCE = "exec"
COMMAND = "display cpu-usage"
MAX_UNITS = 64

_HEADER = re.compile(r"^[ \t]*(\S[^\n]{0,80}?)[ \t]+CPU usage:[ \t]*$", re.MULTILINE)
_ONE_MINUTE = re.compile(r"^[ \t]*(\d{1,3}(?:\.\d+)?)%[ \t]+in last 1 minute", re.MULTILINE)


def parse(text: str) -> list[Reading]:
    head = text[:100_000]
    headers = list(_HEADER.finditer(head))
    if not headers:
        raise ParseError("display cpu-usage: no 'CPU usage:' block")
    readings = []
    for number, header in enumerate(headers[:MAX_UNITS]):
        end = headers[number + 1].start() if number + 1 < len(headers) else len(head)
        figure = _ONE_MINUTE.search(head, header.end(), end)
        if figure is None:
            raise ParseError(f"display cpu-usage: no one-minute figure for {header.group(1)[:40]!r}")
        value = float(figure.group(1))
        if value > 100:
            raise ParseError(f"display cpu-usage: {value}% is not a percentage")
        name = header.group(1).strip()
        unit = "system" if name == "Unit" else device_tag(name)
        readings.append(Reading("device_cpu", {"util_percent": value}, {"unit": unit}))
    return readings
