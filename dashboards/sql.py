"""SQL for the ticket and SLA panels, read by Grafana's PostgreSQL data source.

Written against vigil's documented tables (server/db/models.py and the desk migration), never
by importing the server: ``customers(id, slug)``, ``tickets(id, number, customer_id, title,
status, priority, created_at, resolved_at)``, ``ticket_desk(ticket_id, responded_at,
response_due_at, resolution_due_at)`` and ``ticket_pauses(ticket_id, ended_at)``.

``$customer`` is a multi-valued variable, which Grafana's SQL data sources expand to a list of
quoted strings (``'acme','bravo'``), so it goes inside ``IN (...)``. ``$__timeFilter(col)`` is
Grafana's macro for the dashboard's time range. A ticket is open unless resolved or closed;
its SLA is at risk when an unpaused clock (response until responded, then resolution) is due
within ``AT_RISK_SECONDS`` or already overdue. Give Grafana a read-only database role.
"""

# ruff: noqa: S608 - every statement here is built from this module's constants; Grafana fills the variables
from __future__ import annotations

AT_RISK_SECONDS = 3600
OPEN = "t.status NOT IN ('resolved', 'closed')"
CUSTOMER = "c.slug IN ($customer)"
_FROM = "FROM tickets t JOIN customers c ON c.id = t.customer_id"
_DUE = ("CASE WHEN d.responded_at IS NULL AND d.response_due_at IS NOT NULL "
        "AND (d.resolution_due_at IS NULL OR d.response_due_at < d.resolution_due_at) "
        "THEN d.response_due_at ELSE d.resolution_due_at END")
_UNPAUSED = "NOT EXISTS (SELECT 1 FROM ticket_pauses p WHERE p.ticket_id = t.id AND p.ended_at IS NULL)"

OPEN_BY_PRIORITY = f"""SELECT pr.priority AS "priority", count(t.id) AS "open"
FROM (VALUES ('P1'), ('P2'), ('P3'), ('P4')) AS pr(priority)
LEFT JOIN (tickets t JOIN customers c ON c.id = t.customer_id AND {CUSTOMER})
  ON t.priority = pr.priority AND {OPEN}
GROUP BY pr.priority ORDER BY pr.priority"""

OPEN_BY_CUSTOMER_AND_PRIORITY = f"""SELECT c.slug AS "customer",
  count(*) FILTER (WHERE t.priority = 'P1') AS "P1",
  count(*) FILTER (WHERE t.priority = 'P2') AS "P2",
  count(*) FILTER (WHERE t.priority = 'P3') AS "P3",
  count(*) FILTER (WHERE t.priority = 'P4') AS "P4",
  count(*) AS "open"
{_FROM}
WHERE {OPEN} AND {CUSTOMER}
GROUP BY c.slug ORDER BY count(*) FILTER (WHERE t.priority = 'P1') DESC, c.slug"""

OPEN_BY_STATUS = f"""SELECT t.status AS "status", count(*) AS "open"
{_FROM}
WHERE {OPEN} AND {CUSTOMER}
GROUP BY t.status ORDER BY t.status"""

_AT_RISK_ROWS = f"""{_FROM}
JOIN ticket_desk d ON d.ticket_id = t.id
WHERE {OPEN} AND {CUSTOMER} AND {_UNPAUSED}
  AND ({_DUE}) < now() + interval '{AT_RISK_SECONDS} seconds'"""

SLA_AT_RISK_COUNT = f'SELECT count(*) AS "at risk"\n{_AT_RISK_ROWS}'

SLA_AT_RISK = f"""SELECT t.number AS "ticket", c.slug AS "customer", t.priority AS "priority",
  t.status AS "status", t.title AS "title",
  CASE WHEN d.responded_at IS NULL THEN 'response' ELSE 'resolution' END AS "clock",
  ({_DUE}) AS "due",
  EXTRACT(EPOCH FROM (({_DUE}) - now())) AS "time left"
{_AT_RISK_ROWS}
ORDER BY ({_DUE}) LIMIT 200"""

OPENED_PER_DAY = f"""SELECT date_trunc('day', t.created_at) AS "time", count(*) AS "opened"
{_FROM}
WHERE $__timeFilter(t.created_at) AND {CUSTOMER}
GROUP BY 1 ORDER BY 1"""

RESPONSE_MET_PERCENT = f"""SELECT 100.0 * avg(CASE WHEN d.responded_at <= d.response_due_at THEN 1 ELSE 0 END)
  AS "response in time"
{_FROM}
JOIN ticket_desk d ON d.ticket_id = t.id
WHERE $__timeFilter(t.created_at) AND {CUSTOMER}
  AND d.response_due_at IS NOT NULL AND d.responded_at IS NOT NULL"""

RESOLUTION_MET_PERCENT = f"""SELECT 100.0 * avg(CASE WHEN t.resolved_at <= d.resolution_due_at THEN 1 ELSE 0 END)
  AS "resolved in time"
{_FROM}
JOIN ticket_desk d ON d.ticket_id = t.id
WHERE $__timeFilter(t.created_at) AND {CUSTOMER}
  AND d.resolution_due_at IS NOT NULL AND t.resolved_at IS NOT NULL"""

MEAN_RESPONSE_SECONDS = f"""SELECT avg(EXTRACT(EPOCH FROM (d.responded_at - t.created_at))) AS "mean time to respond"
{_FROM}
JOIN ticket_desk d ON d.ticket_id = t.id
WHERE $__timeFilter(t.created_at) AND {CUSTOMER} AND d.responded_at IS NOT NULL"""
