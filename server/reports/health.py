"""The health score: 100 points, less what each kind of problem of the month costs, each kind
capped so that one problem cannot hide all others. The report prints this table with the points
each component lost, so the customer can follow the score.

===============  ================================================================  =====
component        points lost                                                        cap
===============  ================================================================  =====
availability     10 per percentage point of unplanned unavailability (99.5% -> 5)     40
capacity         10 per volume full within the warning horizon, 15 within 7 days       30
load             5 per device with CPU or memory p95 above 90%                         20
service          5 per SLA breach, 5 per P1/P2 ticket still open at the end            20
inspection       5 per checklist item found faulty, 2 per item needing attention       20
===============  ================================================================  =====

Grade: 90 and above *good*, 75 and above *fair*, below that *poor*.
"""

from __future__ import annotations

from vigil.server.reports.figures import HealthComponent, HealthScore, ReportData

LOAD_LIMIT_PERCENT = 90.0
CAPS = {"availability": 40.0, "capacity": 30.0, "load": 20.0, "service": 20.0, "inspection": 20.0}


def _grade(score: float) -> str:
    if score >= 90:
        return "good"
    if score >= 75:
        return "fair"
    return "poor"


def health_score(data: ReportData) -> HealthScore:
    components = []
    percent = data.availability.percent if data.availability else None
    lost = 0.0 if percent is None else (100.0 - percent) * 10.0
    components.append(HealthComponent("availability", lost, CAPS["availability"], f"{percent or 0:.2f}"))
    warn = [v for v in data.volumes if v.days_until_full is not None and v.days_until_full < data.forecast_warn_days]
    critical = [v for v in warn if (v.days_until_full or 0) < 7]
    lost = 10.0 * (len(warn) - len(critical)) + 15.0 * len(critical)
    components.append(HealthComponent("capacity", lost, CAPS["capacity"], str(len(warn))))
    loaded = [
        d for d in data.devices
        if (d.cpu.p95 or 0) > LOAD_LIMIT_PERCENT or (d.memory.p95 or 0) > LOAD_LIMIT_PERCENT
    ]
    components.append(HealthComponent("load", 5.0 * len(loaded), CAPS["load"], str(len(loaded))))
    breaches = len(data.service.breaches)
    components.append(
        HealthComponent("service", 5.0 * (breaches + data.service.open_p1_p2), CAPS["service"], str(breaches))
    )
    faults = sum(1 for i in data.inspections for item in i.items if item.status == "fault")
    attention = sum(1 for i in data.inspections for item in i.items if item.status == "attention")
    components.append(
        HealthComponent("inspection", 5.0 * faults + 2.0 * attention, CAPS["inspection"], f"{faults}/{attention}")
    )
    capped = [HealthComponent(c.key, min(c.points_lost, c.cap), c.cap, c.detail) for c in components]
    score = max(0.0, 100.0 - sum(c.points_lost for c in capped))
    return HealthScore(round(score, 1), _grade(score), capped)
