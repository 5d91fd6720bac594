"""The ``vigil`` command: server, database, tenants, users, enrolment, demo.

Settings are built here, in the callback, from ``--config`` (or ``VIGIL_CONFIG``) and the
``VIGIL_*`` environment, and handed to each command. ``vigil agent …`` and
``vigil collector …`` hand their arguments to those parts' own command lines, which stay
free of server dependencies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from vigil.agent import __version__
from vigil.server.config import ConfigError, Settings, check_config_file, load_settings, section_problems
from vigil.server.errors import VigilError
from vigil.server.sections import SECTIONS

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(help="vigil: remote monitoring and preventive maintenance.", no_args_is_help=True)
db_app = typer.Typer(help="The relational database.", no_args_is_help=True)
customer_app = typer.Typer(help="Customers (tenants) and their sites.", no_args_is_help=True)
enroll_app = typer.Typer(help="Enrolment tokens for agents and collectors.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(customer_app, name="customer")
app.add_typer(enroll_app, name="enroll")
app.add_typer(user_app, name="user")
app.add_typer(config_app, name="config")
app.add_typer(__import__("vigil.server.reports.cli", fromlist=["app"]).app, name="report")

PASSTHROUGH = {"context_settings": {"allow_extra_args": True, "ignore_unknown_options": True}, "add_help_option": False}


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A refused action prints its reason and exits 1, without a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except VigilError as exc:
            typer.echo(f"vigil: {exc.message}", err=True)
            raise typer.Exit(1) from None

    return run


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", envvar="VIGIL_CONFIG", help="TOML configuration file")
    ] = None,
) -> None:
    if ctx.invoked_subcommand in ("agent", "collector", "dashboards", "config", "version"):
        return  # these build their own configuration
    try:
        settings = load_settings(config)
        problems = section_problems(settings.extra_sections, SECTIONS)
        if problems:
            raise ConfigError(str(config) if config else "settings", problems)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    ctx.obj = settings


@app.command()
def version() -> None:
    """Print vigil's version."""
    typer.echo(__version__)


@config_app.command("check")
def config_check(file: Path) -> None:
    """Check a server configuration file; print every problem with its key, exit 1 on any."""
    problems = check_config_file(file, SECTIONS)
    for key, reason in problems:
        typer.echo(f"{file}: {key}: {reason}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: ok")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every database migration."""
    from vigil.server.db.migrate import upgrade

    settings = _settings(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    typer.echo("database is up to date")


@app.command()
def server(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
) -> None:
    """Run the server (applies migrations first)."""
    from vigil.server.app import serve
    from vigil.server.db.migrate import upgrade

    settings = _settings(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    serve(settings, host or settings.host, port or settings.port)


@customer_app.command("add")
@friendly_errors
def customer_add(
    ctx: typer.Context,
    slug: str,
    name: str,
    site: Annotated[list[str] | None, typer.Option(help="site slug (repeatable)")] = None,
    language: Annotated[str, typer.Option(help="zh or en")] = "zh",
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Shanghai",
) -> None:
    """Add a customer, with sites."""
    from vigil.server import admin_tasks

    with admin_tasks.session(_settings(ctx)) as db:
        customer = admin_tasks.add_customer(db, slug, name, site or ["main"], language, timezone)
        typer.echo(f"customer {customer.slug} (id {customer.id}) added")


@user_app.command("add")
@friendly_errors
def user_add(
    ctx: typer.Context,
    email: str,
    name: str,
    role: Annotated[str, typer.Option(help="admin, dispatcher, engineer, expert, customer_viewer")] = "admin",
    customer: Annotated[list[str] | None, typer.Option(help="customer slug the user may see")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="VIGIL_NEW_USER_PASSWORD", help="else asked for at the prompt")
    ] = None,
) -> None:
    """Add a user. The password is read from a prompt or VIGIL_NEW_USER_PASSWORD, never argv."""
    from vigil.server import admin_tasks

    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with admin_tasks.session(_settings(ctx)) as db:
        user = admin_tasks.add_user(db, email, name, role, customer or [], secret)
        typer.echo(f"user {user.email} ({user.role.value}) added")


@enroll_app.command("create")
@friendly_errors
def enroll_create(
    ctx: typer.Context,
    customer: str,
    site: Annotated[str, typer.Option(help="site slug")] = "main",
    kind: Annotated[str, typer.Option(help="agent or collector")] = "agent",
    hours: Annotated[int | None, typer.Option(help="lifetime in hours")] = None,
) -> None:
    """Print a one-time enrolment token for an agent or collector."""
    from vigil.server import admin_tasks

    settings = _settings(ctx)
    with admin_tasks.session(settings) as db:
        token, row = admin_tasks.create_enrollment_token(db, settings, customer, site, kind, hours)
    typer.echo(token)
    typer.echo(f"expires {row.expires_at.isoformat()}", err=True)


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="listen port")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="where the demo keeps its data")] = Path("var/demo"),
) -> None:
    """Run the whole platform on its embedded defaults with a demo customer."""
    from vigil.server.demo import run_demo

    run_demo(data_dir=data_dir, port=port)


def _part_command(name: str, help_text: str) -> None:
    """``vigil NAME ...`` hands its arguments to another part's command line, found through the
    ``vigil.commands`` entry points: the server never imports the agent's, collector's or
    dashboards' code, and an install without that part says so."""

    @app.command(name=name, help=help_text, **PASSTHROUGH)  # type: ignore[arg-type]
    def forward(ctx: typer.Context) -> None:
        from importlib.metadata import entry_points

        found = entry_points(group="vigil.commands", name=name)
        if not found:
            typer.echo(f"vigil {name}: not installed (pip install 'vigil[{name}]')", err=True)
            raise typer.Exit(2)
        part_main = next(iter(found)).load()
        raise typer.Exit(part_main(list(ctx.args)))


_part_command("agent", "The host agent (see `vigil agent --help`).")
_part_command("collector", "The site collector (see `vigil collector --help`).")
_part_command("dashboards", "Grafana dashboards: provision or export (see `vigil dashboards --help`).")


def main() -> None:
    app(prog_name="vigil")
