"""The web desk's pages and form actions without a browser (SQLite and PostgreSQL): login
required, CSRF checked, roles enforced, another customer's ticket not found on every page and
action, and survey links that are unknown, expired or used refused; L1's phone call-back."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from vigil.server.context import AppContext
from vigil.server.db.base import utcnow
from vigil.server.db.models import Ticket
from vigil.server.tickets import service, surveys
from vigil.server.tickets.models import Survey

from tests.desk.world import DeskWorld
from tests.seed import PASSWORD


def login(client: TestClient, who: str) -> str:
    client.cookies.clear()
    response = client.post("/desk/login", data={"email": f"{who}@example.com", "password": PASSWORD})
    assert response.url.path == "/desk", response.text[:300]
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text)
    assert match
    return match.group(1)


def closed_ticket(ctx: AppContext, desk: DeskWorld) -> int:
    with ctx.sessions() as db, db.begin():
        ticket = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="NAS slow", source="phone",
                                     priority="P3", notify=False)
        ticket.assignee_id = desk.seed.user_ids["engineer_a"]
        service.resolve_ticket(db, ticket, actor="user:1", notify=False)
        service.close_ticket(db, ticket, actor="user:1")
        return ticket.id


def test_pages_need_a_login(client: TestClient, desk: DeskWorld) -> None:
    for path in ("/desk", "/desk/new", "/desk/tickets/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/desk/login"
    assert client.post("/desk/tickets/1/comment", data={"text": "x"}, follow_redirects=False).status_code == 303
    wrong = client.post("/desk/login", data={"email": "dispatcher_a@example.com", "password": "nope"})
    assert wrong.status_code == 401 and "flash" in wrong.text


def test_forms_need_the_csrf_token_and_the_right_role(client: TestClient, ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        tid = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="Wi-Fi down", source="web",
                                  notify=False).id
    csrf = login(client, "engineer_a")
    assert client.post(f"/desk/tickets/{tid}/comment", data={"text": "no token"}).status_code == 401
    assert client.post(f"/desk/tickets/{tid}/comment", data={"text": "x", "csrf": "0" * 40}).status_code == 401
    assert client.post(f"/desk/tickets/{tid}/assign",
                       data={"csrf": csrf, "assignee_id": str(desk.seed.user_ids["expert_a"])}).status_code == 403
    assert client.post(f"/desk/tickets/{tid}/close", data={"csrf": csrf}).status_code == 403
    assert client.post(f"/desk/tickets/{tid}/teleport", data={"csrf": csrf}).status_code == 422
    assert client.post(f"/desk/tickets/{tid}/status", data={"csrf": csrf, "status": "in_progress"}).status_code == 200
    raised = client.post(f"/desk/tickets/{tid}/priority", data={"csrf": csrf, "priority": "P1"})
    assert raised.status_code == 200 and '<span class="prio P1">P1</span>' in raised.text
    assert client.post(f"/desk/tickets/{tid}/priority", data={"csrf": csrf, "priority": "P7"}).status_code == 422
    assert "Wi-Fi down" not in client.get("/desk?tier=2").text and "Wi-Fi down" in client.get("/desk?tier=1").text
    csrf = login(client, "viewer_a")
    assert client.get("/desk/new").status_code == 403
    assert client.post(f"/desk/tickets/{tid}/status", data={"csrf": csrf, "status": "resolved"}).status_code == 403
    reply = client.post(f"/desk/tickets/{tid}/comment", data={"csrf": csrf, "text": "谢谢"})
    assert reply.status_code == 200 and "谢谢" in reply.text
    assert "notification" not in client.get(f"/desk/tickets/{tid}").text.split('id="timeline"')[1]
    bad = client.post("/desk/new", data={"csrf": csrf, "customer_id": str(desk.seed.a.customer_id), "title": "x"})
    assert bad.status_code == 403


def test_another_customers_ticket_is_not_found_anywhere(client: TestClient, ctx: AppContext, desk: DeskWorld) -> None:
    with ctx.sessions() as db, db.begin():
        tid = service.open_ticket(db, customer_id=desk.seed.a.customer_id, title="Secret", source="web",
                                  notify=False).id
    for who in ("dispatcher_b", "viewer_b"):
        csrf = login(client, who)
        assert "Secret" not in client.get("/desk").text
        assert client.get(f"/desk/tickets/{tid}").status_code == 404
        for action in ("comment", "status", "assign", "escalate", "resolve", "close", "reopen", "parts"):
            response = client.post(f"/desk/tickets/{tid}/{action}",
                                   data={"csrf": csrf, "text": "x", "status": "in_progress", "to_tier": "2",
                                         "assignee_id": "1", "part": "p", "quantity": "1", "origin": "domestic"})
            assert response.status_code == 404, (who, action, response.status_code)
    # and a phone ticket cannot be opened for a customer one does not serve
    csrf = login(client, "dispatcher_b")
    response = client.post("/desk/new", data={"csrf": csrf, "customer_id": str(desk.seed.a.customer_id),
                                              "title": "x", "urgency": "high", "impact": "high"})
    assert response.status_code == 404


def test_phone_ticket_form_rejects_bad_input(client: TestClient, desk: DeskWorld) -> None:
    csrf = login(client, "dispatcher_a")
    base = {"csrf": csrf, "customer_id": str(desk.seed.a.customer_id), "title": "t", "urgency": "high",
            "impact": "high"}
    for change in ({"title": ""}, {"urgency": "extreme"}, {"reporter_email": "nope"},
                   {"device_id": str(desk.seed.b.host_id)}, {"customer_id": "abc"}):
        response = client.post("/desk/new", data={**base, **change})
        assert response.status_code == 422, change
    created = client.post("/desk/new", data=base)
    assert created.status_code == 200 and "P1" in created.text


def test_survey_links_and_phone_callback(client: TestClient, ctx: AppContext, desk: DeskWorld) -> None:
    assert client.get("/survey/not-a-token").status_code == 404
    tid = closed_ticket(ctx, desk)
    now = utcnow()
    with ctx.sessions() as db, db.begin():
        ticket = db.get(Ticket, tid)
        assert ticket is not None
        token = surveys.on_close(db, ticket, base_url="http://x", valid_days=14, now=now - timedelta(days=15))
        assert token
    expired = client.get(f"/survey/{token}")
    assert expired.status_code == 409 and "survey-problem" in expired.text
    assert client.post(f"/survey/{token}", data={"overall": "5", "speed": "5", "quality": "5"}).status_code == 409
    # L1 phones the customer instead and records the answer
    csrf_headers = desk.seed.auth("dispatcher_a")
    bad = client.post(f"/api/v1/tickets/{tid}/callback", json={"overall": 9, "speed": 5, "quality": 5},
                      headers=csrf_headers)
    assert bad.status_code == 422
    assert client.post(f"/api/v1/tickets/{tid}/callback", json={"overall": 4, "speed": 5, "quality": 5},
                       headers=desk.seed.auth("engineer_a")).status_code == 403
    done = client.post(f"/api/v1/tickets/{tid}/callback", json={"overall": 4, "speed": 5, "quality": 3,
                                                                "comment": "电话回访：满意"}, headers=csrf_headers)
    assert done.status_code == 201
    again = client.post(f"/api/v1/tickets/{tid}/callback", json={"overall": 1, "speed": 1, "quality": 1},
                        headers=csrf_headers)
    assert again.status_code == 409
    with ctx.sessions() as db:
        survey = db.scalars(select(Survey).where(Survey.ticket_id == tid)).one()
        assert survey.channel == "phone" and survey.score_overall == 4
    by_customer = client.get("/api/v1/tickets/survey-results?by=customer", headers=csrf_headers).json()
    assert by_customer == [{"key": "ACME 制造", "answers": 1, "overall_avg": 4.0, "speed_avg": 5.0,
                            "quality_avg": 3.0}]
    assert client.get("/api/v1/tickets/survey-results?by=year", headers=desk.seed.auth("dispatcher_b")).json() == []
    login(client, "dispatcher_a")
    page = client.get("/desk/surveys?by=customer")
    assert page.status_code == 200 and "ACME 制造" in page.text.split('id="survey-results"')[1]
    assert client.get("/desk/surveys?by=planet").status_code == 422
    login(client, "viewer_a")
    assert client.get("/desk/surveys").status_code == 403
