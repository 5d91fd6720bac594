"""The report workflow through the API: draft, edit recommendations, approve, e-mail with the PDF
attached to a real SMTP server on loopback, every version archived and downloadable; customer
scoping; bad input refused with nothing stored lost; the CLI; the scheduler."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner
from vigil.server.cli import app as cli_app
from vigil.server.config import Settings
from vigil.server.notify.dispatcher import Dispatcher
from vigil.server.notify.registry import build_channel
from vigil.server.reports import schedule
from vigil.server.reports.config import ReportSettings

from tests.desk.receivers import SmtpServers
from tests.reports import scenario
from tests.reports.conftest import SQLITE_ONLY, World
from tests.reports.pdftext import pdf_text


def _draft(client: TestClient, world: World, who: str = "engineer_a") -> dict:  # type: ignore[type-arg]
    answer = client.post("/api/v1/reports", headers=world.seed.auth(who),
                         json={"customer_id": world.seed.a.customer_id, "period": scenario.MONTH})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_review_edit_approve_and_mail(report_client: TestClient, world: World, report_smtp: SmtpServers,
                                      tmp_path: Path) -> None:
    client, auth = report_client, world.seed.auth("engineer_a")
    report = _draft(client, world)
    assert report["status"] == "draft" and report["versions"] == 1
    derived = report["recommendations"]
    assert any(r["source"] == "rule:disk_forecast" for r in derived)
    # the engineer edits one, removes the rest and adds one of their own
    edited = [{**derived[0], "text": "扩容 /data 卷至 2 TB（工程师确认）"},
              {"text": "建议下季度更换核心交换机风扇", "severity": "low"}]
    answer = client.put(f"/api/v1/reports/{report['id']}/recommendations", headers=auth, json=edited)
    assert answer.status_code == 200, answer.text
    assert [r["text"] for r in answer.json()["recommendations"]] == [e["text"] for e in edited]
    assert answer.json()["recommendations"][1]["source"] == "engineer"
    # a customer viewer does not see drafts
    assert client.get(f"/api/v1/reports/{report['id']}", headers=world.seed.auth("viewer_a")).status_code == 404
    approved = client.post(f"/api/v1/reports/{report['id']}/approve", headers=auth)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["report"]["status"] == "approved" and body["version"] == 3 and body["emails_queued"] == 2
    # approving twice is refused, and editing an approved report too; nothing changes
    assert client.post(f"/api/v1/reports/{report['id']}/approve", headers=auth).status_code == 409
    assert client.put(f"/api/v1/reports/{report['id']}/recommendations", headers=auth, json=[]).status_code == 409
    versions = client.get(f"/api/v1/reports/{report['id']}/versions", headers=auth).json()
    assert [v["version"] for v in versions] == [1, 2, 3] and [v["status"] for v in versions][-1] == "approved"
    final = client.get(f"/api/v1/reports/{report['id']}/versions/3/pdf", headers=auth)
    assert final.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(final.content).hexdigest() == versions[-1]["sha256"]
    text = pdf_text(final.content, tmp_path)
    assert "扩容 /data 卷至 2 TB（工程师确认）" in text and "草稿" not in text
    # the customer's viewer sees the approved report and its final version only
    seen = client.get(f"/api/v1/reports/{report['id']}/versions", headers=world.seed.auth("viewer_a")).json()
    assert [v["version"] for v in seen] == [3]
    # another customer's viewer does not see it at all
    assert client.get(f"/api/v1/reports/{report['id']}", headers=world.seed.auth("viewer_b")).status_code == 404
    assert client.get(f"/api/v1/reports/{report['id']}/versions/3/pdf",
                      headers=world.seed.auth("viewer_b")).status_code == 404
    # the outbox delivers through the desk's e-mail channel to a real SMTP server
    report_smtp.box.clear()
    channel = build_channel("email", {"type": "email", "host": "127.0.0.1", "port": report_smtp.plain_port,
                                      "security": "none", "from_address": "reports@vigil.example"})
    assert Dispatcher(world.ctx.sessions, {"email": channel}).run_once() == 2
    for address in ("cio@acme.example", "ops@acme.example"):
        (mail,) = report_smtp.box.to(address)
        (attachment,) = list(mail.message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"report-acme-{scenario.MONTH}.pdf"
        assert attachment.get_content() == final.content
        assert "月度主动巡检报告" in str(mail.message["Subject"])


def test_bad_input_is_refused_and_loses_nothing(report_client: TestClient, world: World) -> None:
    client, auth = report_client, world.seed.auth("engineer_a")
    a = world.seed.a.customer_id
    for period in ("2026-13", "26-10", "2026-10-01", "october"):
        answer = client.post("/api/v1/reports", headers=auth, json={"customer_id": a, "period": period})
        assert answer.status_code == 422, period
    future = client.post("/api/v1/reports", headers=auth, json={"customer_id": a, "period": "2999-01"})
    assert future.status_code == 422
    # someone else's customer is not found; a viewer may not generate
    assert client.post("/api/v1/reports", headers=auth,
                       json={"customer_id": world.seed.b.customer_id, "period": scenario.MONTH}).status_code == 404
    assert client.post("/api/v1/reports", headers=world.seed.auth("viewer_a"),
                       json={"customer_id": a, "period": scenario.MONTH}).status_code == 403
    report = _draft(client, world)
    for bad in ([{"text": ""}], [{"text": "x", "severity": "urgent"}], [{"text": "x" * 2001}], [{"nope": 1}]):
        answer = client.put(f"/api/v1/reports/{report['id']}/recommendations", headers=auth, json=bad)
        assert answer.status_code == 422, bad
    kept = client.get(f"/api/v1/reports/{report['id']}", headers=auth).json()
    assert kept["recommendations"] == report["recommendations"] and kept["versions"] == 1
    assert client.get(f"/api/v1/reports/{report['id']}/versions/9/pdf", headers=auth).status_code == 404


def test_checklist_enters_the_report(report_client: TestClient, world: World, tmp_path: Path) -> None:
    client, auth = report_client, world.seed.auth("engineer_a")
    template = client.get("/api/v1/checklists/switch", headers=auth).json()
    assert any(item["key"] == "fans" for item in template)
    answer = client.post("/api/v1/inspections", headers=auth, json={
        "device_id": world.seed.a.switch_id, "period": scenario.MONTH,
        "performed_at": "2026-10-15T10:00:00+08:00",
        "items": [{"key": "fans", "status": "fault", "note": "2 号风扇异响"},
                  {"key": "cabling", "status": "attention", "note": "标签缺失"},
                  {"key": "power", "status": "ok"}]})
    assert answer.status_code == 201, answer.text
    inspection = answer.json()
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    photo = client.put(f"/api/v1/inspections/{inspection['id']}/items/fans/photo", headers=auth, content=png)
    assert photo.status_code == 200 and photo.json()["photo_type"] == "image/png"
    bad_photo = client.put(f"/api/v1/inspections/{inspection['id']}/items/fans/photo", headers=auth,
                           content=b"<svg onload=alert(1)>")
    assert bad_photo.status_code == 422
    unknown = client.post("/api/v1/inspections", headers=auth, json={
        "device_id": world.seed.a.switch_id, "period": scenario.MONTH, "items": [{"key": "nope", "status": "ok"}]})
    assert unknown.status_code == 422
    other = client.post("/api/v1/inspections", headers=auth, json={
        "device_id": world.seed.b.switch_id, "period": scenario.MONTH, "items": [{"key": "fans", "status": "ok"}]})
    assert other.status_code == 404
    listed = client.get("/api/v1/inspections", headers=auth, params={"period": scenario.MONTH}).json()
    assert [i["id"] for i in listed] == [inspection["id"]] and listed[0]["items"][0]["photo"] is True
    report = _draft(client, world)
    assert any("2 号风扇异响" in r["text"] for r in report["recommendations"])
    pdf = client.get(f"/api/v1/reports/{report['id']}/versions/1/pdf", headers=auth).content
    text = pdf_text(pdf, tmp_path)
    assert "2 号风扇异响" in text and "故障" in text and "标签缺失" in text


@SQLITE_ONLY
def test_quarterly_summary(report_client: TestClient, world: World, tmp_path: Path) -> None:
    client, auth = report_client, world.seed.auth("engineer_a")
    answer = client.post("/api/v1/reports", headers=auth,
                         json={"customer_id": world.seed.a.customer_id, "kind": "quarter", "period": "2026-Q4"})
    assert answer.status_code == 201, answer.text
    summary = answer.json()
    assert summary["kind"] == "quarter" and summary["figures"]["sla_attainment_percent"] == 75.0
    pdf = client.get(f"/api/v1/reports/{summary['id']}/versions/1/pdf", headers=auth).content
    text = pdf_text(pdf, tmp_path)
    assert "季度服务总结" in text and "2026-10" in text and "75.0%" in text and "2026-Q4" in text


@SQLITE_ONLY
def test_cli_generates_and_writes_the_pdf(report_settings: Settings, world: World, tmp_path: Path,
                                          ) -> None:
    output = tmp_path / "out.pdf"
    env = {"VIGIL_DATA_DIR": str(report_settings.data_dir), "VIGIL_DATABASE_URL": str(report_settings.database_url),
           "VIGIL_SECRET_KEY": "test-secret-key-not-for-production",
           "VIGIL_METRICS__PATH": str(report_settings.metrics.path)}
    result = CliRunner().invoke(cli_app, ["report", "generate", "--customer", "acme", "--month", scenario.MONTH,
                                          "--output", str(output)], env=env)
    assert result.exit_code == 0, result.output
    assert "draft, version 1" in result.output and output.read_bytes().startswith(b"%PDF")
    bad = CliRunner().invoke(cli_app, ["report", "generate", "--customer", "acme", "--month", "2026-13"], env=env)
    assert bad.exit_code == 1 and "month must be 01..12" in bad.output
    listed = CliRunner().invoke(cli_app, ["report", "list", "--customer", "acme"], env=env)
    assert listed.exit_code == 0 and f"month\t{scenario.MONTH}\tdraft\t1" in listed.output


def test_scheduler_makes_one_draft_per_customer_after_the_month(world: World) -> None:
    settings = ReportSettings(draft_day=2, draft_hour=6)
    before = datetime(2026, 11, 1, 21, tzinfo=UTC)  # 2026-11-02 05:00 in Shanghai: not yet
    assert schedule.run_once(world.ctx.sessions, world.ctx.metrics, settings, now=before) == []
    due = datetime(2026, 11, 1, 23, tzinfo=UTC)  # 07:00 local on the 2nd
    made = schedule.run_once(world.ctx.sessions, world.ctx.metrics, settings, now=due)
    assert sorted(made) == [("acme", scenario.MONTH), ("bravo", scenario.MONTH)]
    assert schedule.run_once(world.ctx.sessions, world.ctx.metrics, settings, now=due) == []


@SQLITE_ONLY
def test_demo_part_drafts_the_current_month(world: World) -> None:
    from vigil.server.demo import DemoRun
    from vigil.server.reports.demo import draft_now

    run = DemoRun(world.ctx.settings, world.ctx, "http://127.0.0.1:1", world.seed.a.customer_id, world.seed.a.site_id)
    report_id = draft_now(run, now=datetime(2026, 11, 20, 8, tzinfo=UTC))
    with world.ctx.sessions() as db:
        from vigil.server.reports.models import Report

        report = db.get(Report, report_id)
        assert report is not None and report.period == "2026-11" and report.status == "draft"
