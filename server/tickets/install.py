"""Wires the service desk into the app: settings, routers (API, web desk, survey pages) and the
background workers (outbox dispatcher, reminder scan, mail intake)."""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.api import desk_staff
from vigil.server.api import tickets as tickets_api
from vigil.server.context import AppContext
from vigil.server.db.base import utcnow
from vigil.server.errors import VigilError
from vigil.server.notify.dispatcher import Dispatcher, DispatchPolicy
from vigil.server.tickets import reminders
from vigil.server.tickets.config import DeskSettings, desk_settings
from vigil.server.tickets.intake import intake_worker
from vigil.server.web import pages

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def reminder_worker(sessions: sessionmaker[Session], settings: DeskSettings, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with sessions() as db, db.begin():
                reminders.scan(db, settings, utcnow())
        except (SQLAlchemyError, VigilError):  # another replica fired the same reminder first, the DB blinked
            log.exception("reminder scan failed; retrying next round")
        stop.wait(settings.reminder_poll_seconds)


def dispatcher_for(ctx: AppContext, settings: DeskSettings) -> Dispatcher:
    d = settings.dispatch
    policy = DispatchPolicy(batch_size=d.batch_size, max_attempts=d.max_attempts,
                            backoff_base_seconds=d.backoff_base_seconds, backoff_max_seconds=d.backoff_max_seconds,
                            lease_seconds=d.lease_seconds, poll_seconds=d.poll_seconds)
    return Dispatcher(ctx.sessions, settings.built_channels(), policy)


def install(app: FastAPI, ctx: AppContext, settings: DeskSettings | None = None) -> DeskSettings:
    settings = settings or desk_settings(ctx.settings.extra_sections.get("desk"))
    app.state.desk = settings
    app.include_router(tickets_api.router)
    app.include_router(desk_staff.router)
    app.include_router(pages.router)
    app.mount("/desk/static", StaticFiles(directory=STATIC), name="desk-static")
    if not settings.workers:
        return settings
    ctx.workers["desk-outbox"] = dispatcher_for(ctx, settings).run
    ctx.workers["desk-reminders"] = partial(reminder_worker, ctx.sessions, settings)
    if settings.intake.enabled:
        ctx.workers["desk-intake"] = partial(intake_worker, ctx.sessions, settings.intake)
    return settings
