"""Report sections, one module each: ``sections/<name>.py`` with ``ORDER`` (its place in the
report), ``TITLE`` (an i18n key) and ``build(context) -> dict | None`` (the values its template
``sections/<name>.html`` needs, or None to leave the section out). The registry finds them by
module name, so adding a section is adding the two files.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigil.server.reports.charts import ChartTimer
from vigil.server.reports.figures import HealthScore, ReportData


@dataclass
class SectionContext:
    data: ReportData
    health: HealthScore
    findings: list[str]
    recommendations: list[dict[str, Any]]
    accent_colour: str = "#1f5fa8"
    chart_timer: ChartTimer = field(default_factory=ChartTimer)

    @property
    def language(self) -> str:
        return self.data.language


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    order: int
    title: str
    build: Callable[[SectionContext], dict[str, Any] | None]


@functools.cache
def registry() -> dict[str, Section]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[info.name] = Section(info.name, module.ORDER, module.TITLE, module.build)
    return dict(sorted(found.items(), key=lambda item: item[1].order))
