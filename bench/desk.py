"""Service desk benchmark: SLA clocks, the queue, the reminder scan and the outbox.

    .venv/bin/python bench/desk.py [--tickets 1000] [--messages 300]

In one run, in process, on SQLite:

1. **SLA clock evaluations per second**, business hours on the China calendar (a clock 10
   working days old, two pauses) against the same clock on 7x24 (the reference: pure
   subtraction), so the ratio is the price of the calendar walk;
2. **queue**: ``--tickets`` open tickets (half business hours, half 7x24, one pause each) of one
   customer; the time to build the queue (every clock of every ticket, sorted), which is what
   the queue page and ``GET /api/v1/tickets`` cost;
3. **reminder scan**: the same tickets scanned once with reminders due on all of them, then
   scanned again with nothing due (the steady state of the background worker);
4. **outbox**: ``--messages`` e-mails (plus the reminders step 3 queued) delivered by the dispatcher to an aiosmtpd
   server on loopback (lease, send, record, log on the ticket), against the reference of
   smtplib sending the same messages to the same server (one connection per message, as the
   channel does), so the ratio is the outbox's own overhead.
"""

from __future__ import annotations

import argparse
import shutil
import smtplib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vigil.server.config import Settings  # noqa: E402
from vigil.server.context import build_context  # noqa: E402
from vigil.server.db.migrate import upgrade  # noqa: E402
from vigil.server.db.models import Contract  # noqa: E402
from vigil.server.notify import outbox  # noqa: E402
from vigil.server.notify.dispatcher import Dispatcher, DispatchPolicy  # noqa: E402
from vigil.server.notify.registry import build_channel  # noqa: E402
from vigil.server.services.principal import system_principal  # noqa: E402
from vigil.server.tickets import desk, reminders, service, sla  # noqa: E402
from vigil.server.tickets.config import DeskSettings  # noqa: E402

from tests.desk.receivers import start_smtp  # noqa: E402
from tests.desk.world import prepare_desk  # noqa: E402
from tests.seed import seed_tenants  # noqa: E402

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai


def clock_rate(hours: sla.ServiceHours, rounds: int) -> float:
    start = T0
    now = T0 + timedelta(days=14)
    pauses = [sla.Pause(T0 + timedelta(days=2), T0 + timedelta(days=3)),
              sla.Pause(T0 + timedelta(days=5, hours=2), T0 + timedelta(days=5, hours=6))]
    began = time.perf_counter()
    for _ in range(rounds):
        sla.clock(hours, 960, start, now, pauses)
    return rounds / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()

    business = sla.ServiceHours(kind="business")
    always = sla.ServiceHours(kind="24x7")
    rate_b, rate_a = clock_rate(business, 2000), clock_rate(always, 20000)
    print("1. SLA clock evaluations per second (14-day span, 2 pauses)")
    print(f"   business hours, CN calendar: {rate_b:10,.0f}/s")
    print(f"   7x24 (reference):            {rate_a:10,.0f}/s   ratio {rate_b / rate_a:.3f}")

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        template = base / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        database = base / "bench.sqlite3"
        shutil.copyfile(template, database)
        settings = Settings(data_dir=base / "data", database_url=f"sqlite:///{database}",
                            secret_key="bench-secret-key")  # type: ignore[arg-type]
        ctx = build_context(settings)
        world = prepare_desk(ctx, seed_tenants(ctx))
        with ctx.sessions() as db, db.begin():
            silver = Contract(customer_id=world.seed.a.customer_id, number="A-silver", sla_level="silver",
                              terms={}, active=True)
            db.add(silver)
            db.flush()
            for i in range(args.tickets):
                ticket = service.open_ticket(db, customer_id=world.seed.a.customer_id, title=f"ticket {i}",
                                             source="rule", priority=("P1", "P2", "P3", "P4")[i % 4],
                                             notify=False, now=T0 + timedelta(minutes=i % 300))
                if i % 2:
                    service.change_contract(db, ticket, silver.id, actor="bench", now=T0)
                service.change_status(db, ticket, "waiting_customer", actor="bench", now=T0 + timedelta(hours=1))
                service.change_status(db, ticket, "in_progress", actor="bench", now=T0 + timedelta(hours=2))
        now = T0 + timedelta(days=3)
        with ctx.sessions() as db:
            began = time.perf_counter()
            rows = desk.queue(db, system_principal(), now, limit=args.tickets)
            spent = time.perf_counter() - began
        print(f"2. queue of {len(rows)} open tickets (every clock, sorted): {spent * 1000:,.0f} ms "
              f"({len(rows) / spent:,.0f} tickets/s)")
        cfg = DeskSettings(reminder_channels=["email"])
        with ctx.sessions() as db, db.begin():
            began = time.perf_counter()
            fired = reminders.scan(db, cfg, now)
            first = time.perf_counter() - began
        with ctx.sessions() as db, db.begin():
            began = time.perf_counter()
            again = reminders.scan(db, cfg, now + timedelta(seconds=30))
            steady = time.perf_counter() - began
        print(f"3. reminder scan: first pass {first:.2f} s ({fired} reminders fired), "
              f"steady pass {steady:.2f} s ({again} fired) for {args.tickets} open tickets")

        smtp_gen = start_smtp(base)
        servers = next(smtp_gen)
        try:
            with ctx.sessions() as db, db.begin():
                ticket_id = rows[0].ticket.id
                for i in range(args.messages):
                    outbox.enqueue(db, key=f"bench-{i}", channel="email", purpose="bench", subject=f"bench {i}",
                                   body="x" * 400, recipient="ops@bench.example",
                                   customer_id=world.seed.a.customer_id, ticket_id=ticket_id, now=now)
            channel = build_channel("email", {"type": "email", "host": "127.0.0.1", "port": servers.plain_port,
                                              "security": "none", "from_address": "desk@vigil.example"})
            dispatcher = Dispatcher(ctx.sessions, {"email": channel}, DispatchPolicy(batch_size=50))
            began = time.perf_counter()
            delivered = 0
            while attempts := dispatcher.run_once(now):
                delivered += attempts  # the bench mails and the reminders queued by step 3
            outbox_s = time.perf_counter() - began
            assert len(servers.box.to("ops@bench.example")) == args.messages
            began = time.perf_counter()
            for i in range(args.messages):
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = "desk@vigil.example", "ref@bench.example", f"ref {i}"
                mail.set_content("x" * 400)
                with smtplib.SMTP("127.0.0.1", servers.plain_port) as smtp:
                    smtp.send_message(mail)
            reference_s = time.perf_counter() - began
        finally:
            smtp_gen.close()
        outbox_rate, reference_rate = delivered / outbox_s, args.messages / reference_s
        print(f"4. outbox: {delivered} mails delivered in {outbox_s:.2f} s ({outbox_rate:,.0f}/s); "
              f"smtplib alone {reference_rate:,.0f}/s; ratio {outbox_rate / reference_rate:.2f}")
        ctx.close()


if __name__ == "__main__":
    main()
