"""HTML and CSS to PDF: Jinja2 templates (autoescaped: device text is data, never markup) and
WeasyPrint with the Noto CJK fonts, page headers and footers with page numbers and a table of
contents whose page numbers WeasyPrint fills in (``target-counter``).

WeasyPrint fetches nothing: the only URLs it may open are ``data:`` URIs we made ourselves
(charts, logos, photos), so no text in a report can make it read a file or call out.
"""

from __future__ import annotations

import base64
import functools
import logging
import mimetypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from vigil.server.errors import VigilError
from vigil.server.reports import i18n
from vigil.server.reports.sections import SectionContext, registry

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


class RenderError(VigilError):
    """The PDF could not be written."""


@dataclass(frozen=True, slots=True)
class Branding:
    provider_name: str = "vigil"
    provider_logo: Path | None = None
    customer_logo: Path | None = None
    accent_colour: str = "#1f5fa8"


@dataclass
class RenderTimes:
    charts_seconds: float = 0.0
    pdf_seconds: float = 0.0
    charts_cpu_seconds: float = 0.0
    pdf_cpu_seconds: float = 0.0


def css_string(value: str) -> Markup:
    """A CSS string literal's content: everything but letters and digits as a hex escape."""
    return Markup("".join(ch if ch.isalnum() and ord(ch) < 128 else f"\\{ord(ch):06x}" for ch in value))


def data_uri(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not kind.startswith("image/"):
        return None
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


@functools.lru_cache(maxsize=32)
def environment(language: str, timezone: str) -> Environment:
    """The templates for one language and time zone; kept, so each report does not compile them
    again (a Jinja environment is safe to share between threads once built)."""
    env = Environment(
        loader=FileSystemLoader([str(HERE / "templates"), str(HERE / "sections")]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    env.globals.update(
        t=lambda key, **values: i18n.text(language, key, **values),
        pct=i18n.fmt_percent,
        num=i18n.fmt_number,
        rate=i18n.fmt_bytes_rate,
        duration=lambda seconds: i18n.fmt_duration(seconds, language),
        days=lambda value: i18n.fmt_days(value, language),
        when=lambda value: i18n.fmt_time(value, timezone),
        lang=language,
    )
    return env


def html_document(env: Environment, page: dict[str, Any], sections: list[tuple[str, str, Markup]]) -> str:
    return env.get_template("report.html").render(**page, sections=sections)


def render_sections(env: Environment, context: SectionContext) -> list[tuple[str, str, Markup]]:
    rendered = []
    for section in registry().values():
        values = section.build(context)
        if values is None:
            continue
        body = env.get_template(f"{section.name}.html").render(**values)
        rendered.append((section.name, i18n.text(context.language, section.title), Markup(body)))
    return rendered


def write_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Only our own data: URIs; a file: or http: URL anywhere in the document is refused.
    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
    try:
        pdf: bytes | None = HTML(string=html, base_url=str(HERE), url_fetcher=fetcher).write_pdf()
    except (OSError, ValueError) as exc:
        raise RenderError(f"the PDF could not be written: {exc}") from exc
    if not pdf:
        raise RenderError("the PDF came out empty")
    return pdf


def render_pdf(
    context: SectionContext, branding: Branding, status: str, title_key: str = "title"
) -> tuple[bytes, RenderTimes]:
    data = context.data
    env = environment(data.language, data.period.timezone)
    times = RenderTimes()
    sections = render_sections(env, context)
    times.charts_seconds = context.chart_timer.seconds
    times.charts_cpu_seconds = context.chart_timer.cpu_seconds
    page = {
        "title": i18n.text(data.language, title_key),
        "customer": data.customer_name,
        "period": data.period.label,
        "provider": branding.provider_name,
        "provider_logo": data_uri(branding.provider_logo),
        "customer_logo": data_uri(branding.customer_logo),
        "accent": branding.accent_colour,
        "health": context.health,
        "findings": context.findings,
        "generated": i18n.fmt_time(data.generated_at, data.period.timezone),
        "status": status,
    }
    html = html_document(env, page, sections)
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = write_pdf(html)
    times.pdf_seconds = time.perf_counter() - started
    times.pdf_cpu_seconds = time.process_time() - cpu_started
    return pdf, times
