"""Every route, walked by customer A's staff and viewer against customer B's objects.

The walk is driven by the app's own OpenAPI schema, so a route added later is walked too.
Path parameters get B's ids; body and query fields naming a customer, site, device or node get
B's ids as well; the rest of each body is a valid example generated from the schema. A route
must answer 404 (or 403 where the role may not act at all), and a list must not contain a
single row of customer B. A path parameter the walk cannot fill fails the test with a clear
message: give it an object of B in ``b_objects`` below.
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
# Keys naming customer-owned objects, in bodies and queries.
OWNED_KEYS = {"customer_id", "site_id", "device_id", "node_id", "parent_device_id"}


def b_objects(client: TestClient, seed: Seed) -> dict[str, int]:
    """Customer B's objects by the parameter name that addresses them."""
    token = client.post(
        "/api/v1/enrollment-tokens",
        json={"customer_id": seed.b.customer_id, "site_id": seed.b.site_id},
        headers=seed.auth("admin"),
    )
    assert token.status_code == 201
    tokens = client.get("/api/v1/nodes", headers=seed.auth("admin"))
    assert tokens.status_code == 200
    objects = {
        "customer_id": seed.b.customer_id,
        "site_id": seed.b.site_id,
        "device_id": seed.b.switch_id,
        "node_id": seed.b.agent_node_id,
        "parent_device_id": seed.b.host_id,
        "user_id": seed.user_ids["viewer_b"],
        # enrolment tokens are numbered in creation order: four per tenant in the seed, then this.
        "token_id": 5,
    }
    # collection (issue 4): a host key and a discovery proposal of B, reported by B's collector.
    collector_b = {"Authorization": f"Bearer {seed.b.collector_credential}"}
    objects["key_id"] = client.post("/api/v1/node/host-keys", headers=collector_b, json={
        "device": "bravo-switch", "status": "unknown", "key_type": "ssh-ed25519",
        "key_base64": "AAAAC3NzaC1lZDI1NTE5AAAAIGRr5mQfLRbN3ArQdT7DfFqg0h4oKx2B5Z9wqvB4m8cN",
        "fingerprint_sha256": "SHA256:x"}).json()["id"]
    objects["proposal_id"] = client.post("/api/v1/node/discoveries", headers=collector_b, json={"proposals": [
        {"address": "127.0.0.8", "snmp": {"version": "2c", "community": "b"}}]}).json()["ids"][0]
    # rules (issue 5): a rule override and a maintenance window of B.
    objects["override_id"] = client.put("/api/v1/rules/overrides", headers=seed.auth("admin"), json={
        "level": "customer", "customer_id": seed.b.customer_id, "rules": {"cpu_high": {"threshold": 95}}}).json()["id"]
    objects["window_id"] = client.post("/api/v1/maintenance-windows", headers=seed.auth("admin"), json={
        "customer_id": seed.b.customer_id, "start": "2026-03-01T02:00:00", "duration": "2h"}).json()["id"]
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
            for _attempt in range(8):
                case = _example(operation)
                missing = [name for name in (case.path_parameters or {}) if name not in objects]
                if missing:
                    problems.append(f"{operation.label}: the walk has no object of B for {missing}")
                    break
                for name in case.path_parameters or {}:
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
