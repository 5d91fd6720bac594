"""The web desk's report pages: the list of reports with a form to make a month's draft, a
report's page (findings, the recommendations as an editable form, the archived versions to
download, approve and send), and the on-site checklist form (items ok / attention / fault, a
note and an optional photo per item).

The pages extend the desk's layout (vigil.server.web templates), sign in with the same session
cookie, check the same CSRF token and call the same services as the API, so roles and customer
scoping are enforced once. Jinja2 autoescaping is on.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from vigil.server.api.deps import SESSION_COOKIE
from vigil.server.context import AppContext
from vigil.server.db.models import Customer, Device
from vigil.server.errors import InvalidInput, Unauthorized, VigilError
from vigil.server.metrics.base import MetricStoreError
from vigil.server.reports import checklists, service
from vigil.server.reports.config import ReportSettings, report_settings
from vigil.server.reports.i18n import text
from vigil.server.reports.period import previous_month
from vigil.server.reports.summaries import generate_summary
from vigil.server.services import users
from vigil.server.services.principal import STAFF_ROLES, Principal, customer_filter
from vigil.server.web import i18n as desk_i18n
from vigil.server.web.pages import csrf_for

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
TEMPLATES = Environment(
    loader=FileSystemLoader([str(HERE / "web_templates"), str(HERE.parent / "web" / "templates")]),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _settings(request: Request) -> ReportSettings:
    found = getattr(request.app.state, "report_settings", None)
    if isinstance(found, ReportSettings):
        return found
    return report_settings(_ctx(request).settings.extra_sections.get("reports"))


def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with _ctx(request).sessions() as db:
        try:
            return users.principal_for(db, users.user_for_token(db, token))
        except Unauthorized:
            return None


def _lang(request: Request, principal: Principal) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("vigil_lang")
    if asked in desk_i18n.LANGUAGES:
        return str(asked)
    return principal.language if principal.language in desk_i18n.LANGUAGES else "zh"


def _render(request: Request, principal: Principal, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    lang = _lang(request, principal)
    token = request.cookies.get(SESSION_COOKIE, "")
    base = {
        "lang": lang,
        "t": lambda key: desk_i18n.t(lang, key),
        "r": lambda key, **kw: text(lang, key, **kw),
        "me": principal,
        "csrf": csrf_for(_ctx(request), token) if token else "",
        "can_create": principal.role in STAFF_ROLES,
        "staff": principal.role in STAFF_ROLES,
        "when": lambda value: "-" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        "flash": None,
    }
    base.update(values)
    return HTMLResponse(TEMPLATES.get_template(name).render(**base), status_code=status_code)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        values.setdefault(key, value)
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or not hmac.compare_digest(str(values.get("csrf", "")), csrf_for(_ctx(request), token)):
        raise Unauthorized("the form has expired; reload the page")
    return values


def _login() -> RedirectResponse:
    return RedirectResponse("/desk/login", status_code=303)


def _as_error(exc: Exception) -> VigilError:
    """Our errors as they are; a bad form value (ValueError, a pydantic error) as invalid input;
    a metric store failure as unavailable."""
    if isinstance(exc, VigilError):
        return exc
    if isinstance(exc, MetricStoreError):
        unavailable = VigilError("metric store unavailable; retry later")
        unavailable.status_code = 503
        return unavailable
    return InvalidInput(f"invalid form: {str(exc)[:300]}")


def _error(request: Request, principal: Principal, exc: VigilError) -> HTMLResponse:
    return _render(request, principal, "error.html", status_code=exc.status_code, message=exc.message)


@router.get("/desk/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    ctx = _ctx(request)
    with ctx.sessions() as db:
        customers = list(db.scalars(select(Customer).where(customer_filter(principal, Customer.id))
                                    .order_by(Customer.slug)))
        rows = service.list_reports(db, principal)
        names = {c.id: c.name for c in customers}
        return _render(request, principal, "reports.html", rows=rows, customers=customers, names=names,
                       default_month=previous_month(datetime.now(UTC), "Asia/Shanghai"))


@router.post("/desk/reports")
async def generate_page(request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    ctx, settings = _ctx(request), _settings(request)
    try:
        form = await _form(request)
        kind = str(form.get("kind") or "month")

        def work() -> int:
            with ctx.sessions() as db, db.begin():
                customer_id = int(str(form.get("customer_id") or 0))
                label = str(form.get("period") or "").strip()
                if kind == "month":
                    report = service.generate_month(db, ctx.metrics, settings, principal, customer_id, label)
                else:
                    report = generate_summary(db, ctx.metrics, settings, principal, customer_id,
                                              "year" if kind == "year" else "quarter", label)
                return report.id

        report_id = await run_in_threadpool(work)
    except (VigilError, ValueError, MetricStoreError) as exc:
        return _error(request, principal, _as_error(exc))
    return RedirectResponse(f"/desk/reports/{report_id}", status_code=303)


@router.get("/desk/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: int, request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    with _ctx(request).sessions() as db:
        try:
            report = service.get_report(db, principal, report_id)
            versions = service.list_versions(db, principal, report_id)
        except VigilError as exc:
            return _error(request, principal, exc)
        customer = db.get(Customer, report.customer_id)
        return _render(request, principal, "report.html", report=report, versions=versions,
                       customer=customer.name if customer else "")


@router.post("/desk/reports/{report_id}/recommendations")
async def recommendations_page(report_id: int, request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    ctx, settings = _ctx(request), _settings(request)
    try:
        form = await _form(request)
        items = []
        for index in range(int(str(form.get("count") or 0)) + 1):
            body = str(form.get(f"text_{index}") or "").strip()
            if not body or form.get(f"remove_{index}"):
                continue
            items.append({"id": form.get(f"id_{index}") or None, "text": body,
                          "severity": form.get(f"severity_{index}") or "medium",
                          "source": form.get(f"source_{index}") or "engineer",
                          "device": form.get(f"device_{index}") or ""})

        def work() -> None:
            with ctx.sessions() as db, db.begin():
                service.update_recommendations(db, ctx.metrics, settings, principal, report_id, items)

        await run_in_threadpool(work)
    except (VigilError, MetricStoreError, ValueError) as exc:
        return _error(request, principal, _as_error(exc))
    return RedirectResponse(f"/desk/reports/{report_id}", status_code=303)


@router.post("/desk/reports/{report_id}/approve")
async def approve_page(report_id: int, request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    ctx, settings = _ctx(request), _settings(request)
    try:
        await _form(request)

        def work() -> None:
            with ctx.sessions() as db, db.begin():
                service.approve(db, ctx.metrics, settings, principal, report_id)

        await run_in_threadpool(work)
    except (VigilError, MetricStoreError) as exc:
        return _error(request, principal, _as_error(exc))
    return RedirectResponse(f"/desk/reports/{report_id}?approved=1", status_code=303)


@router.get("/desk/reports/{report_id}/versions/{version}.pdf")
def download_page(report_id: int, version: int, request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    with _ctx(request).sessions() as db:
        try:
            found = service.get_version(db, principal, report_id, version)
        except VigilError as exc:
            return _error(request, principal, exc)
        return Response(found.pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="report-{report_id}-v{version}.pdf"'})


@router.get("/desk/inspections/new", response_class=HTMLResponse)
def inspection_form(request: Request, device_id: int, period: str | None = None) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    with _ctx(request).sessions() as db:
        device = db.get(Device, device_id)
        if device is None or not principal.can_see(device.customer_id):
            return _error(request, principal, VigilError("device not found"))
        lang = _lang(request, principal)
        items = [(i["key"], i.get(lang) or i["key"]) for i in checklists.template_for(db, device.kind.value)]
        return _render(request, principal, "inspection.html", device=device, items=items,
                       period=period or previous_month(datetime.now(UTC), "Asia/Shanghai"))


@router.post("/desk/inspections")
async def inspection_post(request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _login()
    ctx = _ctx(request)
    try:
        form = await _form(request)
        device_id = int(str(form.get("device_id") or 0))
        keys = [k.removeprefix("status_") for k in form if k.startswith("status_")]
        data = checklists.InspectionIn(
            device_id=device_id,
            period=str(form.get("period") or ""),
            items=[checklists.ChecklistItemIn(key=k, status=form[f"status_{k}"], note=str(form.get(f"note_{k}") or ""))
                   for k in keys],
        )
        photos = {}
        for key in keys:
            upload = form.get(f"photo_{key}")
            if isinstance(upload, UploadFile) and upload.filename:
                photos[key] = await upload.read(checklists.MAX_PHOTO_BYTES + 1)

        def work() -> int:
            with ctx.sessions() as db, db.begin():
                inspection = checklists.record_inspection(db, principal, data)
                for key, photo in photos.items():
                    checklists.attach_photo(db, principal, inspection.id, key, photo)
                return inspection.device_id

        await run_in_threadpool(work)
    except (VigilError, ValueError) as exc:
        return _error(request, principal, _as_error(exc))
    return RedirectResponse("/desk/reports?saved=1", status_code=303)
