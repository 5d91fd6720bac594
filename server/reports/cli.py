"""``vigil report …``: make a month's report (or a quarter's or year's summary) from the command
line, optionally approve and send it, write its PDF to a file, and list the archive.

Registered in vigil.server.cli with one ``add_typer`` line; the heavy imports (WeasyPrint,
matplotlib) happen inside the commands, so ``vigil --help`` stays quick.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session
from vigil.server.config import Settings
from vigil.server.errors import InvalidInput, VigilError
from vigil.server.metrics.base import MetricStore

app = typer.Typer(help="Monthly inspection reports and service summaries.", no_args_is_help=True)


@contextmanager
def _open(settings: Settings) -> Iterator[tuple[Session, MetricStore]]:
    from vigil.server.db.migrate import upgrade
    from vigil.server.db.session import make_engine, make_sessionmaker
    from vigil.server.metrics import open_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    store = open_store(settings.metrics, settings.data_dir)
    try:
        with make_sessionmaker(engine)() as db, db.begin():
            yield db, store
    finally:
        store.close()
        engine.dispose()


def _period(month: str | None, quarter: str | None, year: str | None) -> tuple[str, str]:
    given = [(k, v) for k, v in (("month", month), ("quarter", quarter), ("year", year)) if v]
    if len(given) != 1:
        raise InvalidInput("give exactly one of --month, --quarter or --year")
    return given[0]


@app.command("generate")
def generate(
    ctx: typer.Context,
    customer: Annotated[str, typer.Option(help="customer slug")],
    month: Annotated[str | None, typer.Option(help="e.g. 2026-10")] = None,
    quarter: Annotated[str | None, typer.Option(help="e.g. 2026-Q4")] = None,
    year: Annotated[str | None, typer.Option(help="e.g. 2026")] = None,
    approve: Annotated[bool, typer.Option(help="approve and queue the e-mail to the report contacts")] = False,
    output: Annotated[Path | None, typer.Option(help="also write the newest PDF here")] = None,
) -> None:
    """Make (or refresh) the draft; with --approve, approve it and queue it to the contacts."""
    from vigil.server.reports import service
    from vigil.server.reports.config import report_settings
    from vigil.server.reports.summaries import generate_summary
    from vigil.server.services.customers import get_customer_by_slug
    from vigil.server.services.principal import system_principal

    settings: Settings = ctx.obj
    try:
        kind, label = _period(month, quarter, year)
        reports = report_settings(settings.extra_sections.get("reports"))
        system = system_principal()
        with _open(settings) as (db, store):
            found = get_customer_by_slug(db, system, customer)
            if kind == "month":
                report = service.generate_month(db, store, reports, system, found.id, label)
            else:
                report = generate_summary(db, store, reports, system, found.id, kind, label)  # type: ignore[arg-type]
            queued = 0
            if approve:
                report, _version, queued = service.approve(db, store, reports, system, report.id)
            newest = service.list_versions(db, system, report.id)[-1]
            if output is not None:
                output.write_bytes(newest.pdf)
            typer.echo(f"report {report.id} {found.slug} {label}: {report.status}, version {newest.version},"
                       f" {newest.size_bytes} bytes" + (f", {queued} e-mail(s) queued" if approve else ""))
    except VigilError as exc:
        typer.echo(f"vigil: {exc.message}", err=True)
        raise typer.Exit(1) from None


@app.command("list")
def list_reports(ctx: typer.Context, customer: Annotated[str, typer.Option(help="customer slug")]) -> None:
    """The customer's reports and their versions."""
    from vigil.server.reports import service
    from vigil.server.services.customers import get_customer_by_slug
    from vigil.server.services.principal import system_principal

    settings: Settings = ctx.obj
    system = system_principal()
    try:
        with _open(settings) as (db, _store):
            found = get_customer_by_slug(db, system, customer)
            for report in service.list_reports(db, system, found.id):
                versions = service.list_versions(db, system, report.id)
                typer.echo(f"{report.id}\t{report.period_kind}\t{report.period}\t{report.status}\t{len(versions)}")
    except VigilError as exc:
        typer.echo(f"vigil: {exc.message}", err=True)
        raise typer.Exit(1) from None
