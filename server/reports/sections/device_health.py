"""Health per device: CPU, memory and interface utilisation (mean, p95, max), temperatures,
errors, uptime and reboots, and trend charts for the devices that matter. A customer with many
devices gets rows for the devices that matter and one line naming the others
(vigil.server.reports.detail)."""

from __future__ import annotations

from typing import Any

from vigil.server.reports.charts import lines_chart
from vigil.server.reports.detail import health_rows
from vigil.server.reports.i18n import text
from vigil.server.reports.sections import SectionContext

ORDER = 20
TITLE = "device_health"


def build(context: SectionContext) -> dict[str, Any] | None:
    data = context.data
    chart = None
    if data.trends:
        lang = context.language
        panels = [
            (text(lang, "cpu") + " %", {name: lines["cpu"] for name, lines in data.trends.items()}),
            (text(lang, "memory") + " %", {name: lines["memory"] for name, lines in data.trends.items()}),
        ]
        chart = lines_chart(panels, data.period.timezone, context.accent_colour, context.chart_timer)
    interfaces = [(d.name, i) for d in data.devices for i in d.interfaces]
    busiest = sorted(interfaces, key=lambda item: -max(item[1].in_util.p95 or 0, item[1].out_util.p95 or 0))[:20]
    devices, others = health_rows(data)
    return {"devices": devices, "others": others, "chart": chart, "interfaces": busiest}
