"""Linux /proc/loadavg over SFTP: load averages and the number of processes."""

from __future__ import annotations

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "linux"
SOURCE = "sftp"
COMMAND = "/proc/loadavg"


def parse(text: str) -> list[Reading]:
    parts = text.split()
    if len(parts) < 4 or "/" not in parts[3]:
        raise ParseError(f"/proc/loadavg: unexpected content {text[:60]!r}")
    try:
        load1, load5, load15 = (float(p) for p in parts[:3])
        processes = int(parts[3].split("/")[1])
    except ValueError:
        raise ParseError(f"/proc/loadavg: unexpected content {text[:60]!r}") from None
    return [Reading("system", {"load1": load1, "load5": load5, "load15": load15,
                               "processes_count": processes})]
