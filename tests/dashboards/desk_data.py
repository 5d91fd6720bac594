"""Tickets written straight into vigil's migrated PostgreSQL schema for the SLA panels' SQL.

Two customers (acme, bravo); open tickets of every priority; one whose response is overdue,
one due in 20 minutes, one paused (never at risk), resolved ones in time and late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

AT_RISK_NUMBERS = {"T-ACME-1", "T-ACME-2"}
PAUSED_NUMBER = "T-ACME-3"


def seed_desk(dsn: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = {}
        for slug, name in (("acme", "ACME 制造"), ("bravo", "Bravo Bank")):
            row = conn.execute(
                "INSERT INTO customers (slug, name, language, timezone, report_contacts, notice_contacts, created_at)"
                " VALUES (%s, %s, 'zh', 'Asia/Shanghai', '[]', '[]', %s) RETURNING id", (slug, name, now)
            ).fetchone()
            assert row is not None
            ids[slug] = row[0]

        def ticket(number: str, slug: str, priority: str, status: str, created: datetime, *,
                   responded: datetime | None = None, response_due: datetime | None = None,
                   resolution_due: datetime | None = None, resolved: datetime | None = None) -> int:
            row = conn.execute(
                "INSERT INTO tickets (number, customer_id, title, description, status, priority, source,"
                " occurrences, created_at, updated_at, resolved_at) VALUES"
                " (%s, %s, %s, '', %s, %s, 'rule', 1, %s, %s, %s) RETURNING id",
                (number, ids[slug], f"{number} title", status, priority, created, created, resolved),
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO ticket_desk (ticket_id, customer_id, tier, responded_at, response_due_at,"
                " resolution_due_at) VALUES (%s, %s, 1, %s, %s, %s)",
                (row[0], ids[slug], responded, response_due, resolution_due),
            )
            return int(row[0])

        hour = timedelta(hours=1)
        ticket("T-ACME-1", "acme", "P1", "new", now - hour, response_due=now - timedelta(minutes=10),
               resolution_due=now + 3 * hour)
        ticket("T-ACME-2", "acme", "P2", "in_progress", now - 2 * hour, responded=now - 1.5 * hour,
               response_due=now - hour, resolution_due=now + timedelta(minutes=20))
        paused = ticket(PAUSED_NUMBER, "acme", "P2", "waiting_customer", now - 5 * hour,
                        responded=now - 4 * hour, response_due=now - 4 * hour, resolution_due=now - hour)
        conn.execute("INSERT INTO ticket_pauses (ticket_id, reason, started_at) VALUES (%s, 'customer', %s)",
                     (paused, now - 3 * hour))
        ticket("T-ACME-4", "acme", "P3", "assigned", now - 3 * hour, responded=now - 2.9 * hour,
               response_due=now - 2 * hour, resolution_due=now + 20 * hour)
        ticket("T-ACME-5", "acme", "P3", "resolved", now - 30 * hour, responded=now - 29.8 * hour,
               response_due=now - 29 * hour, resolution_due=now - 10 * hour, resolved=now - 20 * hour)
        ticket("T-BRAVO-1", "bravo", "P4", "new", now - hour, response_due=now + 7 * hour,
               resolution_due=now + 48 * hour)
        ticket("T-BRAVO-2", "bravo", "P1", "resolved", now - 30 * hour, responded=now - 29.9 * hour,
               response_due=now - 29.5 * hour, resolution_due=now - 26 * hour, resolved=now - 27 * hour)
        ticket("T-BRAVO-3", "bravo", "P2", "closed", now - 50 * hour, responded=now - 48 * hour,
               response_due=now - 49 * hour, resolution_due=now - 40 * hour, resolved=now - 30 * hour)
