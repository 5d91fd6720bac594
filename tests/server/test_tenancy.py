"""Every route, walked by customer A's staff and viewer against customer B's objects.

The walk is driven by the app's own OpenAPI schema, so a route added later is walked too.
Path parameters naming an object (``…_id``) get B's ids; body and query fields naming a
customer, site, device or node get B's ids as well; the rest of each body is a valid example
generated from the schema. A route must answer 404 (or 403 where the role may not act at
all), and a list must not contain a single row of customer B. An object parameter the walk
cannot fill fails the test with a clear message: add a creator to ``B_CREATORS`` below.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis.errors import NonInteractiveExampleWarning

from tests.seed import Seed

# Routes that are not for users: nodes and anonymous callers authenticate otherwise.
NOT_FOR_USERS = ("/api/v1/enroll", "/api/v1/ingest", "/api/v1/node/", "/healthz", "/api/v1/auth/")
# Generated examples drawn per operation until one passes validation (most do at once; a few
# schemas, e-mail lists say, are often drawn invalid).
DRAWS = 60
# Keys naming customer-owned objects, in bodies and queries.
OWNED_KEYS = {"customer_id", "site_id", "device_id", "node_id", "parent_device_id"}


def _created(answer: Any, status: int = 201) -> int:
    assert answer.status_code == status, answer.text
    return int(answer.json()["id"])


def _b_host_key(client: TestClient, seed: Seed) -> int:
    report = {
        "device": "bravo-switch",
        "status": "unknown",
        "key_type": "ssh-ed25519",
        "key_base64": "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "fingerprint_sha256": "SHA256:test",
    }
    node = {"Authorization": f"Bearer {seed.b.collector_credential}"}
    return _created(client.post("/api/v1/node/host-keys", json=report, headers=node), 202)


def _b_proposal(client: TestClient, seed: Seed) -> int:
    node = {"Authorization": f"Bearer {seed.b.collector_credential}"}
    proposal = {"address": "127.0.0.9", "snmp": {"version": "2c", "community": "public"}}
    answer = client.post("/api/v1/node/discoveries", json={"proposals": [proposal]}, headers=node)
    assert answer.status_code == 202, answer.text
    listed = client.get("/api/v1/discoveries", headers=seed.auth("admin")).json()
    return int(next(p["id"] for p in listed if p["customer_id"] == seed.b.customer_id))


def _b_override(client: TestClient, seed: Seed) -> int:
    body = {"level": "customer", "customer_id": seed.b.customer_id, "rules": {"cpu_high": {"enabled": False}}}
    answer = client.put("/api/v1/rules/overrides", json=body, headers=seed.auth("admin"))
    return _created(answer, 200)


def _b_window(client: TestClient, seed: Seed) -> int:
    body = {"customer_id": seed.b.customer_id, "start": "2026-12-01T02:00:00+08:00", "duration": "2h"}
    return _created(client.post("/api/v1/maintenance-windows", json=body, headers=seed.auth("admin")))


def _b_ticket(client: TestClient, seed: Seed) -> int:
    body = {"customer_id": seed.b.customer_id, "title": "B's fault", "source": "phone"}
    return _created(client.post("/api/v1/tickets", json=body, headers=seed.auth("admin")))


def _b_part(client: TestClient, seed: Seed) -> int:
    ticket = b_objects(client, seed)["ticket_id"]
    body = {"part": "PSU", "quantity": 1}
    return _created(client.post(f"/api/v1/tickets/{ticket}/parts", json=body, headers=seed.auth("admin")))


def _b_report(client: TestClient, seed: Seed) -> int:
    body = {"customer_id": seed.b.customer_id, "period": "2026-10"}
    return _created(client.post("/api/v1/reports", json=body, headers=seed.auth("admin")))


def _b_inspection(client: TestClient, seed: Seed) -> int:
    body = {"device_id": seed.b.switch_id, "period": "2026-10", "items": [{"key": "fans", "status": "ok"}]}
    return _created(client.post("/api/v1/inspections", json=body, headers=seed.auth("admin")))


# Objects of customer B by the path parameter that addresses them; a part that adds a route with
# a new parameter adds its creator here.
B_CREATORS = {
    "key_id": _b_host_key,
    "proposal_id": _b_proposal,
    "override_id": _b_override,
    "window_id": _b_window,
    "ticket_id": _b_ticket,
    "part_id": _b_part,
    "report_id": _b_report,
    "inspection_id": _b_inspection,
}


class _Objects(dict[str, int]):
    """B's objects, made on first use."""

    def __init__(self, client: TestClient, seed: Seed, fixed: dict[str, int]) -> None:
        super().__init__(fixed)
        self.client, self.seed = client, seed

    def __missing__(self, key: str) -> int:
        value = B_CREATORS[key](self.client, self.seed)
        self[key] = value
        return value

    def knows(self, key: str) -> bool:
        return key in self or key in B_CREATORS


_CACHE: dict[int, _Objects] = {}


def b_objects(client: TestClient, seed: Seed) -> _Objects:
    """Customer B's objects by the parameter name that addresses them."""
    if id(seed) in _CACHE:
        return _CACHE[id(seed)]
    token = client.post(
        "/api/v1/enrollment-tokens",
        json={"customer_id": seed.b.customer_id, "site_id": seed.b.site_id},
        headers=seed.auth("admin"),
    )
    assert token.status_code == 201
    fixed = {
        "customer_id": seed.b.customer_id,
        "site_id": seed.b.site_id,
        "device_id": seed.b.switch_id,
        "node_id": seed.b.agent_node_id,
        "parent_device_id": seed.b.host_id,
        "user_id": seed.user_ids["viewer_b"],
        "token_id": int(token.json()["id"]),
    }
    _CACHE[id(seed)] = objects = _Objects(client, seed, fixed)
    return objects


def _example(operation: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        return operation.as_strategy().example()


def _contains_customer(payload: Any, customer_id: int) -> bool:
    if isinstance(payload, dict):
        if payload.get("customer_id") == customer_id:
            return True
        return any(_contains_customer(v, customer_id) for v in payload.values())
    if isinstance(payload, list):
        return any(_contains_customer(v, customer_id) for v in payload)
    return False


def test_customer_a_cannot_reach_customer_b(client: TestClient, seed: Seed) -> None:
    objects = b_objects(client, seed)
    api = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    problems: list[str] = []
    walked = 0
    for result in api.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(NOT_FOR_USERS) or "/public/" in operation.path:
            continue
        for who in ("dispatcher_a", "viewer_a"):
            # A generated body may fail validation (422) before the scope check is reached;
            # that proves nothing either way, so draw another example.
            for _attempt in range(DRAWS):
                case = _example(operation)
                ids = [name for name in (case.path_parameters or {}) if name.endswith("_id")]
                missing = [name for name in ids if not objects.knows(name)]
                if missing:
                    problems.append(f"{operation.label}: the walk has no object of B for {missing}")
                    break
                for name in ids:
                    case.path_parameters[name] = objects[name]
                for container in (case.query, case.body if isinstance(case.body, dict) else None):
                    if container:
                        for key in OWNED_KEYS & set(container):
                            container[key] = objects[key]
                response = case.call(headers=seed.auth(who))
                if response.status_code != 422:
                    break
            else:
                problems.append(f"{operation.label} as {who}: no valid example reached the handler")
                continue
            if missing:
                break
            walked += 1
            status = response.status_code
            names_b = any(isinstance(c, dict) and OWNED_KEYS & set(c) for c in (case.query, case.body))
            must_refuse = bool(case.path_parameters) or (names_b and operation.method.upper() != "GET")
            if status >= 500:
                problems.append(f"{operation.label} as {who}: {status}")
            elif must_refuse and status not in (403, 404):
                problems.append(f"{operation.label} as {who} against B: {status} {response.text[:200]}")
            elif status < 300 and "json" in str(response.headers.get("content-type", "")):
                if _contains_customer(json.loads(response.content or b"null"), seed.b.customer_id):
                    problems.append(f"{operation.label} as {who}: the answer holds customer B's rows")
    assert walked >= 30
    assert not problems, "\n".join(problems)


def test_customer_viewer_cannot_change_anything(client: TestClient, seed: Seed) -> None:
    own_device = client.patch(
        f"/api/v1/devices/{seed.a.host_id}", json={"importance": 1}, headers=seed.auth("viewer_a")
    )
    assert own_device.status_code == 403
    customer = client.post("/api/v1/customers", json={"slug": "x", "name": "X"}, headers=seed.auth("viewer_a"))
    assert customer.status_code == 403
    sees_own = client.get(f"/api/v1/devices/{seed.a.host_id}", headers=seed.auth("viewer_a"))
    assert sees_own.status_code == 200
