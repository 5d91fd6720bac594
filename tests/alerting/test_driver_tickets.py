"""What the driver does to tickets, replayed on the embedded store with a real database.

Each case is a small scenario (same format as tests/scenarios/) followed by checks on the
tickets and their logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from vigil.checks.scenario import check_outcome, load_scenario
from vigil.server.db.models import Ticket, TicketEvent, TicketStatus
from vigil.server.metrics.embedded import EmbeddedStore

from tests.alerting.replay import replay
from tests.services.metric_stores import embedded_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    found = embedded_store(tmp_path / "metrics.sqlite3")
    try:
        yield found
    finally:
        found.close()


def all_tickets(sessions: sessionmaker[Session]) -> list[Ticket]:
    with sessions() as db:
        return list(db.scalars(select(Ticket).order_by(Ticket.id)))


def actions(sessions: sessionmaker[Session], ticket_id: int) -> list[str]:
    with sessions() as db:
        return [e.action for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                             .order_by(TicketEvent.id))]


def run(sessions: sessionmaker[Session], store: EmbeddedStore, text: str) -> None:
    scenario, outcome = replay(sessions, store, load_scenario(text))
    assert check_outcome(scenario, outcome) == []


def test_a_child_ticket_opened_first_is_linked_to_the_root_and_closes_with_it(
    sessions: sessionmaker[Session], store: EmbeddedStore
) -> None:
    run(sessions, store, """
name: child first
evaluation_interval: 30s
duration: 20m
default_rules: [device_unreachable]
devices:
  - {customer: acme, device: router1, identity_tag: device, site: hq}
  - {customer: acme, device: pc1, identity_tag: device, site: hq, parents: [router1]}
series:
  - {measurement: ping, field: loss_percent, tags: {customer: acme, device: pc1}, interval: 30s,
     values: "100x19 0x20"}
  - {measurement: ping, field: loss_percent, tags: {customer: acme, device: router1}, interval: 30s,
     values: "0x3 100x15 0x20"}
expect:
  tickets: 2
  counts: {opened: 2, symptom: 1, resolved: 2}
""")
    child, root = all_tickets(sessions)
    assert "pc1" in child.title and "router1" in root.title
    assert child.parent_ticket_id == root.id
    assert child.status is TicketStatus.resolved and root.status is TicketStatus.resolved
    assert child.resolved_at == root.resolved_at  # closed with its root cause
    assert "link_parent" in actions(sessions, child.id)


def test_forecast_severity_raises_the_priority(sessions: sessionmaker[Session], store: EmbeddedStore) -> None:
    run(sessions, store, """
name: fast filling
evaluation_interval: 6h
duration: 14d
default_rules: [disk_full_forecast]
devices:
  - {customer: acme, device: db1, identity_tag: host, site: hq}
series:
  - {measurement: disk, field: used_percent, tags: {customer: acme, host: db1, path: /data}, interval: 6h,
     values: "20+1x56"}
expect:
  tickets: 1
  counts: {opened: 1, severity_changed: 1}
""")
    (ticket,) = all_tickets(sessions)
    assert ticket.title.startswith("db1 path=/data: planned maintenance:")
    assert ticket.priority == "P2" and ticket.severity == "warning"  # maintenance caps critical at P2
    assert actions(sessions, ticket.id).count("priority") == 1


def test_a_new_incident_after_the_reopen_window_is_a_new_ticket(
    sessions: sessionmaker[Session], store: EmbeddedStore
) -> None:
    run(sessions, store, """
name: two incidents
evaluation_interval: 30s
duration: 15m
rules:
  - {name: mem_hot, type: threshold, severity: minor, measurement: mem, field: used_percent, threshold: 90,
     reopen_window: 2m}
devices:
  - {customer: acme, device: web1, identity_tag: host}
series:
  - {measurement: mem, field: used_percent, tags: {customer: acme, host: web1}, interval: 30s,
     values: "95x2 10x1 95x1 10x10 95x3"}
expect:
  counts: {opened: 2, reopened: 1, resolved: 2}
  tickets: 2
""")
    first, second = all_tickets(sessions)
    assert first.status is TicketStatus.closed and second.status is TicketStatus.new
    assert first.priority == "P3"
    assert actions(sessions, first.id) == ["open", "resolve", "reopen", "resolve", "close"]


def test_repeats_and_flapping_land_on_the_one_ticket(sessions: sessionmaker[Session], store: EmbeddedStore) -> None:
    text = (Path(__file__).parent.parent / "scenarios" / "flapping.yaml").read_text(encoding="utf-8")
    run(sessions, store, text)
    (ticket,) = all_tickets(sessions)
    log = actions(sessions, ticket.id)
    assert ticket.occurrences == 5  # the first and 4 repeats before flapping was seen
    assert log.count("comment") == 2 and log[-1] == "resolve"
