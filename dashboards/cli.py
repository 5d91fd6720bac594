"""``vigil dashboards``: ``provision`` into a running Grafana, or ``export`` files for Grafana's
file provisioning. Run through the ``vigil`` command (entry point ``vigil.commands``).

Customers: ``--customers acme,bravo=Bravo Bank`` or ``--vigil-url URL`` with a user token in
``--vigil-token`` or ``$VIGIL_API_TOKEN`` (see :mod:`vigil.dashboards.customers`). Secrets for
the data sources come from the environment, never from arguments: ``$VIGIL_INFLUX_PASSWORD``,
``$VIGIL_INFLUX_TOKEN``, ``$VIGIL_PG_PASSWORD``; the Grafana token may also come from
``$VIGIL_GRAFANA_TOKEN`` instead of ``--token``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError
from vigil.dashboards.catalog import Customer, build_catalog
from vigil.dashboards.customers import fetch_customers, parse_customers
from vigil.dashboards.datasources import (
    ENV_INFLUX_PASSWORD,
    ENV_INFLUX_TOKEN,
    ENV_PG_PASSWORD,
    InfluxSettings,
    PostgresSettings,
    influx_definition,
    postgres_definition,
    provisioning_file,
)
from vigil.dashboards.errors import CustomerSourceError, DashboardsError
from vigil.dashboards.export import export
from vigil.dashboards.provision import Provisioner, connect


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil dashboards", description="Grafana dashboards for vigil")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--customers", help="comma-separated slugs, each optionally slug=Name")
        p.add_argument("--vigil-url", help="read customers from vigil's API (GET /api/v1/customers)")
        p.add_argument("--vigil-token", help="user token for --vigil-url (default $VIGIL_API_TOKEN)")
        p.add_argument("--team-prefix", default="customer-", help="customer team name prefix (default customer-)")
        p.add_argument("--staff-team", help="team that may view the fleet folder")
        p.add_argument("--influx-url", default="http://127.0.0.1:8086")
        p.add_argument("--influx-database", default="vigil")
        p.add_argument("--influx-user", help="InfluxDB 1.x user (password from $VIGIL_INFLUX_PASSWORD)")
        p.add_argument("--pg-host", default="127.0.0.1:5432", help="PostgreSQL host:port for the SLA panels")
        p.add_argument("--pg-database", default="vigil")
        p.add_argument("--pg-user", default="grafana", help="a read-only role (password from $VIGIL_PG_PASSWORD)")
        p.add_argument("--pg-sslmode", default="require", choices=["disable", "require", "verify-ca", "verify-full"])

    provision = sub.add_parser("provision", help="create or update everything in a running Grafana")
    provision.add_argument("--grafana", required=True, help="Grafana base URL")
    provision.add_argument("--token", help="Grafana service account token (default $VIGIL_GRAFANA_TOKEN)")
    provision.add_argument("--update-secrets", action="store_true", help="push data source secrets again")
    common(provision)
    exporter = sub.add_parser("export", help="write Grafana file-provisioning files")
    exporter.add_argument("dir", type=Path)
    exporter.add_argument("--dashboards-path", type=Path, help="where Grafana will find the dashboard folders")
    exporter.add_argument("--influx-auth", choices=["none", "password", "token"], default="none")
    common(exporter)
    return parser


def _customers(args: argparse.Namespace) -> list[Customer]:
    if args.customers and args.vigil_url:
        raise CustomerSourceError("give either --customers or --vigil-url, not both")
    if args.customers:
        return parse_customers(args.customers)
    if args.vigil_url:
        token = args.vigil_token or os.environ.get("VIGIL_API_TOKEN")
        if not token:
            raise CustomerSourceError("--vigil-url needs --vigil-token or $VIGIL_API_TOKEN")
        return fetch_customers(args.vigil_url, token)
    raise CustomerSourceError("say which customers: --customers or --vigil-url")


def _secret(name: str) -> SecretStr | None:
    value = os.environ.get(name)
    return SecretStr(value) if value else None


def _settings(args: argparse.Namespace) -> tuple[InfluxSettings, PostgresSettings]:
    influx = InfluxSettings(url=args.influx_url, database=args.influx_database, user=args.influx_user,
                            password=_secret(ENV_INFLUX_PASSWORD), token=_secret(ENV_INFLUX_TOKEN))
    postgres = PostgresSettings(host=args.pg_host, database=args.pg_database, user=args.pg_user,
                                password=_secret(ENV_PG_PASSWORD), sslmode=args.pg_sslmode)
    return influx, postgres


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        influx, postgres = _settings(args)
        folders = build_catalog(_customers(args), team_prefix=args.team_prefix, staff_team=args.staff_team)
        if args.command == "export":
            files = provisioning_file(influx, postgres, influx_auth=args.influx_auth)
            report = export(folders, files, args.dir, args.dashboards_path)
            print(f"{len(report.written)} files written, {report.unchanged} unchanged, {len(report.removed)} removed")
            return 0
        token = args.token or os.environ.get("VIGIL_GRAFANA_TOKEN")
        if not token:
            print("error: --token or $VIGIL_GRAFANA_TOKEN is required", file=sys.stderr)
            return 2
        provisioner = Provisioner(connect(args.grafana, token), update_secrets=args.update_secrets)
        result = provisioner.run([influx_definition(influx), postgres_definition(postgres)], folders)
        print(f"{len(result.writes)} changes, {result.unchanged} unchanged")
        return 0
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", file=sys.stderr)
        return 2
    except DashboardsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
