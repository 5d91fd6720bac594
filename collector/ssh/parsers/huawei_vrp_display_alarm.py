"""Huawei VRP ``display alarm active``: the number of active alarms by severity.

Two table layouts exist: a ``Severity`` column in words (CloudEngine) and a numeric ``Level``
column with a legend line (``1:Critical 2:Major 3:Minor 4:Warning``; NE and AR series).
Every severity gets a count, zero included, so an alarm that clears shows as a drop to 0.
Alarm texts are not kept: they are free text, and counts are what rules act on.
"""

from __future__ import annotations

import re

from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import Reading

PLATFORM = "huawei_vrp"
SOURCE = "exec"
COMMAND = "display alarm active"

SEVERITIES = ("critical", "major", "minor", "warning")
_LEVELS = {"1": "critical", "2": "major", "3": "minor", "4": "warning"}
_ROW = re.compile(r"^\s*\d+\s+0x[0-9A-Fa-f]+\s+(\S+)\s+\d{4}-\d{2}-\d{2}", re.MULTILINE)
_HEADER = re.compile(r"Sequence\s+AlarmId\s+(Severity|Level)", re.IGNORECASE)
_NONE = re.compile(r"no alarm", re.IGNORECASE)


def parse(text: str) -> list[Reading]:
    head = text[:500_000]
    if not _HEADER.search(head) and not _NONE.search(head):
        raise ParseError("display alarm active: neither an alarm table nor 'no alarm'")
    counts = dict.fromkeys(SEVERITIES, 0)
    for match in _ROW.finditer(head):
        word = match.group(1).lower()
        severity = _LEVELS.get(word, word)
        if severity in counts:
            counts[severity] += 1
    return [Reading("device_alarm", {"active_count": n}, {"severity": s}) for s, n in counts.items()]
