"""The rules API: overrides at each level, maintenance windows, planned downtime; bad input refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.seed import Seed


def put(client: TestClient, seed: Seed, who: str, body: dict[str, Any]) -> Any:
    return client.put("/api/v1/rules/overrides", headers=seed.auth(who), json=body)


def effective(client: TestClient, seed: Seed, device_id: int) -> dict[str, dict[str, Any]]:
    answer = client.get("/api/v1/rules/effective", params={"device_id": device_id}, headers=seed.auth("admin"))
    assert answer.status_code == 200, answer.text
    return {r["name"]: r for r in answer.json()}


def test_levels_apply_in_order(client: TestClient, seed: Seed) -> None:
    assert put(client, seed, "admin", {"level": "global", "rules": {"cpu_high": {"threshold": 95}}}).status_code == 200
    assert put(client, seed, "dispatcher_a", {"level": "customer", "customer_id": seed.a.customer_id,
                                              "rules": {"swap_high": {"enabled": False}}}).status_code == 200
    assert put(client, seed, "dispatcher_a", {"level": "site", "site_id": seed.a.site_id,
                                              "rules": {"cpu_high": {"for": "20m"}}}).status_code == 200
    assert put(client, seed, "dispatcher_a", {"level": "device", "device_id": seed.a.host_id,
                                              "rules": {"cpu_high": {"threshold": 97, "clear_threshold": 90}}}
               ).status_code == 200
    rules = effective(client, seed, seed.a.host_id)
    assert rules["cpu_high"]["threshold"] == 97 and rules["cpu_high"]["for"] == 1200
    assert rules["swap_high"]["enabled"] is False
    other = effective(client, seed, seed.b.host_id)
    assert other["cpu_high"]["threshold"] == 95 and other["swap_high"]["enabled"] is True
    # Replacing a scope's patch replaces it whole.
    assert put(client, seed, "dispatcher_a", {"level": "device", "device_id": seed.a.host_id,
                                              "rules": {}}).status_code == 200
    assert effective(client, seed, seed.a.host_id)["cpu_high"]["threshold"] == 95
    listed = client.get("/api/v1/rules/overrides", headers=seed.auth("dispatcher_a")).json()
    assert {o["level"] for o in listed} == {"global", "customer", "site", "device"}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"level": "device", "rules": {"cpu_high": {"threshold": "hot"}}}, 422, "threshold"),
        ({"level": "device", "rules": {"cpu_high": {"clear_threshold": 99}}}, 422, "firing side"),
        ({"level": "device", "rules": {"cpu_high": {"type": "absence"}}}, 422, "cannot change the type"),
        ({"level": "device", "rules": {"nope": {"threshold": 1}}}, 422, "no such rule"),
        ({"level": "device", "rules": {"cpu_high": {"for": "soon"}}}, 422, "not a duration"),
        ({"level": "device", "rules": {"cpu_high": 5}}, 422, ""),
        ({"level": "planet", "rules": {}}, 422, ""),
    ],
)
def test_bad_overrides_are_refused_and_nothing_changes(
    client: TestClient, seed: Seed, body: dict[str, Any], status: int, fragment: str
) -> None:
    assert put(client, seed, "admin", {"level": "device", "device_id": seed.a.host_id,
                                       "rules": {"cpu_high": {"threshold": 93}}}).status_code == 200
    answer = put(client, seed, "admin", {**body, "device_id": seed.a.host_id})
    assert answer.status_code == status
    assert fragment in answer.text
    assert effective(client, seed, seed.a.host_id)["cpu_high"]["threshold"] == 93


def test_who_may_change_what(client: TestClient, seed: Seed) -> None:
    glob = {"level": "global", "rules": {"cpu_high": {"threshold": 95}}}
    assert put(client, seed, "dispatcher_a", glob).status_code == 403
    own_device = {"level": "device", "device_id": seed.a.host_id, "rules": {}}
    assert put(client, seed, "viewer_a", own_device).status_code == 403
    assert put(client, seed, "dispatcher_a", {"level": "device", "device_id": seed.b.host_id,
                                              "rules": {}}).status_code == 404
    made = put(client, seed, "admin", glob).json()
    assert client.delete(f"/api/v1/rules/overrides/{made['id']}", headers=seed.auth("dispatcher_a")).status_code == 403
    assert client.delete(f"/api/v1/rules/overrides/{made['id']}", headers=seed.auth("admin")).status_code == 204
    assert client.get("/api/v1/rules/defaults", headers=seed.auth("viewer_a")).status_code == 403
    assert len(client.get("/api/v1/rules/defaults", headers=seed.auth("engineer_a")).json()) >= 30


def test_windows_and_planned_downtime(client: TestClient, seed: Seed) -> None:
    weekly = {"customer_id": seed.a.customer_id, "description": "patch night", "start": "2026-03-01T02:00:00",
              "duration": "2h", "recurrence": {"every": "week", "weekdays": ["sun"]}, "scope": {"site": "main"}}
    made = client.post("/api/v1/maintenance-windows", headers=seed.auth("dispatcher_a"), json=weekly)
    assert made.status_code == 201, made.text
    assert made.json()["definition"]["timezone"] == "Asia/Shanghai"  # the customer's zone by default
    one_off = {**weekly, "recurrence": None, "start": "2026-03-04T10:00:00", "duration": "30m",
               "scope": {"device": "acme-agent"}}
    windows, staff = "/api/v1/maintenance-windows", seed.auth("dispatcher_a")
    assert client.post(windows, headers=staff, json=one_off).status_code == 201
    rule_only = {**one_off, "scope": {"rule": "cpu_high"}, "start": "2026-03-05T10:00:00"}
    assert client.post(windows, headers=staff, json=rule_only).status_code == 201
    downtime = client.get("/api/v1/maintenance-windows/downtime", headers=seed.auth("dispatcher_a"), params={
        "device_id": seed.a.host_id, "start": "2026-03-01T00:00:00+08:00", "end": "2026-03-15T00:00:00+08:00"})
    assert downtime.status_code == 200, downtime.text
    # Two Sundays (1st and 8th) of 2 h, plus the 30-minute one-off; the rule-only window is not downtime.
    assert downtime.json()["seconds"] == 2 * 7200 + 1800
    listed = client.get("/api/v1/maintenance-windows", headers=seed.auth("viewer_a")).json()
    assert len(listed) == 3
    assert client.delete(f"/api/v1/maintenance-windows/{made.json()['id']}",
                         headers=seed.auth("dispatcher_a")).status_code == 204
    assert len(client.get("/api/v1/maintenance-windows", headers=seed.auth("viewer_a")).json()) == 2
    assert client.get("/api/v1/maintenance-windows", headers=seed.auth("viewer_b")).json() == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"duration": "forever"}, "not a duration"),
        ({"recurrence": {"every": "week"}}, "needs weekdays"),
        ({"scope": {"site": "atlantis"}}, "not a site of this customer"),
        ({"scope": {"device": "bravo-switch"}}, "not a device of this customer"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_windows_are_refused(client: TestClient, seed: Seed, change: dict[str, Any], fragment: str) -> None:
    body = {"customer_id": seed.a.customer_id, "start": "2026-03-01T02:00:00", "duration": "2h", **change}
    answer = client.post("/api/v1/maintenance-windows", headers=seed.auth("dispatcher_a"), json=body)
    assert answer.status_code == 422 and fragment in answer.text
    assert client.get("/api/v1/maintenance-windows", headers=seed.auth("dispatcher_a")).json() == []
