"""Cisco IOS ``show processes cpu``: total CPU (5 s, 1 min, 5 min) via ntc-templates/TextFSM."""

from __future__ import annotations

from ntc_templates.parse import parse_output
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "cisco_ios"
SOURCE = "exec"
COMMAND = "show processes cpu"


def parse(text: str) -> list[Reading]:
    try:
        rows = parse_output(platform="cisco_ios", command=COMMAND, data=text)
    except Exception as exc:  # noqa: BLE001 - TextFSM raises its own tree; translated here
        raise ParseError(f"show processes cpu: {str(exc)[:120]}") from None
    if not rows:
        raise ParseError("show processes cpu: no CPU utilisation line")
    first = rows[0]
    return [Reading("device_cpu", {"util_percent": int(first["cpu_usage_1_min"])}, {"unit": "system"})]
