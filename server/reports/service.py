"""The report workflow: drafts, the engineer's edits, approval, e-mail and the archive.

    generate ─> draft (version 1, 2, ... each time it is rendered again)
                  │  edit recommendations (re-rendered as a new draft version)
                  └─ approve ─> approved (the final version) ─> e-mail to the report contacts

Every rendered PDF is kept as a :class:`~vigil.server.reports.models.ReportVersion` and stays
downloadable. Approval queues one message per report contact on the desk's outbox
(vigil.server.notify.outbox) with the PDF attached, in the same transaction as the approval.

Rules: only service staff generate, edit and approve; customer viewers read their own
customer's reports (approved versions only); another customer's report is "not found".
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from vigil.server.db.models import Customer, Role
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.metrics.base import MetricStore
from vigil.server.notify import outbox
from vigil.server.reports import recommend
from vigil.server.reports.config import ReportSettings
from vigil.server.reports.figures import ReportData
from vigil.server.reports.gather import gather
from vigil.server.reports.health import health_score
from vigil.server.reports.i18n import LANGUAGES, text
from vigil.server.reports.models import Report, ReportVersion
from vigil.server.reports.period import PeriodKind, parse_period
from vigil.server.reports.render import Branding, render_pdf
from vigil.server.reports.sections import SectionContext
from vigil.server.services.principal import Principal

SEVERITIES = ("high", "medium", "low")
MAX_RECOMMENDATIONS = 100
MAX_RECOMMENDATION_CHARS = 2000


@dataclass
class Timings:
    """Where the time of one report went (for the benchmark)."""

    gather_seconds: float = 0.0
    query_seconds: float = 0.0
    charts_seconds: float = 0.0
    pdf_seconds: float = 0.0
    # the same steps in CPU seconds of the process
    gather_cpu_seconds: float = 0.0
    query_cpu_seconds: float = 0.0
    charts_cpu_seconds: float = 0.0
    pdf_cpu_seconds: float = 0.0
    queries: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def branding(settings: ReportSettings, customer_slug: str) -> Branding:
    return Branding(
        provider_name=settings.provider_name,
        provider_logo=settings.provider_logo,
        customer_logo=settings.customer_logos.get(customer_slug),
        accent_colour=settings.accent_colour,
    )


def snapshot(data: ReportData, health: float) -> dict[str, Any]:
    """What the archive keeps besides the PDF: the inventory and the month's headline figures."""
    service = data.service
    return {
        "inventory": {d.name: d.snapshot() for d in data.devices},
        "figures": {
            "availability_percent": data.availability.percent if data.availability else None,
            "health_score": health,
            "tickets_opened": service.opened,
            "tickets_closed": service.closed,
            "sla_attainment_percent": service.sla_attainment_percent,
            "breaches": len(service.breaches),
            "satisfaction_mean": data.satisfaction.overall_mean,
            "devices": len(data.devices),
        },
    }


def render_month(
    db: Session,
    store: MetricStore,
    settings: ReportSettings,
    customer_id: int,
    label: str,
    *,
    status: str = "draft",
    recommendations: list[dict[str, Any]] | None = None,
    language: str | None = None,
    now: datetime | None = None,
    timings: Timings | None = None,
) -> tuple[bytes, ReportData, list[dict[str, Any]], list[str], float]:
    """Gather and render one month: (pdf, data, recommendations, findings, health score)."""
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer not found")
    period = parse_period("month", label, customer.timezone)
    started, cpu_started = time.perf_counter(), time.process_time()
    data = gather(db, store, customer_id, period, now=now, chart_devices=settings.chart_devices,
                  forecast_warn_days=settings.forecast_warn_days)
    if language is not None:
        data.language = language
    if data.language not in LANGUAGES:
        data.language = "zh"
    health = health_score(data)
    findings = recommend.findings(data)
    items = recommend.recommendations(data) if recommendations is None else recommendations
    context = SectionContext(data, health, findings, items, settings.accent_colour)
    gathered, gathered_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    pdf, times = render_pdf(context, branding(settings, customer.slug), status)
    if timings is not None:
        timings.gather_seconds += gathered
        timings.query_seconds += data.query_seconds
        timings.queries += data.query_count
        timings.charts_seconds += times.charts_seconds
        timings.pdf_seconds += times.pdf_seconds
        timings.gather_cpu_seconds += gathered_cpu
        timings.query_cpu_seconds += data.query_cpu_seconds
        timings.charts_cpu_seconds += times.charts_cpu_seconds
        timings.pdf_cpu_seconds += times.pdf_cpu_seconds
    return pdf, data, items, findings, health.score


def add_version(db: Session, report: Report, pdf: bytes, actor: str, now: datetime) -> ReportVersion:
    latest = db.scalar(select(func.max(ReportVersion.version)).where(ReportVersion.report_id == report.id)) or 0
    version = ReportVersion(
        report_id=report.id,
        customer_id=report.customer_id,
        version=latest + 1,
        status=report.status,
        pdf=pdf,
        size_bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_by=actor[:128],
        created_at=now,
    )
    db.add(version)
    db.flush()
    return version


def find_report(db: Session, customer_id: int, kind: str, label: str) -> Report | None:
    return db.scalar(
        select(Report).where(Report.customer_id == customer_id, Report.period_kind == kind, Report.period == label)
    )


def generate_month(
    db: Session,
    store: MetricStore,
    settings: ReportSettings,
    principal: Principal,
    customer_id: int,
    label: str,
    *,
    now: datetime | None = None,
    timings: Timings | None = None,
) -> Report:
    """Make (or refresh) the draft of a customer's month; an approved month is not touched."""
    principal.require_staff()
    principal.require_customer(customer_id, "customer")
    now = now or datetime.now(UTC)
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer not found")
    period = parse_period("month", label, customer.timezone)
    if period.start >= now:
        raise InvalidInput(f"{label} has not started yet")
    report = find_report(db, customer_id, "month", label)
    if report is not None and report.status != "draft":
        raise Conflict(f"the report for {label} is already {report.status}")
    kept = None
    if report is not None and (report.data or {}).get("recommendations_edited"):
        kept = report.recommendations
    pdf, data, items, findings, score = render_month(
        db, store, settings, customer_id, label, recommendations=kept, now=now, timings=timings
    )
    if report is None:
        report = Report(customer_id=customer_id, period_kind="month", period=label, language=data.language,
                        status="draft", generated_at=now)
        db.add(report)
    report.language = data.language
    report.findings = findings
    report.recommendations = items
    report.data = {**snapshot(data, score), "recommendations_edited": kept is not None}
    report.generated_at = now
    report.updated_at = now
    db.flush()
    add_version(db, report, pdf, principal.actor if principal.user_id else "system", now)
    return report


def _clean_recommendations(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(items) > MAX_RECOMMENDATIONS:
        raise InvalidInput(f"at most {MAX_RECOMMENDATIONS} recommendations")
    cleaned = []
    for index, item in enumerate(items):
        body = str(item.get("text") or "").strip()
        if not body or len(body) > MAX_RECOMMENDATION_CHARS:
            raise InvalidInput(f"recommendations[{index}].text must be 1..{MAX_RECOMMENDATION_CHARS} characters")
        severity = item.get("severity", "medium")
        if severity not in SEVERITIES:
            raise InvalidInput(f"recommendations[{index}].severity must be one of {', '.join(SEVERITIES)}")
        cleaned.append(
            {
                "id": str(item.get("id") or uuid.uuid4().hex[:10])[:32],
                "text": body,
                "severity": severity,
                "source": str(item.get("source") or "engineer")[:64],
                "device": str(item.get("device") or "")[:128],
            }
        )
    return cleaned


def get_report(db: Session, principal: Principal, report_id: int) -> Report:
    report = db.get(Report, report_id)
    if report is None or not principal.can_see(report.customer_id):
        raise NotFound("report not found")
    if principal.role is Role.customer_viewer and report.status == "draft":
        raise NotFound("report not found")
    return report


def update_recommendations(
    db: Session,
    store: MetricStore,
    settings: ReportSettings,
    principal: Principal,
    report_id: int,
    items: list[dict[str, Any]],
    *,
    now: datetime | None = None,
) -> Report:
    """Replace the draft's recommendations (edit, add, remove) and render a new draft version."""
    principal.require_staff()
    report = get_report(db, principal, report_id)
    if report.status != "draft":
        raise Conflict(f"an {report.status} report cannot be edited")
    if report.period_kind != "month":
        raise Conflict("only monthly reports carry recommendations")
    cleaned = _clean_recommendations(items)
    now = now or datetime.now(UTC)
    pdf, _data, _items, _findings, _score = render_month(
        db, store, settings, report.customer_id, report.period, recommendations=cleaned, language=report.language,
        now=now,
    )
    report.recommendations = cleaned
    report.data = {**(report.data or {}), "recommendations_edited": True}
    report.updated_at = now
    add_version(db, report, pdf, principal.actor, now)
    return report


def approve(
    db: Session,
    store: MetricStore,
    settings: ReportSettings,
    principal: Principal,
    report_id: int,
    *,
    now: datetime | None = None,
) -> tuple[Report, ReportVersion, int]:
    """Approve a draft: render the final version and queue it to every report contact.

    Returns (report, final version, messages queued).
    """
    principal.require_staff()
    report = get_report(db, principal, report_id)
    if report.status != "draft":
        raise Conflict(f"the report is already {report.status}")
    now = now or datetime.now(UTC)
    report.status = "approved"
    if report.period_kind == "month":
        pdf, *_rest = render_month(
            db, store, settings, report.customer_id, report.period, status="approved",
            recommendations=report.recommendations, language=report.language, now=now,
        )
    else:
        from vigil.server.reports.summaries import render_summary

        pdf, _figures = render_summary(
            db, store, settings, report.customer_id, report.period_kind, report.period, status="approved", now=now
        )
    report.approved_at = now
    report.approved_by = principal.user_id or None
    report.updated_at = now
    version = add_version(db, report, pdf, principal.actor, now)
    queued = send(db, settings, report, version, now=now)
    return report, version, queued


def send(db: Session, settings: ReportSettings, report: Report, version: ReportVersion, *, now: datetime) -> int:
    """Queue the version's PDF to each report contact on the outbox; returns messages queued."""
    customer = db.get(Customer, report.customer_id)
    if customer is None:
        raise NotFound("customer not found")
    title_key = {"month": "title", "quarter": "title_quarter", "year": "title_year"}[report.period_kind]
    title = text(report.language, title_key)
    subject = f"{settings.provider_name}: {title} · {customer.name} · {report.period}"
    body = (
        f"{customer.name}\n\n{title} {report.period}\n"
        + ("附件为本期报告（PDF）。" if report.language == "zh" else "The report is attached as a PDF.")
        + f"\n\n{settings.provider_name}\n"
    )
    filename = f"report-{customer.slug}-{report.period}.pdf"
    attachment = {
        "filename": filename,
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(version.pdf).decode(),
    }
    queued = 0
    for address in customer.report_contacts or []:
        row = outbox.enqueue(
            db,
            key=outbox.make_key("report", report.id, version.version, address),
            channel=settings.email_channel,
            purpose="report",
            recipient=address,
            subject=subject,
            body=body,
            customer_id=customer.id,
            data={"attachments": [attachment], "report_id": report.id, "version": version.version},
            now=now,
        )
        queued += row is not None
    return queued


def list_reports(
    db: Session, principal: Principal, customer_id: int | None = None, kind: PeriodKind | None = None
) -> list[Report]:
    from vigil.server.services.principal import customer_filter

    query = select(Report).where(customer_filter(principal, Report.customer_id))
    if customer_id is not None:
        query = query.where(Report.customer_id == customer_id)
    if kind is not None:
        query = query.where(Report.period_kind == kind)
    if principal.role is Role.customer_viewer:
        query = query.where(Report.status != "draft")
    return list(db.scalars(query.order_by(Report.period.desc(), Report.id.desc())))


def list_versions(db: Session, principal: Principal, report_id: int) -> list[ReportVersion]:
    report = get_report(db, principal, report_id)
    query = select(ReportVersion).where(ReportVersion.report_id == report.id)
    if principal.role is Role.customer_viewer:
        query = query.where(ReportVersion.status != "draft")
    return list(db.scalars(query.order_by(ReportVersion.version)))


def get_version(db: Session, principal: Principal, report_id: int, version: int) -> ReportVersion:
    for found in list_versions(db, principal, report_id):
        if found.version == version:
            return found
    raise NotFound("report version not found")
