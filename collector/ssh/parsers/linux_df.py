"""Linux file systems: ``df -PkT`` (POSIX format, 1K blocks), local file systems only."""

from __future__ import annotations

from vigil.collector.device_text import device_tag
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "linux"
SOURCE = "exec"
COMMAND = "df -PkT -x tmpfs -x devtmpfs -x squashfs -x overlay"
MAX_FILESYSTEMS = 64


def parse(text: str) -> list[Reading]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError(f"df: unexpected header {text[:60]!r}")
    readings = []
    for line in lines[1 : MAX_FILESYSTEMS + 1]:
        parts = line.split()
        if len(parts) < 7:
            continue
        try:
            total, used, free = (int(p) * 1024 for p in parts[2:5])
        except ValueError:
            continue
        mount = " ".join(parts[6:])
        readings.append(Reading(
            "disk",
            {"total_bytes": total, "used_bytes": used, "free_bytes": free,
             "used_percent": round(used / (used + free) * 100, 4) if used + free else 0.0},
            {"path": device_tag(mount), "fstype": device_tag(parts[1]), "device_name": device_tag(parts[0])},
        ))
    return readings
