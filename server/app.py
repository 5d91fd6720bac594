"""The FastAPI application: ``create_app(settings)`` wires routers, errors and background work.

No globals: the :class:`~vigil.server.context.AppContext` is built here (or handed in by a test)
and hung on ``app.state.ctx``. Each part of the server contributes its routers to ``ROUTERS``
and, when it has background work or ingest hooks, an installer to ``INSTALLERS``.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from vigil.agent import __version__
from vigil.server.alerting.install import install as install_alerting
from vigil.server.api import auth, customers, devices, health, ingest, nodes, rules, users
from vigil.server.api import collection as collection_api
from vigil.server.api import reports as reports_api
from vigil.server.api.ingest import InFlight
from vigil.server.api.telemetry import LATENCY, REQUESTS
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context
from vigil.server.errors import VigilError
from vigil.server.metrics.base import MetricStoreError
from vigil.server.reports.schedule import install as install_reports
from vigil.server.tickets.install import install as install_desk

log = logging.getLogger(__name__)

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    customers.router,
    users.router,
    devices.router,
    nodes.router,
    ingest.router,
    collection_api.router,
    rules.router,
    reports_api.router,
]

# Every route may answer these; documenting them keeps the OpenAPI schema honest.
COMMON_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "not authenticated"},
    403: {"description": "the role may not do this"},
    404: {"description": "not found, or another customer's"},
    409: {"description": "conflict"},
    422: {"description": "invalid input"},
}

# Each installer may register workers (ctx.workers) and ingest hooks (ctx.ingest.hooks) and
# add routers of its own; it runs once per app. Its result is ignored here: an installer may
# return what it built (the alert driver, the desk settings) for a test that calls it directly.
Installer = Callable[[FastAPI, AppContext], object]
INSTALLERS: list[Installer] = [install_alerting, install_desk, install_reports]


def create_app(settings: Settings, ctx: AppContext | None = None) -> FastAPI:
    context = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context.start_workers()
        try:
            yield
        finally:
            context.close()

    app = FastAPI(
        title="vigil",
        version=__version__,
        description="Remote monitoring and preventive maintenance for IT service providers.",
        lifespan=lifespan,
    )
    app.state.ctx = context
    app.state.ingest_slots = InFlight(settings.ingest.max_concurrent)
    for router in ROUTERS:
        app.include_router(router)
    for install in INSTALLERS:
        install(app, context)
    _document_common_responses(app)
    _install_error_handlers(app)
    _install_request_metrics(app)
    return app


def _document_common_responses(app: FastAPI) -> None:
    """Every operation of every part documents the answers any route may give."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first_time = app.openapi_schema is None
        schema = generate()
        if first_time:
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.setdefault("responses", {})
                    for status, response in COMMON_RESPONSES.items():
                        responses.setdefault(str(status), response)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VigilError)
    async def vigil_error(_: Request, exc: VigilError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status_code == 429 else None
        detail: object = exc.message
        if exc.status_code == 422:
            # The same shape as FastAPI's own validation errors, so clients read one format.
            detail = [{"loc": ["body"], "msg": exc.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (an id past its integer range, say): bad input, not a
        # fault of the server. The message is generic: the SQL is not the caller's business.
        log.info("database refused a value: %s", str(exc.orig)[:200])
        detail = [{"loc": ["body"], "msg": "a value is out of the range the database can store", "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(MetricStoreError)
    async def store_error(_: Request, exc: MetricStoreError) -> JSONResponse:
        log.warning("metric store error: %s", exc)
        return JSONResponse(
            {"detail": "metric store unavailable; retry later"}, status_code=503, headers={"Retry-After": "10"}
        )


class _RequestMetrics:
    """Counts requests and their time per route: a plain ASGI middleware (Starlette's
    ``@app.middleware("http")`` passes every response through an extra task and stream, which
    showed in the ingest's profile)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(name, str(status)).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)


def _install_request_metrics(app: FastAPI) -> None:
    app.add_middleware(_RequestMetrics)


def serve(settings: Settings, host: str, port: int, log_level: str = "info", access_log: bool = True) -> None:
    """Run the server in this process until it is stopped: ``vigil server`` (and the ingest
    benchmark, which measures what it runs)."""
    import uvicorn

    app = create_app(settings)
    # What is loaded by now (modules, the app, its context) lives as long as the process. Out of
    # the cyclic collector's reach, a full collection no longer walks it all: that took ~120 ms
    # every few seconds under steady ingest (bench/ingest.py), ~2 ms per 5,000-line batch on
    # average. Done here, once per process, not in create_app, which tests call many times.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
