"""Monthly reports from the scenario's stored data (tests/reports/scenario.py): the PDF's text
holds the known figures, in Chinese and in English; device text cannot change the document."""

from __future__ import annotations

import re
from pathlib import Path

from vigil.server.reports import service
from vigil.server.reports.config import ReportSettings
from vigil.server.services.principal import system_principal

from tests.reports import scenario
from tests.reports.conftest import SQLITE_ONLY, World
from tests.reports.pdftext import first_page_png, pdf_text


def _generate(world: World, customer_id: int) -> tuple[bytes, service.Report]:
    system = system_principal()
    with world.ctx.sessions() as db, db.begin():
        report = service.generate_month(db, world.ctx.metrics, ReportSettings(provider_name="Vigil 运维服务"),
                                        system, customer_id, scenario.MONTH)
        pdf = service.list_versions(db, system, report.id)[-1].pdf
        db.expunge(report)
    return pdf, report


def test_chinese_report_holds_the_known_figures(world: World, tmp_path: Path, artifacts: Path) -> None:
    pdf, report = _generate(world, world.seed.a.customer_id)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "月度主动巡检报告" in text and "ACME 制造" in text and "2026-10" in text
    # availability: host 739 of 742 counted hours, overall (739 + 744) / (742 + 744)
    assert scenario.EXPECTED_HOST_AVAILABILITY in text
    assert f"总体可用性为 {scenario.EXPECTED_OVERALL_AVAILABILITY}" in text
    assert "非计划停机 3小时，计划停机 2小时" in text
    # SLA attainment: 6 of 8 clocks met
    assert f"SLA 达成率 {scenario.EXPECTED_SLA}" in text
    # /data grows one point a day from 50%: 81% at the end, full in 19.0 days
    assert scenario.EXPECTED_DAYS_UNTIL_FULL in text and "/data" in text
    # the contents with page numbers, page footers, the draft mark
    assert "目录" in text and "评分方法" in text and re.search(r"第\s*1 / \d+ 页", text) and "草稿" in text
    # the derived recommendations and the desk's figures
    assert "扩容或清理 acme-agent /data" in text and "为 acme-agent 增加内存" in text
    assert "更换电源" in text and "PSU 500W" in text
    assert report.recommendations and report.findings
    assert report.data["figures"]["sla_attainment_percent"] == 75.0
    engine = str(world.ctx.settings.database_url).split(":")[0].split("+")[0]
    # a hostile sysDescr appears literally, markup and all (compared without the layout's line
    # breaks), and everything after it is still there
    assert "".join(scenario.HOSTILE.split()) in "".join(text.split())
    assert "本月变更" in text and "满意度" in text
    png = first_page_png(pdf, artifacts / f"report-zh-{engine}.png")
    assert png.stat().st_size > 1000


@SQLITE_ONLY
def test_english_report(world: World, tmp_path: Path, artifacts: Path) -> None:
    pdf, _report = _generate(world, world.seed.b.customer_id)
    text = pdf_text(pdf, tmp_path)
    assert "Monthly proactive inspection report" in text and "Bravo Bank" in text
    assert "Overall availability was 100.00%" in text
    assert "full in about 19 days" in text
    assert "No tickets were opened this month." in text
    assert "Contents" in text and "Page 1 / " in text
    first_page_png(pdf, artifacts / "report-en.png")


@SQLITE_ONLY
def test_inventory_changes_against_last_month_and_branding(world: World, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from sqlalchemy import delete, select
    from vigil.server.db.models import Device

    system = system_principal()
    logo = tmp_path / "acme.png"
    logo.write_bytes(_tiny_png())
    settings = ReportSettings(provider_name="Vigil 运维服务", customer_logos={"acme": logo}, provider_logo=logo)
    with world.ctx.sessions() as db, db.begin():
        service.generate_month(db, world.ctx.metrics, settings, system, world.seed.a.customer_id, "2026-09")
        switch = db.scalar(select(Device).where(Device.id == world.seed.a.switch_id))
        assert switch is not None
        switch.firmware = "V200R021C10"
        db.execute(delete(Device).where(Device.customer_id == world.seed.a.customer_id, Device.name == "acme-agent"))
    with world.ctx.sessions() as db, db.begin():
        report = service.generate_month(db, world.ctx.metrics, settings, system, world.seed.a.customer_id,
                                        scenario.MONTH)
        pdf = service.list_versions(db, system, report.id)[-1].pdf
    text = pdf_text(pdf, tmp_path)
    assert "acme-agent" in text and "移除" in text
    assert "变更" in text and "V200R021C10" in text
    tool = shutil.which("pdfimages")
    assert tool is not None
    listed = subprocess.run([tool, "-list", str(tmp_path / "report.pdf")], capture_output=True, check=True, text=True)
    assert len(listed.stdout.strip().splitlines()) >= 4  # two header lines, both logos


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x1f\x5f\xa8" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
