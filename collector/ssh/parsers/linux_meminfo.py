"""Linux /proc/meminfo over SFTP: memory and swap in bytes."""

from __future__ import annotations

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "linux"
SOURCE = "sftp"
COMMAND = "/proc/meminfo"


def parse(text: str) -> list[Reading]:
    values: dict[str, int] = {}
    for line in text.splitlines()[:200]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            scale = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
            values[key.strip()] = int(parts[0]) * scale
    if "MemTotal" not in values:
        raise ParseError("/proc/meminfo: no MemTotal line")
    total = values["MemTotal"]
    available = values.get("MemAvailable", values.get("MemFree", 0) + values.get("Cached", 0))
    used = total - available
    fields: dict[str, float | int] = {
        "total_bytes": total,
        "available_bytes": available,
        "used_bytes": used,
        "cached_bytes": values.get("Cached", 0),
        "used_percent": round(used / total * 100, 4) if total else 0.0,
        "swap_total_bytes": values.get("SwapTotal", 0),
        "swap_used_bytes": values.get("SwapTotal", 0) - values.get("SwapFree", 0),
    }
    if fields["swap_total_bytes"]:
        fields["swap_used_percent"] = round(fields["swap_used_bytes"] / fields["swap_total_bytes"] * 100, 4)
    return [Reading("mem", fields)]
