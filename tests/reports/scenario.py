"""Scenario data with known answers for the report tests: October 2026 in Asia/Shanghai.

Customer A (acme, Chinese, gold 7x24):

- host ``acme-agent``: samples every 5 minutes; no data 2026-10-10 02:00-05:00 local (3 h
  unplanned), none 2026-10-18 01:00-03:00 local inside a maintenance window 00:00-04:00 (2 h
  planned); uptime restarts after each gap (2 reboots); memory 93% (p95 above 90%: "add
  memory"); ``/data`` fills linearly from 50% on Oct 1 00:00 by 1 point a day, so at the end of
  the month it is 81% and full in exactly 19.0 days; ``/`` stays at 40%.
- switch ``acme-switch``: answers every ping all month; a hostile sysDescr.
- availability: host (742 - 3) / 742 = 99.60%; overall (739 + 744) / (742 + 744) = 99.80%.
- tickets (gold: P1 15 min / 4 h, P2 30 min / 8 h, P3 2 h / 24 h): four tickets, one response
  breach (P2 answered after 45 min) and one resolution breach (P3 resolved after 30 h), so
  SLA attainment is 6 of 8 clocks = 75.0%.

Customer B (bravo, English): one host up all month, nothing else: 100.00%.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session
from vigil.agent.wire import Point
from vigil.server.alerting.service import WindowIn, create_window
from vigil.server.db.models import Contract, Customer, Device, Ticket
from vigil.server.metrics.base import MetricStore
from vigil.server.services.principal import system_principal
from vigil.server.tickets import parts, service
from vigil.server.tickets.models import Survey

from tests.seed import Seed

ZONE = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"
START = datetime(2026, 10, 1, tzinfo=ZONE)
END = datetime(2026, 11, 1, tzinfo=ZONE)
STEP = timedelta(minutes=5)
NS = 1_000_000_000
HOSTILE = '</td></tr></table><h1 id="pwned">PWNED</h1><img src="file:///etc/passwd"><style>*{display:none}</style>'
UNPLANNED = (datetime(2026, 10, 10, 2, tzinfo=ZONE), datetime(2026, 10, 10, 5, tzinfo=ZONE))
PLANNED = (datetime(2026, 10, 18, 1, tzinfo=ZONE), datetime(2026, 10, 18, 3, tzinfo=ZONE))
WINDOW_START = datetime(2026, 10, 18, 0, 0)  # local wall clock
EXPECTED_HOST_AVAILABILITY = "99.60%"
EXPECTED_OVERALL_AVAILABILITY = "99.80%"
EXPECTED_SLA = "75.0%"
EXPECTED_DAYS_UNTIL_FULL = "19.0"


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS


def _times(skip: list[tuple[datetime, datetime]] = ()) -> list[datetime]:  # type: ignore[assignment]
    found = []
    moment = START
    while moment < END:
        if not any(lo <= moment < hi for lo, hi in skip):
            found.append(moment)
        moment += STEP
    return found


def host_points(customer: str, host: str, gaps: list[tuple[datetime, datetime]], memory_percent: float) -> list[Point]:
    tags = {"customer": customer, "site": "main", "host": host}
    points = []
    boot = START - timedelta(days=3)
    for moment in _times(gaps):
        if any(hi <= moment and boot < hi for _lo, hi in gaps):
            boot = max(hi for _lo, hi in gaps if hi <= moment)
        t = _ns(moment)
        days = (moment - START).total_seconds() / 86400
        points += [
            Point("system", tags, {"uptime_seconds": (moment - boot).total_seconds(), "load1": 0.5}, t),
            Point("cpu", {**tags, "cpu": "total"}, {"util_percent": 20.0 + (moment.hour % 4) * 5.0}, t),
            Point("mem", tags, {"used_percent": memory_percent}, t),
            Point("disk", {**tags, "path": "/data", "device_name": "sdb1", "fstype": "xfs"},
                  {"used_percent": 50.0 + days}, t),
            Point("disk", {**tags, "path": "/", "device_name": "sda1", "fstype": "ext4"}, {"used_percent": 40.0}, t),
            Point("net", {**tags, "interface": "eth0"},
                  {"recv_bytes_per_second": 125000.0, "sent_bytes_per_second": 62500.0}, t),
        ]
    return points


def switch_points(customer: str, device: str) -> list[Point]:
    tags = {"customer": customer, "site": "main", "collector": f"{customer}-collector", "device": device}
    points = [Point("device_info", tags, {"sys_descr": HOSTILE}, _ns(START))]
    for moment in _times():
        t = _ns(moment)
        points += [
            Point("ping", {**tags, "method": "icmp", "target": "127.0.0.1"}, {"up": 1, "rtt_seconds": 0.001}, t),
            Point("device_cpu", {**tags, "unit": "1"}, {"util_percent": 15.0}, t),
            Point("interface", {**tags, "interface": "Gi0/1", "alias": "uplink"},
                  {"in_util_percent": 30.0, "out_util_percent": 10.0, "in_bytes_per_second": 3.75e6,
                   "out_bytes_per_second": 1.25e6, "in_errors_per_second": 0.0}, t),
        ]
    return points


def write_metrics(store: MetricStore) -> None:
    batches = [
        host_points("acme", "acme-agent", [UNPLANNED, PLANNED], 93.0),
        switch_points("acme", "acme-switch"),
        host_points("bravo", "bravo-agent", [], 50.0),
    ]
    for points in batches:
        for index in range(0, len(points), 20_000):
            store.write(points[index : index + 20_000])


def _ticket(db: Session, customer_id: int, device_id: int, title: str, priority: str, source: str,
            opened: datetime, respond_after: timedelta, resolve_after: timedelta, fix: str) -> int:
    ticket = service.open_ticket(db, customer_id=customer_id, title=title, source=source, priority=priority,
                                 device_id=device_id, description=f"cause of {title}", notify=False,
                                 now=opened.astimezone(UTC))
    service.change_status(db, ticket, "in_progress", actor="user:1", now=(opened + respond_after).astimezone(UTC))
    service.resolve_ticket(db, ticket, actor="user:1", note=fix, notify=False,
                           now=(opened + resolve_after).astimezone(UTC))
    return ticket.id


def prepare_world(db: Session, seed: Seed) -> None:
    """Relational side of the scenario (call inside a transaction)."""
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    db.execute(update(Device).values(created_at=long_ago))
    a = db.get(Customer, seed.a.customer_id)
    b = db.get(Customer, seed.b.customer_id)
    assert a is not None and b is not None
    a.language, b.language = "zh", "en"
    a.report_contacts = ["cio@acme.example", "ops@acme.example"]
    b.report_contacts = ["it@bravo.example"]
    db.add(Contract(customer_id=a.id, number="A-2026", sla_level="gold", terms={}, active=True))
    db.add(Contract(customer_id=b.id, number="B-2026", sla_level="gold", terms={}, active=True))
    db.flush()
    create_window(db, system_principal(), WindowIn(
        customer_id=a.id, description="firmware upgrade", scope={"device": "acme-agent"},  # type: ignore[arg-type]
        start=WINDOW_START, duration="4h"))
    host = seed.a.host_id
    day = timedelta(days=1)
    t1 = _ticket(db, a.id, host, "磁盘告警", "P1", "rule", datetime(2026, 10, 5, 10, tzinfo=ZONE),
                 timedelta(minutes=10), timedelta(hours=3), "清理日志")
    _ticket(db, a.id, host, "内存不足", "P2", "phone", datetime(2026, 10, 12, 9, tzinfo=ZONE),
            timedelta(minutes=45), timedelta(hours=5), "重启服务")
    t3 = _ticket(db, a.id, seed.a.switch_id, "电源故障", "P3", "email", datetime(2026, 10, 20, 14, tzinfo=ZONE),
                 timedelta(hours=1), timedelta(hours=30), "更换电源")
    _ticket(db, a.id, host, "备份失败", "P3", "phone", datetime(2026, 10, 25, 9, tzinfo=ZONE),
            timedelta(minutes=30), timedelta(hours=2), "修复备份任务")
    t3_row = db.get(Ticket, t3)
    assert t3_row is not None
    parts.request_part(db, t3_row, part="PSU 500W", quantity=1, origin="domestic", actor="user:1",
                       now=datetime(2026, 10, 20, 16, tzinfo=ZONE).astimezone(UTC))
    db.add(Survey(ticket_id=t1, customer_id=a.id, token_hash="scenario-survey", expires_at=START + 20 * day,
                  answered_at=START + 6 * day, channel="web", score_overall=5, score_speed=4, score_quality=5,
                  comment="响应很快", created_at=START + 5 * day))
    db.flush()
