"""The draft scheduler: after each month ends, one draft per customer.

Every ``poll_seconds`` the worker looks at each customer in its own time zone: from
``draft_day`` at ``draft_hour`` of a month on, the previous month should have a report; a
customer without one gets its draft (a failure is logged and retried at the next poll, and never
stops the others). ``install`` registers the worker on the app's context (``INSTALLERS``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.context import AppContext
from vigil.server.db.models import Customer
from vigil.server.errors import VigilError
from vigil.server.metrics.base import MetricStore, MetricStoreError
from vigil.server.reports.config import ReportSettings, report_settings
from vigil.server.reports.models import Report
from vigil.server.reports.period import previous_month
from vigil.server.reports.service import generate_month
from vigil.server.services.principal import system_principal

log = logging.getLogger(__name__)


def due_month(settings: ReportSettings, timezone: str, now: datetime) -> str | None:
    """The month whose draft is due at ``now`` in the zone, or None before the draft time."""
    local = now.astimezone(ZoneInfo(timezone))
    if (local.day, local.hour) < (settings.draft_day, settings.draft_hour):
        return None
    return previous_month(now, timezone)


def run_once(
    sessions: sessionmaker[Session], store: MetricStore, settings: ReportSettings, now: datetime | None = None
) -> list[tuple[str, str]]:
    """Make every draft that is due; returns (customer slug, month) of the drafts made."""
    now = now or datetime.now(UTC)
    made = []
    with sessions() as db:
        customers = [(c.id, c.slug, c.timezone) for c in db.scalars(select(Customer).order_by(Customer.id))]
    for customer_id, slug, timezone in customers:
        month = due_month(settings, timezone, now)
        if month is None:
            continue
        try:
            with sessions() as db, db.begin():
                exists = db.scalar(
                    select(Report.id).where(
                        Report.customer_id == customer_id, Report.period_kind == "month", Report.period == month
                    )
                )
                if exists is not None:
                    continue
                generate_month(db, store, settings, system_principal(), customer_id, month, now=now)
            made.append((slug, month))
            log.info("reports: draft for %s %s made", slug, month)
        except (VigilError, SQLAlchemyError, MetricStoreError) as exc:
            log.error("reports: draft for %s %s failed: %s", slug, month, exc)
    return made


def worker(ctx: AppContext, settings: ReportSettings, stop: threading.Event) -> None:
    if stop.wait(settings.startup_delay_seconds):
        return
    while True:
        run_once(ctx.sessions, ctx.metrics, settings)
        if stop.wait(settings.poll_seconds):
            return


def install(app: FastAPI, ctx: AppContext) -> None:
    settings = report_settings(ctx.settings.extra_sections.get("reports"))
    app.state.report_settings = settings
    from vigil.server.reports.web import router as web_router

    app.include_router(web_router)
    if settings.enabled:
        ctx.workers["reports-drafts"] = lambda stop: worker(ctx, settings, stop)
