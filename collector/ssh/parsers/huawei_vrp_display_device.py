"""Huawei VRP ``display device``: state of every board, power supply and fan (ntc-templates)."""

from __future__ import annotations

from ntc_templates.parse import parse_output
from vigil.collector.device_text import device_tag
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "huawei_vrp"
SOURCE = "exec"
COMMAND = "display device"
MAX_ROWS = 256


def parse(text: str) -> list[Reading]:
    try:
        rows = parse_output(platform="huawei_vrp", command=COMMAND, data=text)
    except Exception as exc:  # noqa: BLE001 - TextFSM raises its own tree; translated here
        raise ParseError(f"display device: {str(exc)[:120]}") from None
    readings = []
    for row in rows[:MAX_ROWS]:
        name = f"{row['slot']} {row['pid']}".strip()
        ok = row["online_status"] == "Present" and row["alarm_status"] == "Normal"
        readings.append(Reading("device_component", {"ok": int(ok)},
                                {"component": device_tag(name), "source": "display_device"}))
    return readings
