"""The web desk's report pages: an engineer signs in, makes the month's draft, edits the
recommendations, approves (the e-mails are queued on the outbox) and downloads each archived
version; the checklist form with a photo; another customer's viewer gets nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from vigil.server.notify.models import OutboxMessage

from tests.reports import scenario
from tests.reports.conftest import SQLITE_ONLY, World
from tests.seed import PASSWORD


def _login(client: TestClient, who: str) -> str:
    answer = client.post("/desk/login", data={"email": f"{who}@example.com", "password": PASSWORD},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get("/desk/reports")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    return found.group(1) if found else ""


def test_engineer_reviews_approves_and_sends(report_client: TestClient, world: World) -> None:
    client = report_client
    csrf = _login(client, "engineer_a")
    made = client.post("/desk/reports", data={"csrf": csrf, "customer_id": world.seed.a.customer_id,
                                              "kind": "month", "period": scenario.MONTH}, follow_redirects=False)
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    page = client.get(url)
    assert page.status_code == 200 and "draft" in page.text and "99.80%" in page.text
    count = len(re.findall(r'name="text_\d+"', page.text)) - 1
    form = {"csrf": csrf, "count": str(count), "text_0": "工程师修改的建议 <b>不是标签</b>", "severity_0": "high",
            "remove_1": "1", f"text_{count}": "新增：检查 UPS 电池", f"severity_{count}": "low"}
    for index in range(1, count):
        form[f"text_{index}"] = "kept"
    edited = client.post(f"{url}/recommendations", data=form, follow_redirects=False)
    assert edited.status_code == 303, edited.text
    page = client.get(url)
    assert "工程师修改的建议 &lt;b&gt;不是标签&lt;/b&gt;" in page.text and "新增：检查 UPS 电池" in page.text
    # a form without the CSRF token changes nothing
    refused = client.post(f"{url}/approve", data={"csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 401
    approved = client.post(f"{url}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert approved.status_code == 303
    page = client.get(url)
    assert '<span id="status">approved</span>' in page.text
    versions = re.findall(r'href="(/desk/reports/\d+/versions/\d+\.pdf)"', page.text)
    assert len(versions) == 3
    for link in versions:
        pdf = client.get(link)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with world.ctx.sessions() as db:
        queued = list(db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "report")))
    assert sorted(m.recipient or "" for m in queued) == ["cio@acme.example", "ops@acme.example"]


@SQLITE_ONLY
def test_checklist_form_with_a_photo(report_client: TestClient, world: World) -> None:
    client = report_client
    csrf = _login(client, "engineer_a")
    form = client.get("/desk/inspections/new", params={"device_id": world.seed.a.switch_id, "period": scenario.MONTH})
    assert form.status_code == 200 and 'name="status_fans"' in form.text
    data = {"csrf": csrf, "device_id": str(world.seed.a.switch_id), "period": scenario.MONTH,
            "status_fans": "fault", "note_fans": "风扇停转", "status_power": "ok"}
    files = {"photo_fans": ("fan.png", b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png")}
    saved = client.post("/desk/inspections", data=data, files=files, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    listed = client.get("/api/v1/inspections", headers=world.seed.auth("engineer_a")).json()
    (inspection,) = listed
    fans = next(i for i in inspection["items"] if i["key"] == "fans")
    assert fans["status"] == "fault" and fans["note"] == "风扇停转" and fans["photo"] is True
    bad = client.post("/desk/inspections", data={**data, "status_fans": "broken"}, follow_redirects=False)
    assert bad.status_code == 422


@SQLITE_ONLY
def test_other_customers_viewer_sees_nothing(report_client: TestClient, world: World) -> None:
    client = report_client
    answer = client.post("/api/v1/reports", headers=world.seed.auth("engineer_a"),
                         json={"customer_id": world.seed.a.customer_id, "period": scenario.MONTH})
    report_id = answer.json()["id"]
    _login(client, "viewer_b")
    assert client.get(f"/desk/reports/{report_id}").status_code == 404
    assert client.get(f"/desk/reports/{report_id}/versions/1.pdf").status_code == 404
    assert f'href="/desk/reports/{report_id}"' not in client.get("/desk/reports").text
