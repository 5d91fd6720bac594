"""Quarterly and annual service summaries: SLA attainment, incidents, satisfaction and the
trends across the months.

A month's headline figures come from its monthly report's archived snapshot when there is one
(what the customer was told), otherwise they are gathered from the stored data. Tickets, SLA
attainment and satisfaction over the whole period are counted from the desk's tables directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.models import Customer
from vigil.server.errors import Conflict, InvalidInput, NotFound
from vigil.server.metrics.base import MetricStore
from vigil.server.reports import i18n
from vigil.server.reports.charts import lines_chart
from vigil.server.reports.config import ReportSettings
from vigil.server.reports.desk_figures import satisfaction_figures, service_figures
from vigil.server.reports.gather import gather
from vigil.server.reports.health import health_score
from vigil.server.reports.models import Report
from vigil.server.reports.period import PeriodKind, parse_period
from vigil.server.reports.render import data_uri, environment, write_pdf
from vigil.server.services.principal import Principal


def month_figures(
    db: Session, store: MetricStore, settings: ReportSettings, customer_id: int, month: str, now: datetime
) -> dict[str, Any]:
    stored = db.scalar(
        select(Report).where(Report.customer_id == customer_id, Report.period_kind == "month", Report.period == month)
    )
    if stored is not None and (stored.data or {}).get("figures"):
        return {"month": month, **stored.data["figures"]}
    customer = db.get(Customer, customer_id)
    assert customer is not None
    data = gather(db, store, customer_id, parse_period("month", month, customer.timezone), now=now, chart_devices=0,
                  forecast_warn_days=settings.forecast_warn_days)
    return {
        "month": month,
        "availability_percent": data.availability.percent if data.availability else None,
        "health_score": health_score(data).score,
        "tickets_opened": data.service.opened,
        "tickets_closed": data.service.closed,
        "sla_attainment_percent": data.service.sla_attainment_percent,
        "breaches": len(data.service.breaches),
        "satisfaction_mean": data.satisfaction.overall_mean,
    }


def render_summary(
    db: Session, store: MetricStore, settings: ReportSettings, customer_id: int, kind: PeriodKind, label: str,
    *, status: str = "draft", now: datetime | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The summary's PDF and its totals."""
    now = now or datetime.now(UTC)
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer not found")
    period = parse_period(kind, label, customer.timezone)
    if period.start >= now:
        raise InvalidInput(f"{label} has not started yet")
    months = [
        month_figures(db, store, settings, customer_id, month, now)
        for month in period.months()
        if parse_period("month", month, customer.timezone).start < now
    ]
    service = service_figures(db, customer_id, period, now)
    satisfaction = satisfaction_figures(db, customer_id, period)
    availabilities = [m["availability_percent"] for m in months if m.get("availability_percent") is not None]
    total = {
        "availability_percent": sum(availabilities) / len(availabilities) if availabilities else None,
        "tickets_opened": service.opened,
        "tickets_closed": service.closed,
        "sla_attainment_percent": service.sla_attainment_percent,
        "breaches": len(service.breaches),
        "satisfaction_mean": satisfaction.overall_mean,
    }
    language = customer.language if customer.language in i18n.LANGUAGES else "zh"
    chart = None
    if len(months) > 1:
        def rows(key: str) -> list[tuple[int, float | None]]:
            return [(parse_period("month", m["month"], customer.timezone).start_ns, m.get(key)) for m in months]

        chart = lines_chart(
            [(i18n.text(language, "availability") + " %", {customer.slug: rows("availability_percent")}),
             (i18n.text(language, "sla_attainment") + " %", {customer.slug: rows("sla_attainment_percent")})],
            customer.timezone, settings.accent_colour,
        )
    env = environment(language, customer.timezone)
    html = env.get_template("summary.html").render(
        title=i18n.text(language, "title_quarter" if kind == "quarter" else "title_year"),
        customer=customer.name,
        period=label,
        provider=settings.provider_name,
        provider_logo=data_uri(settings.provider_logo),
        customer_logo=data_uri(settings.customer_logos.get(customer.slug)),
        accent=settings.accent_colour,
        generated=i18n.fmt_time(now, customer.timezone),
        status=status,
        months=months,
        total=total,
        top=service.top,
        chart=chart,
    )
    return write_pdf(html), {"months": months, "total": total}


def generate_summary(
    db: Session, store: MetricStore, settings: ReportSettings, principal: Principal, customer_id: int,
    kind: PeriodKind, label: str, *, now: datetime | None = None,
) -> Report:
    """Make (or refresh) the draft summary of a quarter or a year."""
    from vigil.server.reports.service import add_version, find_report

    principal.require_staff()
    principal.require_customer(customer_id, "customer")
    if kind not in ("quarter", "year"):
        raise InvalidInput("a summary covers a quarter or a year")
    now = now or datetime.now(UTC)
    report = find_report(db, customer_id, kind, label)
    if report is not None and report.status != "draft":
        raise Conflict(f"the summary for {label} is already {report.status}")
    pdf, figures = render_summary(db, store, settings, customer_id, kind, label, now=now)
    customer = db.get(Customer, customer_id)
    assert customer is not None
    if report is None:
        report = Report(customer_id=customer_id, period_kind=kind, period=label, language=customer.language,
                        status="draft", generated_at=now)
        db.add(report)
    report.data = {"figures": figures["total"], "months": figures["months"]}
    report.generated_at = report.updated_at = now
    db.flush()
    add_version(db, report, pdf, principal.actor if principal.user_id else "system", now)
    return report


