"""A ticket's priority from the rule's severity and the device's importance (1 critical .. 3 low).

Maintenance tickets (forecasts, battery replacement) are planned work: never above P2.
"""

from __future__ import annotations

# severity -> priority for importance 1, 2, 3
_MATRIX: dict[str, tuple[str, str, str]] = {
    "critical": ("P1", "P1", "P2"),
    "major": ("P2", "P2", "P3"),
    "minor": ("P3", "P3", "P4"),
    "warning": ("P3", "P4", "P4"),
    "info": ("P4", "P4", "P4"),
}


def priority_for(severity: str, importance: int, ticket_kind: str = "fault") -> str:
    row = _MATRIX.get(severity, _MATRIX["warning"])
    priority = row[min(max(importance, 1), 3) - 1]
    if ticket_kind == "maintenance" and priority == "P1":
        return "P2"
    return priority
