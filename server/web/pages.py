"""The web desk's pages: login, the queue, a phone ticket, the ticket page and its actions, and
the public survey page.

Every page authenticates with the session cookie (the same one the API accepts) and goes through
the same access layer as the API (vigil.server.tickets.desk), so roles and customer scoping are
enforced once. Forms carry a CSRF token derived from the session; the cookie is SameSite=Lax.
Jinja2 autoescaping is on: ticket titles, mail text and device strings are shown, never run.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from vigil.server.api.deps import SESSION_COOKIE
from vigil.server.context import AppContext
from vigil.server.db.base import utcnow
from vigil.server.db.models import Customer, Device, DeviceKind, Role, Ticket, TicketEvent, TicketStatus, User
from vigil.server.errors import Forbidden, InvalidInput, Unauthorized, VigilError
from vigil.server.metrics.base import MetricStoreError
from vigil.server.schemas.tickets import TicketCreate
from vigil.server.services import users
from vigil.server.services.principal import Principal, customer_filter
from vigil.server.tickets import assignment, desk, parts, service, surveys
from vigil.server.tickets.config import DeskSettings
from vigil.server.web.i18n import LANGUAGES, t

router = APIRouter(include_in_schema=False)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
LANG_COOKIE = "vigil_lang"
OPEN_ALERT_STATUSES = ("pending", "firing", "resolving")
MetricRow = tuple[str, str, dict[str, str], str]
HOST_METRICS: tuple[MetricRow, ...] = (
    ("cpu", "util_percent", {"cpu": "total"}, "CPU %"),
    ("mem", "used_percent", {}, "Mem %"),
    ("system", "load1", {}, "load1"),
    ("disk", "used_percent", {}, "Disk % {path}"),
)
DEVICE_METRICS: tuple[MetricRow, ...] = (
    ("snmp", "up", {}, "SNMP up"),
    ("ping", "loss_percent", {}, "Ping loss %"),
    ("ping", "rtt_seconds", {}, "RTT s"),
    ("interface", "in_util_percent", {}, "In % {name}"),
)


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _desk_settings(request: Request) -> DeskSettings:
    settings: DeskSettings = request.app.state.desk
    return settings


def csrf_for(ctx: AppContext, session_token: str) -> str:
    key = ctx.settings.resolved_secret_key().encode()
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()[:40]


def _lang(request: Request, principal: Principal | None) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked is not None and asked in LANGUAGES:
        return asked
    return principal.language if principal and principal.language in LANGUAGES else "zh"


def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    ctx = _ctx(request)
    try:
        with ctx.sessions() as db:
            return users.principal_for(db, users.user_for_token(db, token))
    except Unauthorized:
        return None


class Page:
    """What every page template gets."""

    def __init__(self, request: Request, principal: Principal | None) -> None:
        self.request = request
        self.principal = principal
        self.lang = _lang(request, principal)
        token = request.cookies.get(SESSION_COOKIE, "")
        self.csrf = csrf_for(_ctx(request), token) if token else ""

    def zone(self) -> ZoneInfo:
        return ZoneInfo("Asia/Shanghai")

    def when(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        return f"{value.astimezone(self.zone()):%Y-%m-%d %H:%M}"

    def render(self, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        lang = self.lang
        base: dict[str, Any] = {
            "lang": lang,
            "t": lambda key: t(lang, key),
            "me": self.principal,
            "csrf": self.csrf,
            "can_create": self.principal is not None and self.principal.role in desk.WORKERS,
            "when": self.when,
            "duration": duration,
            "flash": None,
        }
        base.update(values)
        response = HTMLResponse(TEMPLATES.get_template(name).render(**base), status_code=status_code)
        if self.request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def error(self, exc: VigilError) -> HTMLResponse:
        return self.render("error.html", status_code=exc.status_code, message=exc.message)


def duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "-"
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    return sign + text


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/desk/login", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _check_csrf(request: Request, form: dict[str, str]) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or not hmac.compare_digest(form.get("csrf", ""), csrf_for(_ctx(request), token)):
        raise Unauthorized("the form has expired; reload the page")


@router.get("/desk/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return Page(request, None).render("login.html")


@router.post("/desk/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    ctx = _ctx(request)

    def work() -> str:
        with ctx.sessions() as db, db.begin():
            user = users.authenticate(db, form.get("email", ""), form.get("password", ""))
            token, _ = users.issue_token(db, user, "session",
                                         lifetime=timedelta(hours=ctx.settings.auth.session_hours))
            return token

    try:
        token = await run_in_threadpool(work)
    except Unauthorized as exc:
        return Page(request, None).render("login.html", status_code=401, flash=exc.message)
    response = RedirectResponse("/desk", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=ctx.settings.auth.session_hours * 3600, httponly=True,
                        samesite="lax", secure=ctx.settings.auth.cookie_secure)
    if form.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, form["lang"], max_age=365 * 86400, samesite="lax")
    return response


@router.post("/desk/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token and hmac.compare_digest(form.get("csrf", ""), csrf_for(_ctx(request), token)):
        ctx = _ctx(request)

        def work() -> None:
            with ctx.sessions() as db, db.begin():
                users.revoke_token(db, token)

        await run_in_threadpool(work)
    response = _login_redirect()
    response.delete_cookie(SESSION_COOKIE)
    return response


def _names(db: Session, principal: Principal) -> tuple[dict[int, str], dict[int, str]]:
    customers = {c.id: c.name for c in db.scalars(select(Customer).where(customer_filter(principal, Customer.id)))}
    people = {u.id: u.name for u in db.scalars(select(User))}
    return customers, people


@router.get("/desk", response_class=HTMLResponse)
async def queue_page(request: Request) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    mine = request.query_params.get("mine") == "1"
    tier_text = request.query_params.get("tier", "")
    tier = int(tier_text) if tier_text in ("1", "2", "3") else None
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        with ctx.sessions() as db:
            now = utcnow()
            rows = desk.queue(db, principal, now, mine=mine, tier=tier,
                              include_done=principal.role is Role.customer_viewer)
            customers, people = _names(db, principal)
            engineers: dict[int, list[User]] = {}
            can_dispatch = principal.role in desk.DISPATCH
            if can_dispatch:
                for row in rows:
                    if row.ticket.customer_id not in engineers:
                        engineers[row.ticket.customer_id] = assignment.candidates(db, row.ticket, tier=2)
            return page.render("queue.html", rows=rows, customers=customers, people=people, mine=mine, tier=tier,
                               engineers=engineers, can_dispatch=can_dispatch,
                               left=lambda r: duration(r.left_seconds))

    return await run_in_threadpool(work)


@router.get("/desk/new", response_class=HTMLResponse)
async def new_page(request: Request) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    if principal.role not in desk.WORKERS:
        return page.error(Forbidden("only service staff open phone tickets"))
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        with ctx.sessions() as db:
            customer_list = list(db.scalars(select(Customer).where(customer_filter(principal, Customer.id))
                                            .order_by(Customer.name)))
            devices = list(db.scalars(select(Device).where(customer_filter(principal, Device.customer_id))
                                      .order_by(Device.name)))
            return page.render("new.html", customer_list=customer_list, devices=devices)

    return await run_in_threadpool(work)


@router.post("/desk/new")
async def create_phone_ticket(request: Request) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    form = await _form(request)
    ctx = _ctx(request)

    def work() -> int:
        _check_csrf(request, form)
        fields: dict[str, Any] = {k: (form.get(k) or None) for k in (
            "customer_id", "title", "description", "urgency", "impact", "device_id", "reporter_name",
            "reporter_phone", "reporter_email")}
        fields["description"] = fields["description"] or ""
        fields["source"] = "phone"
        try:
            data = TicketCreate.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
        with ctx.sessions() as db, db.begin():
            return desk.create(db, principal, data).id

    try:
        ticket_id = await run_in_threadpool(work)
    except VigilError as exc:
        return page.error(exc)
    return RedirectResponse(f"/desk/tickets/{ticket_id}", status_code=303)


def _recent_data(ctx: AppContext, db: Session, device: Device) -> list[dict[str, Any]]:
    customer = db.get(Customer, device.customer_id)
    if customer is None:
        return []
    host = device.kind is DeviceKind.host
    tags = {"customer": customer.slug, ("host" if host else "device"): device.name}
    found: list[dict[str, Any]] = []
    for measurement, field, extra, label in HOST_METRICS if host else DEVICE_METRICS:
        group = tuple(k for k in ("path", "name") if "{" + k + "}" in label)
        try:
            values = ctx.metrics.latest(measurement, field, {**tags, **extra}, group)
        except MetricStoreError:
            continue
        for value in values[:8]:
            shown = round(value.value, 2) if isinstance(value.value, float) else value.value
            at = datetime.fromtimestamp(value.time_ns / 1e9).astimezone()
            found.append({"label": label.format(**{k: value.tags.get(k, "") for k in ("path", "name")}),
                          "value": shown, "at": at})
    return found


def _open_alerts(db: Session, device: Device) -> list[Any]:
    from vigil.server.alerting.models import AlertStateRow

    return list(db.scalars(
        select(AlertStateRow).where(AlertStateRow.customer_id == device.customer_id,
                                    AlertStateRow.device == device.name,
                                    AlertStateRow.status.in_(OPEN_ALERT_STATUSES))
    ))


@router.get("/desk/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: int) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        with ctx.sessions() as db:
            ticket = desk.get_ticket(db, principal, ticket_id)
            now = utcnow()
            row = desk.row_for(db, ticket, now)
            viewer = principal.role is Role.customer_viewer
            events = list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                     .order_by(TicketEvent.id.desc())))
            if viewer:
                events = [e for e in events if (e.action != "comment" or (e.data or {}).get("public"))
                          and e.action not in ("notification", "notification_queued")]
            device = db.get(Device, ticket.device_id) if ticket.device_id else None
            assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
            customer = db.get(Customer, ticket.customer_id)
            can_dispatch = principal.role in desk.DISPATCH
            if can_dispatch:
                assignable = assignment.candidates(db, ticket, tier=max(row.desk.tier, 2))
            else:
                me = db.get(User, principal.user_id)
                assignable = [me] if me is not None else []
            part_rows = [{"part": p.part, "quantity": p.quantity, "origin": p.origin, "promised_at": p.promised_at,
                          "late": parts.is_late(p, now)} for p in parts.parts_of(db, ticket)]
            is_open = ticket.status in service.OPEN
            next_statuses = sorted(s.value for s in service.TRANSITIONS[ticket.status]
                                   if s not in (TicketStatus.resolved, TicketStatus.closed, TicketStatus.new))
            return page.render(
                "ticket.html", ticket=ticket, row=row, events=events, device=device,
                assignee=assignee.name if assignee else None, customer_name=customer.name if customer else "",
                can_work=principal.role in desk.WORKERS, can_dispatch=can_dispatch, is_viewer=viewer,
                is_open=is_open, assignable=assignable, next_statuses=next_statuses, parts=part_rows,
                metrics=_recent_data(ctx, db, device) if device and not viewer else [],
                alerts=_open_alerts(db, device) if device and not viewer else [],
            )

    try:
        return await run_in_threadpool(work)
    except VigilError as exc:
        return page.error(exc)


def _parse_local(value: str | None, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone)
    except ValueError:
        raise InvalidInput("vendor_deadline is not a date and time") from None


def _action(name: str, form: dict[str, str], db: Session, principal: Principal, ticket: Ticket,
            settings: DeskSettings) -> None:
    actor, uid, now = principal.actor, principal.user_id, utcnow()
    if name == "comment":
        is_public = form.get("public") == "1" or principal.role is Role.customer_viewer
        service.comment(db, ticket, form.get("text", ""), actor=actor, actor_user_id=uid, public=is_public, now=now)
        return
    desk.require_worker(principal)
    actions: dict[str, Callable[[], object]] = {
        "status": lambda: service.change_status(db, ticket, form.get("status", ""), actor=actor, actor_user_id=uid,
                                                note=form.get("note") or None, now=now),
        "resolve": lambda: service.resolve_ticket(db, ticket, actor=actor, actor_user_id=uid,
                                                  note=form.get("note") or None, now=now),
        "assign": lambda: _assign(db, principal, ticket, form, now),
        "escalate": lambda: _escalate(db, principal, ticket, form, now),
        "parts": lambda: parts.request_part(db, ticket, part=form.get("part", ""),
                                            quantity=_int(form.get("quantity"), "quantity"),
                                            origin=form.get("origin", ""), actor=actor, actor_user_id=uid, now=now),
        "close": lambda: _close(db, principal, ticket, settings, now),
        "priority": lambda: service.change_priority(db, ticket, actor=actor, actor_user_id=uid,
                                                    priority=form.get("priority") or None, now=now),
        "reopen": lambda: _reopen(db, principal, ticket, now),
    }
    if name not in actions:
        raise InvalidInput(f"unknown action {name}")
    actions[name]()


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None


def _assign(db: Session, principal: Principal, ticket: Ticket, form: dict[str, str], now: datetime) -> None:
    assignee_id = _int(form.get("assignee_id"), "assignee_id")
    desk.may_assign(principal, assignee_id)
    assignment.assign(db, ticket, assignee_id, actor=principal.actor, actor_user_id=principal.user_id, now=now)


def _escalate(db: Session, principal: Principal, ticket: Ticket, form: dict[str, str], now: datetime) -> None:
    customer = db.get(Customer, ticket.customer_id)
    zone = ZoneInfo(customer.timezone if customer else "Asia/Shanghai")
    assignment.escalate(
        db, ticket, to_tier=_int(form.get("to_tier"), "to_tier"), actor=principal.actor,
        actor_user_id=principal.user_id, note=form.get("note") or None, vendor_name=form.get("vendor_name") or None,
        vendor_case_number=form.get("vendor_case_number") or None,
        vendor_deadline=_parse_local(form.get("vendor_deadline"), zone), now=now,
    )


def _close(db: Session, principal: Principal, ticket: Ticket, settings: DeskSettings, now: datetime) -> None:
    desk.require_dispatch(principal)
    service.close_ticket(db, ticket, actor=principal.actor, actor_user_id=principal.user_id, now=now)
    surveys.on_close(db, ticket, base_url=settings.base_url, valid_days=settings.survey_valid_days, now=now)


def _reopen(db: Session, principal: Principal, ticket: Ticket, now: datetime) -> None:
    desk.require_dispatch(principal)
    service.reopen_ticket(db, ticket, actor=principal.actor, actor_user_id=principal.user_id, now=now)


@router.post("/desk/tickets/{ticket_id}/{action}")
async def ticket_action(request: Request, ticket_id: int, action: str) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    form = await _form(request)
    ctx = _ctx(request)
    settings = _desk_settings(request)

    def work() -> None:
        _check_csrf(request, form)
        with ctx.sessions() as db, db.begin():
            ticket = desk.get_ticket(db, principal, ticket_id)
            _action(action, form, db, principal, ticket, settings)

    try:
        await run_in_threadpool(work)
    except VigilError as exc:
        return page.error(exc)
    back = "/desk" if action == "assign" and request.headers.get("referer", "").rstrip("/").endswith("/desk") \
        else f"/desk/tickets/{ticket_id}"
    return RedirectResponse(back, status_code=303)


@router.get("/desk/surveys", response_class=HTMLResponse)
async def survey_results_page(request: Request) -> Response:
    principal = await run_in_threadpool(_principal, request)
    if principal is None:
        return _login_redirect()
    page = Page(request, principal)
    if principal.role not in desk.WORKERS:
        return page.error(Forbidden("survey results are for service staff"))
    by = request.query_params.get("by", "engineer")
    if by not in ("engineer", "customer", "quarter", "year"):
        return page.error(InvalidInput("group by engineer, customer, quarter or year"))
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        with ctx.sessions() as db:
            rows = surveys.results(db, principal.customer_ids, cast(surveys.Grouping, by))
            return page.render("surveys.html", rows=rows, by=by)

    return await run_in_threadpool(work)


@router.get("/survey/{token}", response_class=HTMLResponse)
async def survey_page(request: Request, token: str) -> Response:
    page = Page(request, None)
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        with ctx.sessions() as db:
            try:
                _, ticket = surveys.open_survey(db, token, utcnow())
            except VigilError as exc:
                return page.render("survey.html", status_code=exc.status_code, problem=exc.message, number=None)
            customer = db.get(Customer, ticket.customer_id)
            if "lang" not in request.query_params and customer is not None and customer.language in LANGUAGES:
                page.lang = customer.language
            return page.render("survey.html", number=ticket.number, title=ticket.title)

    return await run_in_threadpool(work)


@router.post("/survey/{token}", response_class=HTMLResponse)
async def survey_answer(request: Request, token: str) -> Response:
    page = Page(request, None)
    form = await _form(request)
    ctx = _ctx(request)

    def work() -> HTMLResponse:
        scores = tuple(_int(form.get(k), k) for k in ("overall", "speed", "quality"))
        with ctx.sessions() as db, db.begin():
            survey = surveys.answer(db, token, (scores[0], scores[1], scores[2]), form.get("comment"), utcnow())
            ticket = db.get(Ticket, survey.ticket_id)
            return page.render("survey.html", done=True, number=ticket.number if ticket else None)

    try:
        return await run_in_threadpool(work)
    except VigilError as exc:
        return page.render("survey.html", status_code=exc.status_code, problem=exc.message, number=None)
