"""The issue's "done when", on SQLite and PostgreSQL: a rule-opened ticket and a phone ticket
run their SLA clocks, remind and escalate by e-mail (aiosmtpd) and SMS (a real HTTP gateway on
loopback) at the right instants (controlled time), are worked through the web desk's forms to
closure, and the customer gets the acknowledgement, the resolution notice and the survey, which
they answer through the link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from vigil.server.context import AppContext
from vigil.server.db.base import utcnow
from vigil.server.db.models import Ticket, TicketEvent, TicketStatus
from vigil.server.notify.dispatcher import Dispatcher, DispatchPolicy
from vigil.server.notify.registry import build_channel
from vigil.server.tickets import assignment, reminders, service
from vigil.server.tickets.config import DeskSettings

from tests.desk.receivers import HttpReceiver, SmtpServers
from tests.desk.world import DeskWorld
from tests.seed import PASSWORD

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tuesday 09:00 Shanghai


def login(client: TestClient, who: str) -> None:
    client.cookies.clear()
    response = client.post("/desk/login", data={"email": f"{who}@example.com", "password": PASSWORD})
    assert response.status_code == 200 and response.url.path == "/desk"


def form_post(client: TestClient, page: str, action: str, **fields: str) -> None:
    html = client.get(page).text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    response = client.post(action, data={"csrf": match.group(1), **fields})
    assert response.status_code == 200, response.text[:800]
    assert "error-message" not in response.text, response.text[:800]


def test_rule_and_phone_tickets_from_clock_to_survey(
    client: TestClient, ctx: AppContext, desk: DeskWorld, mailbox: SmtpServers, http_receiver: HttpReceiver
) -> None:
    seed = desk.seed
    settings = DeskSettings()
    outbox = Dispatcher(
        ctx.sessions,
        {
            "email": build_channel("email", {"type": "email", "host": "127.0.0.1", "port": mailbox.plain_port,
                                             "security": "none", "from_address": "desk@vigil.example"}),
            "sms": build_channel("sms", {"type": "sms", "url": f"{http_receiver.url}/sms",
                                         "body_template": '{"to": "$phone", "text": "$text"}'}),
        },
        DispatchPolicy(),
    )
    with ctx.sessions() as db, db.begin():
        rule_ticket = service.open_ticket(
            db, customer_id=seed.a.customer_id, title="acme-host: CPU above 95% for 10 min", source="rule",
            priority="P2", severity="major", device_id=seed.a.host_id, rule_id="cpu_high",
            fingerprint="acme/acme-host/cpu_high", actor="rule:cpu_high", now=T0,
        )
        phone_ticket = service.open_ticket(
            db, customer_id=seed.a.customer_id, title="核心交换机宕机", source="phone", urgency="high",
            impact="high", reporter_email="caller@acme.example", actor=f"user:{seed.user_ids['dispatcher_a']}",
            now=T0,
        )
        assignment.assign(db, phone_ticket, seed.user_ids["engineer_a"], actor="user:1", now=T0)
        ids = (rule_ticket.id, phone_ticket.id)
    outbox.run_once(T0)
    acks = mailbox.box.to("it@acme.example")
    assert len(acks) == 2 and all("工单已受理" in str(m.message["Subject"]) for m in acks)
    assert len(mailbox.box.to("caller@acme.example")) == 1
    assert len(mailbox.box.to("engineer_a@example.com")) == 1  # the assignment
    assert len(http_receiver.on("/sms")) == 1  # P1 assignment by SMS too

    def tick(minutes: float) -> None:
        now = T0 + timedelta(minutes=minutes)
        with ctx.sessions() as db, db.begin():
            reminders.scan(db, settings, now)
        outbox.run_once(now)

    def subjects(address: str) -> list[str]:
        return [str(m.message["Subject"]) for m in mailbox.box.to(address)]

    tick(7)
    assert len(subjects("engineer_a@example.com")) == 1
    tick(7.5)  # P1 response 15 min: 50%
    assert "响应时限已用 50%" in subjects("engineer_a@example.com")[-1]
    assert http_receiver.on("/sms")[-1].json()["to"] == "+8613800000003"
    tick(15)  # P1 response breached; P2 (30 min) at 50%, unassigned: the L1 desk hears of it
    assert "响应已超时" in subjects("engineer_a@example.com")[-1]
    assert any("响应已超时" in s for s in subjects("lead@example.com"))
    assert any("响应已超时" in s for s in subjects("manager@example.com"))
    assert any("50%" in s and rule_ticket.number in s for s in subjects("dispatcher_a@example.com"))
    sms_to = [r.json()["to"] for r in http_receiver.on("/sms")]
    assert {"+8613800000003", "+8613900000001", "+8613900000002"} <= set(sms_to)

    # worked through the web desk's forms (wall-clock time from here)
    login(client, "engineer_a")
    for ticket_id in ids:
        page = f"/desk/tickets/{ticket_id}"
        if ticket_id == ids[0]:
            form_post(client, page, f"{page}/assign", assignee_id=str(seed.user_ids["engineer_a"]))
        form_post(client, page, f"{page}/status", status="in_progress")
        form_post(client, page, f"{page}/comment", text="checked on site")
        form_post(client, page, f"{page}/resolve", note="replaced the failed module")
    login(client, "dispatcher_a")
    for ticket_id in ids:
        page = f"/desk/tickets/{ticket_id}"
        form_post(client, page, f"{page}/close")
    outbox.run_once(utcnow())
    resolved = [s for s in subjects("it@acme.example") if "工单已解决" in s]
    surveys = [m for m in mailbox.box.to("it@acme.example") if "满意度" in str(m.message["Subject"])]
    assert len(resolved) == 2 and len(surveys) == 2
    link = re.search(r"http\S+/survey/(\S+)", surveys[0].message.get_content())
    assert link
    client.cookies.clear()
    answered = client.post(f"/survey/{link.group(1)}", data={"overall": "5", "speed": "5", "quality": "4"})
    assert answered.status_code == 200 and "survey-done" in answered.text
    with ctx.sessions() as db:
        for ticket_id in ids:
            ticket = db.get(Ticket, ticket_id)
            assert ticket is not None and ticket.status is TicketStatus.closed
            log = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).all()
            delivered = [e for e in log if e.action == "notification" and e.new_value == "delivered"]
            assert len(delivered) >= 3  # ack, resolution, survey (and the staff reminders)
        rows = db.scalars(select(TicketEvent).where(TicketEvent.action == "survey")).all()
        assert len(rows) == 1 and rows[0].data["overall"] == 5
