"""From real ingest to tickets: the arrival worker opens, counts, resolves and reopens tickets.

The app runs with its background workers (TestClient's lifespan); data goes through
``POST /api/v1/ingest`` with the seed's agent and collector credentials, on SQLite and
PostgreSQL. Restarts are new apps on the same database and metric files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from vigil.server.alerting.models import AlertLogRow, AlertStateRow
from vigil.server.app import create_app
from vigil.server.config import Settings
from vigil.server.context import AppContext
from vigil.server.db.models import Ticket, TicketEvent, TicketStatus

from tests.seed import Seed

FAST_CPU = {"cpu_high": {"for": "0s", "reduce": "last", "window": None, "keep_firing_for": "0s",
                         "clear_threshold": None}}


def wait_for(check: Callable[[], Any], what: str, timeout_seconds: float = 60.0) -> Any:
    """Polls until ``check`` returns something truthy: the workers run in their own thread."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def send(client: TestClient, credential: str, lines: list[str], batch: str) -> None:
    answer = client.post("/api/v1/ingest", content="\n".join(lines).encode(),
                         headers={"Authorization": f"Bearer {credential}", "X-Vigil-Batch-Id": batch})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == [], answer.json()


def tickets(ctx: AppContext, fingerprint_rule: str) -> list[Ticket]:
    with ctx.sessions() as db:
        return list(db.scalars(select(Ticket).where(Ticket.rule_id == fingerprint_rule).order_by(Ticket.id)))


def override(client: TestClient, seed: Seed, device_id: int, rules: dict[str, Any]) -> None:
    answer = client.put("/api/v1/rules/overrides", headers=seed.auth("admin"),
                        json={"level": "device", "device_id": device_id, "rules": rules})
    assert answer.status_code == 200, answer.text


def test_breach_opens_one_ticket_counts_repeats_and_resolves(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    override(client, seed, seed.a.host_id, FAST_CPU)
    send(client, seed.a.agent_credential, ["cpu,cpu=total util_percent=99"], "b1")
    (ticket,) = wait_for(lambda: tickets(ctx, "cpu_high"), "the cpu ticket")
    assert ticket.status is TicketStatus.new and ticket.severity == "major" and ticket.priority == "P2"
    assert ticket.device_id == seed.a.host_id and ticket.source.value == "rule"
    assert "acme-agent" in ticket.title

    send(client, seed.a.agent_credential, ["cpu,cpu=total util_percent=98"], "b2")  # still firing: no news
    send(client, seed.a.agent_credential, ["cpu,cpu=total util_percent=10"], "b3")
    wait_for(lambda: tickets(ctx, "cpu_high")[0].status is TicketStatus.resolved, "the resolve")
    send(client, seed.a.agent_credential, ["cpu,cpu=total util_percent=97"], "b4")  # back within an hour
    wait_for(lambda: tickets(ctx, "cpu_high")[0].status is TicketStatus.new, "the reopen")
    assert len(tickets(ctx, "cpu_high")) == 1
    with ctx.sessions() as db:
        actions = [e.action for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))]
        kinds = [r.kind for r in db.scalars(select(AlertLogRow).order_by(AlertLogRow.id))]
    assert actions[0] == "open" and "resolve" in actions and "reopen" in actions
    assert kinds == ["opened", "resolved", "reopened"]


def test_a_restart_mid_incident_keeps_one_ticket(settings: Settings, seed: Seed, ctx: AppContext) -> None:
    with TestClient(create_app(settings)) as first:
        override(first, seed, seed.a.host_id, FAST_CPU)
        send(first, seed.a.agent_credential, ["cpu,cpu=total util_percent=99"], "r1")
        wait_for(lambda: tickets(ctx, "cpu_high"), "the cpu ticket")
    with TestClient(create_app(settings)) as second:
        send(second, seed.a.agent_credential, ["cpu,cpu=total util_percent=99"], "r2")
        # A marker: the memory ticket opens in a round after the one that saw r2.
        override(second, seed, seed.a.host_id, {**FAST_CPU, "memory_high": {"for": "0s"}})
        send(second, seed.a.agent_credential, ["mem used_percent=99"], "r3")
        wait_for(lambda: tickets(ctx, "memory_high"), "the memory ticket")
    (ticket,) = tickets(ctx, "cpu_high")
    assert ticket.occurrences == 1 and ticket.status is TicketStatus.new


def test_collector_devices_and_bad_data_do_not_stop_alerting(client: TestClient, seed: Seed, ctx: AppContext) -> None:
    override(client, seed, seed.a.switch_id, {"ups_on_battery": {"for": "0s"}})
    answer = client.post(
        "/api/v1/ingest",
        content=b"ups,device=acme-switch on_battery=1i\nups,device=acme-switch nonsense=1i\nbogus x=1",
        headers={"Authorization": f"Bearer {seed.a.collector_credential}", "X-Vigil-Batch-Id": "c1"},
    )
    assert answer.status_code == 200 and len(answer.json()["rejected"]) == 2
    (ticket,) = wait_for(lambda: tickets(ctx, "ups_on_battery"), "the UPS ticket")
    assert ticket.severity == "critical" and ticket.priority == "P1" and ticket.device_id == seed.a.switch_id
    with ctx.sessions() as db:
        row = db.scalar(select(AlertStateRow).where(AlertStateRow.rule == "ups_on_battery"))
        assert row is not None and row.ticket_id == ticket.id and row.incident_open
