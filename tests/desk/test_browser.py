"""The web desk in a real browser: Debian's Chromium driven by Playwright against the real
server (uvicorn on loopback, SQLite, its own outbox and reminder workers delivering to aiosmtpd
and an HTTP SMS gateway). L1 takes a phone call, sees the queue ordered by SLA time left with
breached and at-risk tickets marked, dispatches; the engineer works the ticket (comment,
status, escalation to L3 with a vendor case, resolution); L1 closes; the customer answers the
survey link from the mail. A mail to the support mailbox opens a ticket through the server's own
SMTP intake. A viewer of another customer sees nothing of it. Screenshots of the queue and a
ticket page go to test-artifacts/desk/."""

from __future__ import annotations

import re
import shutil
import smtplib
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from vigil.agent.wire import Point
from vigil.checks.state import AlertState, Status
from vigil.server.alerting.models import AlertStateRow
from vigil.server.config import Settings
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device
from vigil.server.tickets import service

from tests.desk.receivers import HttpReceiver, SmtpServers
from tests.desk.world import DeskWorld, prepare_desk
from tests.seed import PASSWORD
from tests.services.live_server import LiveServer, start_live_server
from tests.services.ports import free_port, wait_until

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desk"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def desk_server(
    tmp_path: Path, sqlite_template: Path, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> Iterator[tuple[LiveServer, DeskWorld]]:
    database = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    desk_section = {
        "channels": {
            "email": {"type": "email", "host": "127.0.0.1", "port": mailbox.plain_port, "security": "none",
                      "from_address": "desk@vigil.example"},
            "sms": {"type": "sms", "url": f"{http_receiver.url}/sms"},
        },
        "base_url": f"http://127.0.0.1:{port}",
        "dispatch": {"poll_seconds": 0.2},
        "reminder_poll_seconds": 0.5,
        "intake": {"enabled": True, "port": free_port(), "mailboxes": ["support@vigil.example"]},
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{database}",
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        extra_sections={"desk": desk_section},
    )
    server = start_live_server(settings, port)
    try:
        yield server, prepare_desk(server.ctx, server.seed)
    finally:
        server.stop()


def login(page: Page, url: str, who: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/desk")
    assert page.url.endswith("/desk/login")
    page.fill("#email", f"{who}@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/desk")


def test_desk_in_the_browser(browser: Browser, desk_server: tuple[LiveServer, DeskWorld],
                             mailbox: SmtpServers) -> None:
    server, world = desk_server
    seed, url, ctx = world.seed, server.url, server.ctx
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    with ctx.sessions() as db, db.begin():
        host = db.get(Device, seed.a.host_id)
        assert host is not None
        late = service.open_ticket(db, customer_id=seed.a.customer_id, title=f"{host.name}: CPU above 95%",
                                   source="rule", priority="P2", device_id=host.id, rule_id="cpu_high",
                                   fingerprint="cpu-1", actor="rule:cpu_high", now=now - timedelta(minutes=40))
        risky = service.open_ticket(db, customer_id=seed.a.customer_id, title="Backup job failed twice",
                                    source="rule", priority="P3", notify=False, now=now - timedelta(minutes=100))
        service.open_ticket(db, customer_id=seed.b.customer_id, title="Bravo: link down", source="rule",
                            priority="P1", notify=False, now=now)
        # an open alert on the device, as the alerting engine stores it (not linked to a ticket, so
        # the engine's own scheduled round has nothing to open or close here)
        state = AlertState(fingerprint="cpu-1", rule="cpu_high", customer="acme", device=host.name, instance="",
                           status=Status.FIRING)
        db.add(AlertStateRow(fingerprint="cpu-1", customer_id=seed.a.customer_id, device=host.name, rule="cpu_high",
                             instance="", status="firing", marks_down=False, incident_open=False, ticket_id=None,
                             root_fingerprint=None, state=state.to_dict(), updated_at=now))
        host_name, late_id, risky_number = host.name, late.id, risky.number
    # a customer mails the support mailbox: the server's own intake opens the ticket
    vpn = EmailMessage()
    vpn["From"], vpn["To"], vpn["Subject"] = "it@acme.example", "support@vigil.example", "VPN 无法连接"
    vpn["Message-ID"] = "<vpn-1@acme.example>"
    vpn.set_content("分公司 VPN 从 9 点起无法连接")
    with smtplib.SMTP("127.0.0.1", server.settings.extra_sections["desk"]["intake"]["port"], timeout=10) as smtp:
        smtp.send_message(vpn)
    ctx.metrics.write([Point("cpu", {"customer": "acme", "host": host_name, "cpu": "total"},
                             {"util_percent": 97.5}, time.time_ns())])

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    login(page, url, "dispatcher_a")
    # the rule ticket's page: SLA clocks, the device's recent data and its open alert
    page.goto(f"{url}/desk/tickets/{late_id}")
    assert "97.5" in page.inner_text("#recent-data") and "cpu_high" in page.inner_text("#open-alerts")
    assert "已超时" in page.inner_text("#clock-response")
    page.screenshot(path=str(ARTIFACTS / "ticket.png"), full_page=True)
    # a phone call: customer, caller, title, urgency x impact, done
    page.click("#nav-new")
    page.select_option("#customer_id", str(seed.a.customer_id))
    page.fill("#reporter_name", "王工")
    page.fill("#reporter_email", "caller@acme.example")
    page.fill("#title", "核心交换机宕机")
    page.select_option("#urgency", "high")
    page.select_option("#impact", "high")
    page.click("#new-ticket button[type=submit]")
    page.wait_for_url(re.compile(r".*/desk/tickets/\d+$"))
    assert "P1" in page.inner_text("h1") and "核心交换机宕机" in page.inner_text("h1")
    phone_id = int(page.url.rsplit("/", 1)[1])

    page.goto(f"{url}/desk")
    rows = page.locator("#queue tbody tr")
    numbers = [rows.nth(i).get_attribute("data-number") for i in range(rows.count())]
    assert len(numbers) == 4  # the mailed ticket too; customer B's ticket is not on this desk
    assert page.locator("#queue tbody tr", has_text="VPN 无法连接").count() == 1
    first = rows.nth(0)
    assert "breached" in (first.get_attribute("class") or "") and "CPU" in first.inner_text()
    assert "at-risk" in (page.locator(f"tr[data-number='{risky_number}']").get_attribute("class") or "")
    assert "已超时" in first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    # dispatch the phone ticket from the queue to the L2 engineer
    row = page.locator("#queue tbody tr", has_text="核心交换机宕机")
    row.locator("select[name=assignee_id]").select_option(str(seed.user_ids["engineer_a"]))
    row.locator("button").click()
    page.wait_for_url(f"{url}/desk")
    assert "engineer_a" in page.locator("#queue tbody tr", has_text="核心交换机宕机").inner_text()

    login(page, url, "engineer_a")
    page.click("#nav-mine")
    mine = page.locator("#queue tbody tr")
    assert mine.count() == 1
    mine.locator("a").first.click()
    page.wait_for_url(f"{url}/desk/tickets/{phone_id}")
    page.fill("#comment-text", "已到现场，主控板故障")
    page.click("#form-comment button")
    page.select_option("#status-select", "in_progress")
    page.click("#form-status button")
    assert page.inner_text("#status") == "处理中"
    page.select_option("#to-tier", "2")
    page.fill("#escalate-note", "needs L2 on site")
    page.click("#form-escalate button")
    assert page.inner_text("#tier") == "L2"
    page.select_option("#to-tier", "3")
    page.fill("#vendor_name", "Huawei")
    page.fill("#vendor_case_number", "HW-2026-7788")
    page.fill("#vendor_deadline", "2026-12-01T18:00")
    page.click("#form-escalate button")
    assert page.inner_text("#tier") == "L3" and "HW-2026-7788" in page.inner_text("#vendor-case")
    page.fill("#resolve-note", "更换主控板，业务恢复")
    page.click("#form-resolve button")
    assert page.inner_text("#status") == "已解决"
    timeline = page.inner_text("#timeline")
    for word in ("escalate", "L2", "L3", "resolve", "已到现场"):
        assert word in timeline

    page.screenshot(path=str(ARTIFACTS / "ticket-resolved.png"), full_page=True)

    login(page, url, "dispatcher_a")
    page.goto(f"{url}/desk/tickets/{phone_id}")
    page.click("#form-close button")
    assert page.inner_text("#status") == "已关闭"
    page.click("#lang-switch")
    assert page.inner_text("#status") == "closed"

    # the customer's mail: acknowledgement, resolution, survey (delivered by the server's own outbox)
    def survey_mail() -> bool:
        return any("满意度" in str(m.message["Subject"]) for m in mailbox.box.to("caller@acme.example"))

    wait_until(survey_mail, 30, "the survey mail")
    subjects = [str(m.message["Subject"]) for m in mailbox.box.to("caller@acme.example")]
    assert any("工单已受理" in s for s in subjects) and any("工单已解决" in s for s in subjects)
    mail = next(m for m in mailbox.box.to("caller@acme.example") if "满意度" in str(m.message["Subject"]))
    link = re.search(r"(http://127\.0\.0\.1:\d+/survey/\S+)", mail.message.get_content())
    assert link
    page.context.clear_cookies()
    page.goto(link.group(1))
    page.select_option("#overall", "5")
    page.select_option("#speed", "4")
    page.fill("#comment", "响应很快")
    page.click("#survey-form button")
    assert page.is_visible("#survey-done")
    page.goto(link.group(1))
    assert page.is_visible("#survey-problem")  # one time only

    # another customer's viewer sees none of it
    login(page, url, "viewer_b")
    assert page.locator("#queue tbody tr").count() == 1
    page.goto(f"{url}/desk/tickets/{phone_id}")
    assert page.is_visible("#error-message")
    page.close()
