"""The tickets API through the real app (SQLite and PostgreSQL): roles, customer scoping on every
route, a phone ticket worked to closure with the survey answered, and bad input refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from vigil.server.context import AppContext
from vigil.server.notify.models import OutboxMessage

from tests.desk.world import DeskWorld


def _open(client: TestClient, desk: DeskWorld, who: str = "dispatcher_a", **extra: object) -> dict[str, object]:
    body = {"customer_id": desk.seed.a.customer_id, "title": "Core switch down", "source": "phone",
            "urgency": "high", "impact": "medium", "reporter_email": "caller@acme.example", **extra}
    response = client.post("/api/v1/tickets", json=body, headers=desk.seed.auth(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_phone_ticket_to_closure_with_survey(client: TestClient, ctx: AppContext, desk: DeskWorld) -> None:
    seed = desk.seed
    ticket = _open(client, desk)
    assert ticket["priority"] == "P2" and ticket["status"] == "new"
    assert ticket["response"]["target_seconds"] == 30 * 60  # type: ignore[index]
    tid = ticket["id"]
    engineer = seed.user_ids["engineer_a"]
    steps = [
        ("dispatcher_a", "assign", {"assignee_id": engineer}),
        ("engineer_a", "status", {"status": "in_progress"}),
        ("engineer_a", "status", {"status": "waiting_customer", "note": "asked for logs"}),
        ("engineer_a", "status", {"status": "in_progress"}),
        ("engineer_a", "escalate", {"to_tier": 2}),
        ("engineer_a", "resolve", {"note": "replaced the supervisor module"}),
        ("dispatcher_a", "close", {}),
    ]
    for who, action, body in steps:
        response = client.post(f"/api/v1/tickets/{tid}/{action}", json=body, headers=seed.auth(who))
        assert response.status_code == 200, (action, response.text)
    assert response.json()["status"] == "closed"
    with ctx.sessions() as db:
        survey_mail = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "customer_survey")).all()
        assert {m.recipient for m in survey_mail} == {"it@acme.example", "caller@acme.example"}
        match = re.search(r"/survey/([A-Za-z0-9_-]+)", survey_mail[0].body)
        assert match
        token = match.group(1)
    page = client.get(f"/survey/{token}")
    assert page.status_code == 200 and "T-" in page.text
    answered = client.post(f"/survey/{token}", data={"overall": "5", "speed": "4", "quality": "5", "comment": "好"})
    assert answered.status_code == 200 and "survey-done" in answered.text
    again = client.post(f"/survey/{token}", data={"overall": "1", "speed": "1", "quality": "1"})
    assert again.status_code == 409
    results = client.get("/api/v1/tickets/survey-results?by=engineer", headers=seed.auth("dispatcher_a")).json()
    assert results == [{"key": "engineer_a", "answers": 1, "overall_avg": 5.0, "speed_avg": 4.0, "quality_avg": 5.0}]
    by_quarter = client.get("/api/v1/tickets/survey-results?by=quarter", headers=seed.auth("admin")).json()
    assert by_quarter[0]["answers"] == 1 and re.fullmatch(r"\d{4}-Q[1-4]", by_quarter[0]["key"])
    events = client.get(f"/api/v1/tickets/{tid}/events", headers=seed.auth("dispatcher_a")).json()
    actions = [e["action"] for e in events]
    for expected in ("open", "assign", "status", "escalate", "resolve", "close", "survey"):
        assert expected in actions
    # the customer viewer sees the ticket, but not internal delivery details
    viewer_events = client.get(f"/api/v1/tickets/{tid}/events", headers=seed.auth("viewer_a")).json()
    assert "notification_queued" not in [e["action"] for e in viewer_events]


def test_cross_customer_access_is_refused_on_every_route(client: TestClient, desk: DeskWorld) -> None:
    tid = _open(client, desk)["id"]
    routes = [
        ("GET", f"/api/v1/tickets/{tid}", None),
        ("GET", f"/api/v1/tickets/{tid}/events", None),
        ("GET", f"/api/v1/tickets/{tid}/parts", None),
        ("POST", f"/api/v1/tickets/{tid}/comments", {"text": "hi"}),
        ("POST", f"/api/v1/tickets/{tid}/status", {"status": "in_progress"}),
        ("POST", f"/api/v1/tickets/{tid}/assign", {"assignee_id": desk.seed.user_ids["dispatcher_b"]}),
        ("POST", f"/api/v1/tickets/{tid}/escalate", {"to_tier": 2}),
        ("POST", f"/api/v1/tickets/{tid}/priority", {"priority": "P1"}),
        ("POST", f"/api/v1/tickets/{tid}/resolve", {}),
        ("POST", f"/api/v1/tickets/{tid}/reopen", {}),
        ("POST", f"/api/v1/tickets/{tid}/close", {}),
        ("POST", f"/api/v1/tickets/{tid}/parts", {"part": "PSU"}),
        ("POST", f"/api/v1/tickets/{tid}/parts/1/shipped", None),
        ("POST", f"/api/v1/tickets/{tid}/callback", {"overall": 5, "speed": 5, "quality": 5}),
    ]
    for who in ("dispatcher_b", "viewer_b"):
        for method, path, body in routes:
            response = client.request(method, path, json=body, headers=desk.seed.auth(who))
            assert response.status_code == 404, (who, method, path, response.status_code)
    listed = client.get("/api/v1/tickets", headers=desk.seed.auth("dispatcher_b")).json()
    assert listed == []
    response = client.post("/api/v1/tickets", headers=desk.seed.auth("dispatcher_b"),
                           json={"customer_id": desk.seed.a.customer_id, "title": "x", "source": "phone"})
    assert response.status_code == 404


def test_roles_are_enforced(client: TestClient, desk: DeskWorld) -> None:
    seed = desk.seed
    tid = _open(client, desk)["id"]
    viewer = seed.auth("viewer_a")
    status = client.post(f"/api/v1/tickets/{tid}/status", json={"status": "in_progress"}, headers=viewer)
    assert status.status_code == 403
    assert client.post(f"/api/v1/tickets/{tid}/resolve", json={}, headers=viewer).status_code == 403
    # a viewer may reply (always public) and open a web ticket for their own customer only
    reply = client.post(f"/api/v1/tickets/{tid}/comments", json={"text": "still down"}, headers=viewer)
    assert reply.status_code == 201 and reply.json()["data"]["public"] is True
    own = client.post("/api/v1/tickets", headers=viewer,
                      json={"customer_id": seed.a.customer_id, "title": "VPN slow", "source": "web"})
    assert own.status_code == 201 and own.json()["source"] == "web"
    assert client.post("/api/v1/tickets", headers=viewer, json={"customer_id": seed.a.customer_id, "title": "x",
                                                               "source": "phone"}).status_code == 403
    # an engineer takes a ticket but does not hand it to others; only L1 closes
    engineer = seed.auth("engineer_a")
    others = client.post(f"/api/v1/tickets/{tid}/assign", json={"assignee_id": seed.user_ids["expert_a"]},
                         headers=engineer)
    assert others.status_code == 403
    mine = client.post(f"/api/v1/tickets/{tid}/assign", json={"assignee_id": seed.user_ids["engineer_a"]},
                       headers=engineer)
    assert mine.status_code == 200
    assert client.post(f"/api/v1/tickets/{tid}/resolve", json={"note": "ok"}, headers=engineer).status_code == 200
    assert client.post(f"/api/v1/tickets/{tid}/close", json={}, headers=engineer).status_code == 403
    assert client.get("/api/v1/tickets/survey-results", headers=viewer).status_code == 403
    mine_list = client.get("/api/v1/tickets?mine=true&include_done=true", headers=engineer).json()
    assert [t["id"] for t in mine_list] == [tid]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"title": "x", "source": "phone", "colour": "red"}, 422),
        ({"title": "", "source": "phone"}, 422),
        ({"title": "x", "source": "rule"}, 422),
        ({"title": "x", "source": "phone", "priority": "P0"}, 422),
        ({"title": "x", "source": "phone", "urgency": "extreme", "impact": "low"}, 422),
        ({"title": "x", "source": "phone", "reporter_email": "not-an-address"}, 422),
        ({"title": "x", "source": "phone", "device_id": -1}, 422),
    ],
)
def test_bad_ticket_input_is_refused_and_nothing_is_stored(
    client: TestClient, desk: DeskWorld, body: dict[str, object], status: int
) -> None:
    auth = desk.seed.auth("dispatcher_a")
    kept = _open(client, desk)
    response = client.post("/api/v1/tickets", json={"customer_id": desk.seed.a.customer_id, **body}, headers=auth)
    assert response.status_code == status and response.json()["detail"]
    listed = client.get("/api/v1/tickets", headers=auth).json()
    assert [t["id"] for t in listed] == [kept["id"]]


def test_bad_actions_are_refused(client: TestClient, desk: DeskWorld) -> None:
    auth = desk.seed.auth("dispatcher_a")
    tid = _open(client, desk)["id"]
    assert client.post(f"/api/v1/tickets/{tid}/status", json={"status": "closed"}, headers=auth).status_code == 422
    assert client.post(f"/api/v1/tickets/{tid}/close", json={}, headers=auth).status_code == 409
    assert client.post(f"/api/v1/tickets/{tid}/escalate", json={"to_tier": 2, "vendor_case_number": "X"},
                       headers=auth).status_code == 422
    assert client.post(f"/api/v1/tickets/{tid}/parts", json={"part": "PSU", "quantity": 0},
                       headers=auth).status_code == 422
    assert client.post(f"/api/v1/tickets/{tid}/assign", json={"assignee_id": desk.seed.user_ids["viewer_a"]},
                       headers=auth).status_code == 422
    assert client.get("/api/v1/tickets/999999", headers=auth).status_code == 404
    assert client.get(f"/api/v1/tickets/{tid}").status_code == 401
    ticket = client.get(f"/api/v1/tickets/{tid}", headers=auth).json()
    assert ticket["status"] == "new" and ticket["tier"] == 1


def test_desk_staff_and_on_call_rota(client: TestClient, desk: DeskWorld) -> None:
    seed = desk.seed
    admin, engineer = seed.auth("dispatcher_a"), seed.auth("engineer_a")
    body = {"tier": 3, "skills": ["storage", " san ", ""], "team_lead_id": desk.lead_id,
            "manager_id": desk.manager_id}
    put = client.put(f"/api/v1/desk/staff/{seed.user_ids['expert_a']}", json=body, headers=admin)
    assert put.status_code == 200 and put.json()["skills"] == ["san", "storage"]
    assert client.put(f"/api/v1/desk/staff/{seed.user_ids['expert_a']}", json=body, headers=engineer).status_code == 403
    assert client.put(f"/api/v1/desk/staff/{seed.user_ids['viewer_a']}", json=body, headers=admin).status_code == 422
    # people of a customer this dispatcher does not serve are not found
    elsewhere = client.put(f"/api/v1/desk/staff/{seed.user_ids['dispatcher_b']}", json=body, headers=admin)
    assert elsewhere.status_code == 404
    assert client.put(f"/api/v1/desk/staff/{seed.user_ids['expert_a']}", json={**body, "tier": 4},
                      headers=admin).status_code == 422
    shift = {"user_id": seed.user_ids["engineer_a"], "tier": 2, "starts_at": "2026-03-03T14:00:00+00:00",
             "duration_hours": 10}
    assert client.post("/api/v1/desk/oncall", json=shift, headers=admin).status_code == 201
    backwards = {**shift, "duration_hours": 0}
    assert client.post("/api/v1/desk/oncall", json=backwards, headers=admin).status_code == 422
    naive = {**shift, "starts_at": "2026-03-03T14:00:00"}
    assert client.post("/api/v1/desk/oncall", json=naive, headers=admin).status_code == 422
    assert client.post("/api/v1/desk/oncall", json=shift, headers=seed.auth("viewer_a")).status_code == 403
    other = {**shift, "user_id": seed.user_ids["dispatcher_b"]}
    assert client.post("/api/v1/desk/oncall", json=other, headers=admin).status_code == 404
    ancient = {**shift, "starts_at": "0001-01-01T00:00:00+05:00"}  # before year 1 in UTC
    assert client.post("/api/v1/desk/oncall", json=ancient, headers=admin).status_code == 422
    listed = client.get("/api/v1/desk/oncall", headers=engineer).json()
    assert [(s["user_id"], s["ends_at"][:16]) for s in listed] == [(seed.user_ids["engineer_a"], "2026-03-04T00:00")]
