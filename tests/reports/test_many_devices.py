"""A customer with many devices: the health and availability tables detail the devices that
matter, and every other device is still named, with figures that hold for each of them
(vigil.server.reports.detail). Built from figures, not from a store: the tables are the subject."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from vigil.server.reports import recommend
from vigil.server.reports.availability import Availability
from vigil.server.reports.detail import DETAIL_ROWS, FULL_TABLES_UP_TO
from vigil.server.reports.figures import DeviceFigure, ReportData, SatisfactionFigures, ServiceFigures, Stat
from vigil.server.reports.health import health_score
from vigil.server.reports.period import parse_period
from vigil.server.reports.render import Branding, environment, render_pdf, render_sections
from vigil.server.reports.sections import SectionContext

from tests.reports.pdftext import pdf_text

MONTH_SECONDS = 31 * 86400.0


def _device(index: int) -> DeviceFigure:
    device = DeviceFigure(
        id=index, name=f"node-{index:02d}", kind="host", site="main", vendor="", model="", serial="", firmware="",
        os="", description="", importance=2, tags=[],
        cpu=Stat(10.0, 10.0 + index * 0.5, 20.0 + index), memory=Stat(4.0, 5.0, 6.0),
    )
    device.availability = Availability(MONTH_SECONDS, 0.0, 0.0)
    return device


def _data(count: int, language: str = "en") -> ReportData:
    devices = [_device(i) for i in range(count)]
    devices[7].memory = Stat(92.0, 95.5, 97.0)  # a finding: memory p95 above 90%
    devices[12].reboots = 2  # a finding
    devices[3].availability = Availability(MONTH_SECONDS, 0.0, 3 * 3600.0)  # unplanned downtime
    devices[5].availability = Availability(MONTH_SECONDS, 2 * 3600.0, 0.0)  # planned downtime
    devices[9].availability = None  # no data
    total = Availability(0.0, 0.0, 0.0)
    for d in devices:
        total = total + (d.availability or Availability(0.0, 0.0, 0.0))
    return ReportData(
        customer_id=1, customer_name="Many Devices Ltd", customer_slug="many", language=language,
        period=parse_period("month", "2026-10", "Asia/Shanghai"), generated_at=datetime(2026, 11, 2, tzinfo=UTC),
        devices=devices, changes=[], availability=total, volumes=[], service=ServiceFigures(), inspections=[],
        satisfaction=SatisfactionFigures(),
    )


def _context(data: ReportData) -> SectionContext:
    return SectionContext(data, health_score(data), recommend.findings(data), recommend.recommendations(data))


def _bodies(data: ReportData) -> dict[str, str]:
    env = environment(data.language, data.period.timezone)
    return {name: str(body) for name, _heading, body in render_sections(env, _context(data))}


def _table_rows(body: str) -> list[str]:
    return re.findall(r"<tr><td>(node-\d\d)</td>", body)


def test_up_to_the_limit_every_device_has_its_rows() -> None:
    bodies = _bodies(_data(FULL_TABLES_UP_TO))
    names = [f"node-{i:02d}" for i in range(FULL_TABLES_UP_TO)]
    assert _table_rows(bodies["device_health"].split("<h2>")[0]) == names
    assert _table_rows(bodies["availability"]) == names
    assert 'class="names"' not in bodies["device_health"] + bodies["availability"]


def test_many_devices_detail_what_matters_and_name_every_other_device(tmp_path: Path) -> None:
    data = _data(40)
    bodies = _bodies(data)
    names = {f"node-{i:02d}" for i in range(40)}

    health = bodies["device_health"].split("<h2>")[0]
    detailed = _table_rows(health)
    assert len(detailed) == DETAIL_ROWS
    assert {"node-07", "node-12"} <= set(detailed)  # the findings
    # then the most loaded (CPU p95 grows with the index)
    assert {f"node-{i:02d}" for i in range(39, 39 - (DETAIL_ROWS - 2), -1)} <= set(detailed)
    others = re.search(r'<p class="names">([^<]*)</p>', health)
    assert others is not None
    listed = set(others.group(1).split(", "))
    assert listed == names - set(detailed)
    # the line's maxima hold for each of the devices it names: the highest CPU p95 among them
    highest = max(10.0 + int(n[-2:]) * 0.5 for n in listed)
    assert f"CPU p95 {highest:.1f}%" in health and "had no finding" in health

    availability = bodies["availability"]
    assert _table_rows(availability) == ["node-03", "node-05", "node-09"]  # downtime, planned, no data
    up = re.search(r'<p class="names">([^<]*)</p>', availability)
    assert up is not None and set(up.group(1).split(", ")) == names - {"node-03", "node-05", "node-09"}

    # the PDF a reader gets: every device by name in both sections, the inventory lists all
    pdf, _times = render_pdf(_context(data), Branding(), "draft")
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "The other 37 devices, listed below, were available 100.00%" in text
    assert f"The other {40 - DETAIL_ROWS} devices, listed below, had no finding" in text
    for name in names:
        assert text.count(name) >= 3, name  # inventory, health (row or line), availability (row or line)


def test_chinese_lines_for_many_devices() -> None:
    bodies = _bodies(_data(40, "zh"))
    assert f"其余 {40 - DETAIL_ROWS} 台设备" in bodies["device_health"]
    assert "其余 37 台设备" in bodies["availability"]
