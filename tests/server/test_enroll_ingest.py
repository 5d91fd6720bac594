"""Enrolment and ingest through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from vigil.server.context import AppContext
from vigil.server.db.base import utcnow
from vigil.server.db.models import Device, EnrollmentToken, IngestBatch, Node
from vigil.server.metrics.base import MetricStore, SeriesQuery

from tests.seed import Seed


def _token(client: TestClient, seed: Seed, kind: str = "agent", who: str = "admin") -> str:
    answer = client.post(
        "/api/v1/enrollment-tokens",
        json={"customer_id": seed.a.customer_id, "site_id": seed.a.site_id, "kind": kind},
        headers=seed.auth(who),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def _ingest(client: TestClient, credential: str, body: bytes, batch: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/ingest",
        content=body,
        headers={"Authorization": f"Bearer {credential}", "X-Vigil-Batch-Id": batch, **headers},
    )


def _now_ns() -> int:
    return time.time_ns()


def test_enroll_exchanges_a_token_once(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    token = _token(client, seed)
    first = client.post("/api/v1/enroll", json={"token": token, "name": "web-01", "version": "0.1.0"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["customer"] == "acme" and body["site"] == "main" and body["name"] == "web-01"
    assert body["credential"].startswith("vgn_")
    again = client.post("/api/v1/enroll", json={"token": token, "name": "web-02"})
    assert again.status_code == 401
    with ctx.sessions() as db:
        names = set(db.scalars(select(Node.name)))
    assert "web-02" not in names and "web-01" in names


@pytest.mark.parametrize("hostile", ["1.0 <b>", "9.9.9;rm -rf /", "9" * 65])
def test_a_hostile_version_at_enrolment_is_refused_and_spends_no_token(
    client: TestClient, seed: Seed, ctx: AppContext, hostile: str
) -> None:
    token = _token(client, seed)
    refused = client.post("/api/v1/enroll", json={"token": token, "name": "web-01", "version": hostile})
    assert refused.status_code == 422 and "version" in refused.text
    with ctx.sessions() as db:
        assert "web-01" not in set(db.scalars(select(Node.name)))
    accepted = client.post("/api/v1/enroll", json={"token": token, "name": "web-01", "version": "0.1.0"})
    assert accepted.status_code == 200, accepted.text


def test_expired_revoked_and_unknown_tokens_create_nothing(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    made = [
        client.post(
            "/api/v1/enrollment-tokens",
            json={"customer_id": seed.a.customer_id, "site_id": seed.a.site_id},
            headers=seed.auth("admin"),
        ).json()
        for _ in range(2)
    ]
    expired, revoked = made[0]["token"], made[1]["token"]
    with ctx.sessions() as db, db.begin():
        row = db.get(EnrollmentToken, made[0]["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    revoke = client.post(f"/api/v1/enrollment-tokens/{made[1]['id']}/revoke", headers=seed.auth("admin"))
    assert revoke.status_code == 204
    with ctx.sessions() as db:
        before = len(list(db.scalars(select(Node.id))))
    for token in (expired, revoked, "vge_not-a-real-token-at-all"):
        answer = client.post("/api/v1/enroll", json={"token": token, "name": "ghost"})
        assert answer.status_code == 401, answer.text
    with ctx.sessions() as db:
        assert len(list(db.scalars(select(Node.id)))) == before


def test_agent_token_cannot_enroll_a_collector(client: TestClient, seed: Seed) -> None:
    token = _token(client, seed, "agent")
    answer = client.post("/api/v1/enroll", json={"token": token, "name": "c1", "kind": "collector"})
    assert answer.status_code == 401


def test_ingest_stamps_identity_and_keeps_good_lines(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    now = _now_ns()
    body = "\n".join(
        [
            f"cpu,cpu=total util_percent=12.5,user_percent=10.0 {now}",
            f"cpu,cpu=total,customer=bravo util_percent=99.0 {now}",  # claims another customer
            f"nosuchthing value=1 {now}",  # unknown measurement
            f"mem used_percent=NaN {now}",  # NaN
            f"mem used_percent=50.0 {now - 10 * 365 * 86400 * 10**9}",  # far past
            "garbage",
            f"mem used_percent=41.5,used_bytes=1024i {now}",
            f"cpu,cpu=total,evil_tag=x util_percent=1.0 {now}",  # unknown tag
        ]
    ).encode()
    answer = _ingest(client, seed.a.agent_credential, gzip.compress(body), "b-1", **{"Content-Encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["accepted"] == 2
    assert [r["line"] for r in result["rejected"]] == [2, 3, 4, 5, 6, 8]
    assert "another identity" in result["rejected"][0]["reason"]
    assert "unknown measurement" in result["rejected"][1]["reason"]
    latest = ctx.metrics.latest("cpu", "util_percent", {"customer": "acme"}, ("host", "site", "cpu"))
    assert [(v.tags["host"], v.tags["site"], v.value) for v in latest] == [("acme-agent", "main", 12.5)]
    assert not ctx.metrics.latest("cpu", "util_percent", {"customer": "bravo"})


def test_replayed_batch_stores_nothing_twice(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    now = _now_ns()
    body = f"mem used_percent=10.0 {now}\nmem used_percent=20.0 {now + 10**9}\n".encode()
    first = _ingest(client, seed.a.agent_credential, body, "same-batch").json()
    second = _ingest(client, seed.a.agent_credential, body, "same-batch").json()
    assert first["accepted"] == 2 and not first["replayed"]
    assert second == {**first, "replayed": True}
    count = ctx.metrics.query(
        SeriesQuery("mem", "used_percent", now - 10**9, now + 10 * 10**9, {"customer": "acme"}, aggregate="count")
    )
    assert count[0].rows[0][1] == 2


def test_collector_lines_need_a_device_it_polls(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    now = _now_ns()
    body = "\n".join(
        [
            f"interface,device=acme-switch,interface=Gi0/1 in_bits_per_second=1000.0 {now}",
            f"interface,device=acme-agent,interface=eth0 in_bits_per_second=1.0 {now}",  # not polled by it
            f"interface,interface=eth0 in_bits_per_second=1.0 {now}",  # no device
            f"collector cycle_duration_seconds=1.5,devices_count=1i {now}",
        ]
    ).encode()
    result = _ingest(client, seed.a.collector_credential, body, "c-1").json()
    assert result["accepted"] == 2
    assert [r["line"] for r in result["rejected"]] == [2, 3]
    latest = ctx.metrics.latest("interface", "in_bits_per_second", {"customer": "acme"}, ("device", "collector"))
    assert [(v.tags["device"], v.tags["collector"]) for v in latest] == [("acme-switch", "acme-collector")]


def test_bad_requests_get_clear_4xx(client: TestClient, seed: Seed) -> None:
    cred = seed.a.agent_credential
    assert _ingest(client, "vgn_wrong", b"mem used_percent=1.0", "x").status_code == 401
    assert _ingest(client, cred, b"not gzip", "x", **{"Content-Encoding": "gzip"}).status_code == 400
    assert _ingest(client, cred, b"mem used_percent=1.0", "bad id with spaces").status_code == 422
    assert _ingest(client, cred, b"", "empty").status_code == 400
    bomb = gzip.compress(b"a" * (40 * 1024 * 1024))
    assert _ingest(client, cred, bomb, "bomb", **{"Content-Encoding": "gzip"}).status_code == 413
    no_batch = client.post(
        "/api/v1/ingest", content=b"mem used_percent=1.0", headers={"Authorization": f"Bearer {cred}"}
    )
    assert no_batch.status_code == 422


def test_revoked_node_stops_at_once(client: TestClient, seed: Seed) -> None:
    cred = seed.a.agent_credential
    assert _ingest(client, cred, f"mem used_percent=1.0 {_now_ns()}".encode(), "r-1").status_code == 200
    revoked = client.post(f"/api/v1/nodes/{seed.a.agent_node_id}/revoke", headers=seed.auth("admin"))
    assert revoked.status_code == 200
    assert _ingest(client, cred, f"mem used_percent=1.0 {_now_ns()}".encode(), "r-2").status_code == 401


def test_inventory_lands_on_the_device(client: TestClient, seed: Seed) -> None:
    inventory = {"os": "Debian 12", "kernel": "6.1", "cpu_cores": 2, "serial": "SN<script>", "interfaces": []}
    answer = client.put(
        "/api/v1/node/inventory", json=inventory, headers={"Authorization": f"Bearer {seed.a.agent_credential}"}
    )
    assert answer.status_code == 204, answer.text
    device = client.get(f"/api/v1/devices/{seed.a.host_id}", headers=seed.auth("admin")).json()
    assert device["inventory"]["cpu_cores"] == 2 and device["serial"] == "SN<script>"
    bad = client.put(
        "/api/v1/node/inventory", json={"cpu_cores": -1}, headers={"Authorization": f"Bearer {seed.a.agent_credential}"}
    )
    assert bad.status_code == 422


def test_old_batch_ids_are_forgotten_and_recent_ones_kept(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    from vigil.server.db.models import IngestBatch
    from vigil.server.services.ingest import prune_batch_ids

    for batch in ("old", "new"):
        assert (
            _ingest(client, seed.a.agent_credential, f"mem used_percent=1.0 {_now_ns()}".encode(), batch).status_code
            == 200
        )
    with ctx.sessions() as db, db.begin():
        old = db.scalar(select(IngestBatch).where(IngestBatch.batch_id == "old"))
        assert old is not None
        old.created_at = utcnow() - timedelta(hours=49)
    assert prune_batch_ids(ctx.sessions, kept_hours=48) == 1
    with ctx.sessions() as db:
        assert set(db.scalars(select(IngestBatch.batch_id))) == {"new"}


@pytest.mark.parametrize("forward_lines", [1000, 1])
def test_field_types_are_one_per_field_and_a_refused_point_is_a_rejected_line(
    ctx: AppContext, seed: Seed, metric_store: MetricStore, forward_lines: int
) -> None:
    """On every metric backend: integers and floats from different senders land as one type;
    a value the store refuses (a string where numbers were stored) is reported as that line,
    and the other lines of the batch are kept, not retried forever. With ``forward_lines=1``
    each line goes to InfluxDB as its own piece, so one refused piece among accepted ones."""
    from vigil.server.services.enrollment import authenticate_node
    from vigil.server.services.ingest import IngestService

    service = IngestService(ctx.sessions, metric_store, ctx.settings.ingest, forward_lines=forward_lines)
    with ctx.sessions() as db:
        node = authenticate_node(db, seed.a.agent_credential)
    now = _now_ns()
    first = service.ingest(node, "t-1", f"mem used_bytes=5i {now}\n".encode(), None)
    assert first.accepted == 1 and not first.rejected
    body = f'mem used_bytes=7.5 {now + 1}\nmem used_bytes="lots" {now + 2}\nmem used_percent=3.0 {now + 3}\n'
    second = service.ingest(node, "t-2", body.encode(), None)
    assert second.accepted == 2
    assert [r["line"] for r in second.rejected] == [2]
    assert "refused by the metric store" in second.rejected[0]["reason"]
    values = metric_store.query(
        SeriesQuery("mem", "used_bytes", now, now + 3, {"customer": "acme"}, aggregate="sum")
    )
    assert values[0].rows[0][1] == 12.5


def test_an_unreachable_influxdb_fails_the_whole_batch_and_records_nothing(
    ctx: AppContext, seed: Seed, influxdb_url: str, tmp_path: Path
) -> None:
    """The batch goes to InfluxDB in pieces; when they cannot be stored the ingest raises the
    store's error (503 to the sender), the batch id is not recorded, and the sender's retry with
    the same batch id stores everything once InfluxDB is back."""
    from vigil.server.config import MetricsSettings
    from vigil.server.metrics import MetricStoreUnavailable, open_store
    from vigil.server.services.enrollment import authenticate_node
    from vigil.server.services.ingest import IngestService

    from tests.services.ports import free_port

    def service_on(url: str) -> IngestService:
        settings = MetricsSettings(
            backend="influxdb", influx_url=url, influx_database="unreachable_then_back", influx_timeout_seconds=2
        )
        return IngestService(ctx.sessions, open_store(settings, tmp_path), ctx.settings.ingest, forward_lines=2)

    with ctx.sessions() as db:
        node = authenticate_node(db, seed.a.agent_credential)
    now = _now_ns()
    body = "".join(f"cpu,cpu={i} util_percent={i}.5 {now}\n" for i in range(5)).encode()
    down = service_on(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(MetricStoreUnavailable):
        down.ingest(node, "retry-me", body, None)
    down.store.close()
    with ctx.sessions() as db:
        assert db.scalar(select(IngestBatch).where(IngestBatch.batch_id == "retry-me")) is None
    up = service_on(influxdb_url)
    try:
        result = up.ingest(node, "retry-me", body, None)
        assert (result.accepted, result.rejected, result.replayed) == (5, [], False)
        assert up.ingest(node, "retry-me", body, None).replayed
        stored = up.store.query(SeriesQuery("cpu", "util_percent", now, now + 1, {"host": "acme-agent"}, ("cpu",)))
        assert [(s.tags["cpu"], s.rows[0][1]) for s in stored] == [(str(i), i + 0.5) for i in range(5)]
    finally:
        up.store.close()
        httpx.post(f"{influxdb_url}/query", data={"q": 'DROP DATABASE "unreachable_then_back"'})


def test_the_pieces_reach_influxdb_when_its_database_was_dropped_or_a_kept_connection_died(
    ctx: AppContext, seed: Seed, influxdb_url: str, tmp_path: Path
) -> None:
    """The InfluxDB pipeline (one kept-alive connection, one piece in flight): a database
    dropped behind the server's back is created again, and a pooled connection the peer
    closed is replaced; every line is stored once."""
    import socket

    from vigil.server.config import MetricsSettings
    from vigil.server.metrics import open_store
    from vigil.server.metrics.influxdb import InfluxStore, V1Writer
    from vigil.server.services.enrollment import authenticate_node
    from vigil.server.services.ingest import IngestService

    settings = MetricsSettings(backend="influxdb", influx_url=influxdb_url, influx_database="pieces_recover")
    store = open_store(settings, tmp_path)
    assert isinstance(store, InfluxStore)
    service = IngestService(ctx.sessions, store, ctx.settings.ingest, forward_lines=2, first_piece_lines=1)
    with ctx.sessions() as db:
        node = authenticate_node(db, seed.a.agent_credential)
    now = _now_ns()

    def body(offset: int) -> bytes:
        return "".join(f"cpu,cpu={i} util_percent={i + offset}.5 {now + offset}\n" for i in range(5)).encode()

    try:
        httpx.post(f"{influxdb_url}/query", data={"q": 'DROP DATABASE "pieces_recover"'})
        assert service.ingest(node, "after-drop", body(0), None).accepted == 5
        writer = store._writer
        assert isinstance(writer, V1Writer) and writer._idle
        for conn in writer._idle:
            assert conn.sock is not None
            conn.sock.shutdown(socket.SHUT_RDWR)  # as if InfluxDB had closed the kept connection
        assert service.ingest(node, "after-reset", body(1), None).accepted == 5
        for offset in (0, 1):
            stored = store.query(
                SeriesQuery("cpu", "util_percent", now + offset, now + offset + 1, {"host": "acme-agent"}, ("cpu",))
            )
            assert [(s.tags["cpu"], s.rows[0][1]) for s in stored] == [(str(i), i + offset + 0.5) for i in range(5)]
    finally:
        store.close()
        httpx.post(f"{influxdb_url}/query", data={"q": 'DROP DATABASE "pieces_recover"'})


def _enroll_agent(client: TestClient, seed: Seed, name: str, version: str) -> tuple[str, int]:
    """Enrol an agent through the API; its credential and the id of its host's device."""
    answer = client.post("/api/v1/enroll", json={"token": _token(client, seed), "name": name, "version": version})
    assert answer.status_code == 200, answer.text
    listed = client.get("/api/v1/devices", params={"customer_id": seed.a.customer_id}, headers=seed.auth("admin"))
    (device_id,) = [d["id"] for d in listed.json() if d["name"] == name]
    return str(answer.json()["credential"]), int(device_id)


def _node_seen(client: TestClient, seed: Seed, name: str) -> tuple[str | None, datetime | None]:
    """The version and last-seen time that ``GET /api/v1/nodes`` shows for an agent."""
    nodes = client.get("/api/v1/nodes", params={"customer_id": seed.a.customer_id}, headers=seed.auth("admin"))
    (node,) = [n for n in nodes.json() if n["name"] == name and n["kind"] == "agent"]
    seen = node["last_seen_at"]
    return node["version"], datetime.fromisoformat(seen) if seen else None


def _device_seen(client: TestClient, seed: Seed, device_id: int) -> datetime | None:
    seen = client.get(f"/api/v1/devices/{device_id}", headers=seed.auth("admin")).json()["last_seen_at"]
    return datetime.fromisoformat(seen) if seen else None


def test_a_batch_updates_the_agent_version_and_last_seen_of_node_and_host(
    client: TestClient, seed: Seed, ctx: AppContext
) -> None:
    """An upgraded agent's next batch shows its new version on the node, and both the node and
    its host's device show a last-seen time newer than the one they had."""
    credential, device_id = _enroll_agent(client, seed, "web-01", "0.1.0")
    assert _node_seen(client, seed, "web-01") == ("0.1.0", None)
    assert _device_seen(client, seed, device_id) is None
    # As if the agent had last been heard from an hour ago (set, not waited for).
    before = utcnow() - timedelta(hours=1)
    with ctx.sessions() as db, db.begin():
        db.execute(update(Node).where(Node.name == "web-01").values(last_seen_at=before))
        db.execute(update(Device).where(Device.id == device_id).values(last_seen_at=before))

    body = f"mem used_percent=12.0 {_now_ns()}".encode()
    answer = _ingest(client, credential, body, "v-1", **{"X-Vigil-Version": "9.9.9"})
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    version, node_seen = _node_seen(client, seed, "web-01")
    device_seen = _device_seen(client, seed, device_id)
    assert version == "9.9.9"
    assert node_seen is not None and node_seen > before
    assert device_seen is not None and device_seen > before


@pytest.mark.parametrize(
    "hostile",
    [
        "9" * 65,
        "9.9.9;<script>alert(1)</script>",
    ],
)
def test_a_hostile_version_header_is_refused_and_changes_nothing(
    client: TestClient, seed: Seed, ctx: AppContext, hostile: str
) -> None:
    """A version header too long or outside the pattern gets a 422 before the body is read: the
    batch's points are not stored, its id is not recorded, and the node and its host keep the
    version and last-seen times they had."""
    credential, device_id = _enroll_agent(client, seed, "web-01", "0.1.0")
    first_body = f"mem used_percent=1.0 {_now_ns()}".encode()
    first = _ingest(client, credential, first_body, "ok", **{"X-Vigil-Version": "9.9.9"})
    assert first.status_code == 200, first.text
    shown = _node_seen(client, seed, "web-01"), _device_seen(client, seed, device_id)

    body = f"mem used_percent=66.6 {_now_ns()}".encode()
    answer = _ingest(client, credential, body, "hostile", **{"X-Vigil-Version": hostile})
    assert answer.status_code == 422, answer.text
    assert (_node_seen(client, seed, "web-01"), _device_seen(client, seed, device_id)) == shown
    with ctx.sessions() as db:
        assert db.scalar(select(IngestBatch).where(IngestBatch.batch_id == "hostile")) is None
    latest = ctx.metrics.latest("mem", "used_percent", {"host": "web-01"})
    assert [v.value for v in latest] == [1.0]


def test_inventory_agent_version_updates_the_node_version(client: TestClient, seed: Seed) -> None:
    """The version in an agent's inventory is the node's version too; a hostile one is refused
    with a 422 and changes neither the node nor the inventory already stored."""
    credential, _ = _enroll_agent(client, seed, "web-01", "0.1.0")
    node = {"Authorization": f"Bearer {credential}"}
    answer = client.put(
        "/api/v1/node/inventory", json={"os": "Debian 12", "agent_version": "1.2.0-rc.1+g3f2a"}, headers=node
    )
    assert answer.status_code == 204, answer.text
    version, seen = _node_seen(client, seed, "web-01")
    assert version == "1.2.0-rc.1+g3f2a" and seen is not None

    for hostile in ("1.0 <b>", "1" * 65, ""):
        bad = client.put("/api/v1/node/inventory", json={"os": "Evil", "agent_version": hostile}, headers=node)
        assert bad.status_code == 422, (hostile, bad.text)
    assert _node_seen(client, seed, "web-01") == (version, seen)
    listed = client.get("/api/v1/devices", params={"customer_id": seed.a.customer_id}, headers=seed.auth("admin"))
    (device,) = [d for d in listed.json() if d["name"] == "web-01"]
    assert device["inventory"]["os"] == "Debian 12"
