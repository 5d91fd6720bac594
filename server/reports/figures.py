"""The report's figures as plain data: what the sections show and what the archive keeps.

Everything here is built by :mod:`vigil.server.reports.gather` and read by the sections; none of
it touches the database or the metric store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.server.reports.availability import Availability
from vigil.server.reports.period import Period


@dataclass(frozen=True, slots=True)
class Stat:
    mean: float | None
    p95: float | None
    maximum: float | None


EMPTY_STAT = Stat(None, None, None)


@dataclass(frozen=True, slots=True)
class VolumeFigure:
    device: str
    name: str
    used_percent: float | None
    max_percent: float | None
    growth_percent: float | None  # points gained over the period
    days_until_full: float | None


@dataclass(frozen=True, slots=True)
class InterfaceFigure:
    name: str
    in_util: Stat
    out_util: Stat


@dataclass
class DeviceFigure:
    id: int
    name: str
    kind: str
    site: str
    vendor: str
    model: str
    serial: str
    firmware: str
    os: str
    description: str
    importance: int
    tags: list[str]
    cpu: Stat = EMPTY_STAT
    memory: Stat = EMPTY_STAT
    volumes: list[VolumeFigure] = field(default_factory=list)
    interfaces: list[InterfaceFigure] = field(default_factory=list)
    traffic_in_bytes_per_second: float | None = None
    traffic_out_bytes_per_second: float | None = None
    traffic_growth_percent: float | None = None
    temperature_max_celsius: float | None = None
    errors_count: float | None = None
    uptime_seconds: float | None = None
    reboots: int = 0
    battery_replace: bool = False
    availability: Availability | None = None

    def snapshot(self) -> dict[str, str]:
        """What the next month's inventory section compares with."""
        return {
            "kind": self.kind,
            "vendor": self.vendor,
            "model": self.model,
            "serial": self.serial,
            "firmware": self.firmware,
            "os": self.os,
        }


@dataclass(frozen=True, slots=True)
class InventoryChange:
    device: str
    change: str  # added | removed | changed
    details: list[tuple[str, str, str]]  # (field, old, new)


@dataclass(frozen=True, slots=True)
class TicketFigure:
    number: str
    title: str
    priority: str
    source: str
    status: str
    device: str
    opened_at: datetime
    resolved_at: datetime | None
    response_seconds: float | None
    resolution_seconds: float | None
    response_breached: bool
    resolution_breached: bool
    cause: str
    fix: str


@dataclass
class ServiceFigures:
    opened: int = 0
    closed: int = 0
    by_priority: dict[str, dict[str, int]] = field(default_factory=dict)  # P1 -> {opened, closed}
    by_source: dict[str, int] = field(default_factory=dict)
    response_met: int = 0
    response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    response_mean_seconds: float | None = None
    resolution_mean_seconds: float | None = None
    targets: dict[str, tuple[int, int]] = field(default_factory=dict)  # P1 -> (response, resolution) minutes
    sla_level: str = ""
    tickets: list[TicketFigure] = field(default_factory=list)
    breaches: list[TicketFigure] = field(default_factory=list)
    top: list[TicketFigure] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    open_p1_p2: int = 0

    @property
    def sla_attainment_percent(self) -> float | None:
        met = self.response_met + self.resolution_met
        total = met + self.response_breached + self.resolution_breached
        return None if total == 0 else 100.0 * met / total


@dataclass(frozen=True, slots=True)
class InspectionItemFigure:
    label: str
    status: str
    note: str
    photo_data_uri: str | None


@dataclass(frozen=True, slots=True)
class InspectionFigure:
    device: str
    kind: str
    engineer: str
    performed_at: datetime
    items: list[InspectionItemFigure]


@dataclass
class SatisfactionFigures:
    answered: int = 0
    sent: int = 0
    overall_mean: float | None = None
    speed_mean: float | None = None
    quality_mean: float | None = None
    comments: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HealthComponent:
    key: str
    points_lost: float
    cap: float
    detail: str


@dataclass(frozen=True, slots=True)
class HealthScore:
    score: float
    grade: str  # good | fair | poor
    components: list[HealthComponent]


@dataclass
class ReportData:
    customer_id: int
    customer_name: str
    customer_slug: str
    language: str
    period: Period
    generated_at: datetime
    devices: list[DeviceFigure]
    changes: list[InventoryChange]
    availability: Availability | None
    volumes: list[VolumeFigure]
    service: ServiceFigures
    inspections: list[InspectionFigure]
    satisfaction: SatisfactionFigures
    # chart series: device -> (label -> [(time_ns, value)])
    trends: dict[str, dict[str, list[tuple[int, float | None]]]] = field(default_factory=dict)
    forecast_warn_days: float = 30.0
    health: HealthScore | None = None
    findings: list[str] = field(default_factory=list)
    query_seconds: float = 0.0
    query_cpu_seconds: float = 0.0
    query_count: int = 0
