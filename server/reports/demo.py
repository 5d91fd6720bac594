"""The report's ``vigil demo`` part: a draft of the current month for the demo customer, made
from the data the demo's agent and collector have sent so far, a little while after start-up;
an engineer reviews, approves and sends it from the web desk (``/desk/reports``).

Registered in vigil.server.demo's ``DEMO_PARTS`` as ``start_report_draft``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from vigil.server.db.models import Customer
from vigil.server.errors import VigilError
from vigil.server.metrics.base import MetricStoreError
from vigil.server.reports.config import report_settings
from vigil.server.reports.service import generate_month
from vigil.server.services.principal import system_principal

if TYPE_CHECKING:
    from vigil.server.demo import DemoRun

log = logging.getLogger(__name__)
DRAFT_DELAY_SECONDS = 180.0


def draft_now(run: DemoRun, now: datetime | None = None) -> int:
    """Make (or refresh) the demo customer's draft for the current month; returns its id."""
    now = now or datetime.now(UTC)
    settings = report_settings(run.settings.extra_sections.get("reports"))
    with run.ctx.sessions() as db, db.begin():
        customer = db.get(Customer, run.customer_id)
        zone = ZoneInfo(customer.timezone if customer else "Asia/Shanghai")
        local = now.astimezone(zone)
        report = generate_month(db, run.ctx.metrics, settings, system_principal(), run.customer_id,
                                f"{local.year:04d}-{local.month:02d}", now=now)
        return report.id


def start_report_draft(run: DemoRun) -> None:
    """After a few minutes of collected data, the month's draft appears on the web desk."""

    def work() -> None:
        time.sleep(DRAFT_DELAY_SECONDS)
        try:
            report_id = draft_now(run)
        except (VigilError, SQLAlchemyError, MetricStoreError) as exc:
            log.error("demo: the report draft failed: %s", exc)
            return
        print(f"  report: this month's draft for the demo customer: {run.url}/desk/reports/{report_id}")

    threading.Thread(target=work, name="vigil-demo-report", daemon=True).start()
    print(f"  report: this month's draft in {DRAFT_DELAY_SECONDS:.0f} s at {run.url}/desk/reports")
