"""H3C / HPE Comware ``display device manuinfo``: model and serial of every slot, fan and power
supply (ntc-templates' ``hp_comware`` template)."""

from __future__ import annotations

from ntc_templates.parse import parse_output
from vigil.collector.device_text import device_tag, device_text
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "h3c_comware"
SOURCE = "exec"
COMMAND = "display device manuinfo"
MAX_ROWS = 256


def parse(text: str) -> list[Reading]:
    try:
        rows = parse_output(platform="hp_comware", command=COMMAND, data=text)
    except Exception as exc:  # noqa: BLE001 - TextFSM raises its own tree; translated here
        raise ParseError(f"display device manuinfo: {str(exc)[:120]}") from None
    readings = []
    for row in rows[:MAX_ROWS]:
        if not row.get("device_name"):
            continue
        slot = " ".join(p for p in (row.get("slot_type", ""), row.get("slot_id", "")) if p) or "chassis"
        fields = {"model": device_text(row["device_name"]), "serial": device_text(row.get("device_serial_number", "")),
                  "vendor": device_text(row.get("vendor_name", ""))}
        readings.append(Reading("device_entity", fields, {"entity": device_tag(slot)}))
    return readings
