"""Linux failed systemd units: ``systemctl list-units --state=failed`` (the same query as the
host agent's ``services`` collector), one ``services`` point per failed unit plus the count.

The command asks for ``--no-legend --plain``, but the parser also reads the console layout
(header, ``●`` bullets, legend and "N loaded units listed."), so a capture from an engineer's
terminal parses the same way. Unit names are device text: systemd escapes odd characters
(``\\x2d``), but nothing stops a hostile or broken host from sending control characters or
very long names, so names are bounded tags and at most ``MAX_UNITS`` are kept; the count is
always the full number. A host not booted with systemd makes ``systemctl`` exit non-zero with
nothing on stdout: that is a command error (see ``SshConnection.run``), not "none failed".
"""

from __future__ import annotations

from vigil.collector.device_text import device_tag
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "linux"
SOURCE = "exec"
COMMAND = "systemctl list-units --state=failed --no-legend --plain --no-pager --all"
MAX_UNITS = 50
MAX_LINES = 10_000

# LOAD column values (systemd's unit_load_state_table).
_LOAD_STATES = frozenset({"stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked"})
_BULLETS = ("●", "*", "×")
_LEGEND = ("LOAD ", "ACTIVE ", "SUB ", "To show all installed unit files")


def _unit_line(line: str) -> str | None:
    parts = line.split()
    if parts and parts[0] in _BULLETS:
        parts = parts[1:]
    if len(parts) >= 4 and parts[1] in _LOAD_STATES and parts[2] == "failed":
        return parts[0]
    return None


def parse(text: str) -> list[Reading]:
    units: list[str] = []
    for number, line in enumerate(text.splitlines()[:MAX_LINES]):
        stripped = line.strip()
        if not stripped:
            if units:
                break  # the legend follows the first blank line after the table
            continue
        if number == 0 and stripped.split()[:2] == ["UNIT", "LOAD"]:
            continue
        if "units listed." in stripped or stripped.startswith(_LEGEND):
            continue
        name = _unit_line(stripped)
        if name is None:
            raise ParseError(f"systemctl list-units: unexpected line {device_tag(stripped)[:60]!r}")
        units.append(name)
    readings = [Reading("services", {"failed_count": len(units)}, {"unit": "_all"})]
    seen: set[str] = set()
    for name in units:
        tag = device_tag(name)
        if tag and tag != "_all" and tag not in seen and len(seen) < MAX_UNITS:
            seen.add(tag)
            readings.append(Reading("services", {"failed": 1}, {"unit": tag}))
    return readings
