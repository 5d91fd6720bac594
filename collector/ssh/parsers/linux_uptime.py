"""Linux /proc/uptime over SFTP: seconds since boot."""

from __future__ import annotations

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "linux"
SOURCE = "sftp"
COMMAND = "/proc/uptime"


def parse(text: str) -> list[Reading]:
    try:
        uptime = float(text.split()[0])
    except (IndexError, ValueError):
        raise ParseError(f"/proc/uptime: unexpected content {text[:60]!r}") from None
    return [Reading("system", {"uptime_seconds": uptime})]
