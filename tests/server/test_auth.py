"""Logins, sessions, API tokens and roles, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.seed import PASSWORD, Seed


def test_login_sets_a_session_cookie_and_logout_ends_it(client: TestClient, seed: Seed) -> None:
    login = client.post("/api/v1/auth/login", json={"email": "ENGINEER_A@example.com ", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert "httponly" in login.headers["set-cookie"].lower()
    assert client.get("/api/v1/auth/me").json()["role"] == "engineer"
    assert client.post("/api/v1/auth/logout").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient, seed: Seed) -> None:
    wrong = client.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": "nope nope"})
    unknown = client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_api_tokens_work_and_bad_ones_do_not(client: TestClient, seed: Seed) -> None:
    made = client.post("/api/v1/auth/tokens", json={"name": "ci", "expires_days": 1}, headers=seed.auth("engineer_a"))
    assert made.status_code == 201
    token = made.json()["token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for bad in ("vgu_forged", seed.a.agent_credential, ""):
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_admin_creates_users_with_hashed_passwords(client: TestClient, seed: Seed) -> None:
    body = {
        "email": "new@example.com",
        "name": "新同事",
        "role": "engineer",
        "password": "a long password",
        "customer_ids": [seed.a.customer_id],
    }
    made = client.post("/api/v1/users", json=body, headers=seed.auth("admin"))
    assert made.status_code == 201, made.text
    assert "password" not in made.text
    assert client.post("/api/v1/users", json=body, headers=seed.auth("admin")).status_code == 409
    assert client.post("/api/v1/users", json=body, headers=seed.auth("dispatcher_a")).status_code == 403
    login = client.post("/api/v1/auth/login", json={"email": "new@example.com", "password": "a long password"})
    assert login.status_code == 200
    viewer_of_two = {**body, "email": "v2@example.com", "role": "customer_viewer", "customer_ids": [1, 2]}
    assert client.post("/api/v1/users", json=viewer_of_two, headers=seed.auth("admin")).status_code == 422


def test_health_and_prometheus_metrics(client: TestClient, seed: Seed) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.get("/api/v1/customers", headers=seed.auth("admin"))
    client.get(f"/api/v1/customers/{seed.b.customer_id}", headers=seed.auth("dispatcher_a"))  # another tenant
    client.get("/no/such/page")
    metrics = client.get("/metrics").text
    assert 'vigil_http_requests_total{route="/api/v1/customers",status="200"}' in metrics
    assert 'vigil_http_requests_total{route="/api/v1/customers/{customer_id}",status="404"}' in metrics
    assert 'vigil_http_requests_total{route="unmatched",status="404"}' in metrics
    assert client.get("/docs").status_code == 200
