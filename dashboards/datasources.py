"""The two data sources the dashboards read: vigil's InfluxDB (InfluxQL) and its PostgreSQL.

Settings are pydantic models (``extra="forbid"``) built by the CLI. Secrets (``SecretStr``)
never print; the provisioning API receives them in ``secureJsonData``, and the exported files
refer to environment variables that Grafana expands when it reads them (``$VIGIL_...``), so no
secret is ever written to disk.

InfluxDB 1.x: ``user``/``password``. InfluxDB 2.x/3.x through the v1 API: a ``token``, sent as
``Authorization: Token ...`` (map the database name to the bucket with a DBRP mapping on 2.x).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr
from vigil.dashboards.queries import INFLUX_TYPE, INFLUX_UID, POSTGRES_TYPE, POSTGRES_UID

ENV_INFLUX_PASSWORD = "VIGIL_INFLUX_PASSWORD"
ENV_INFLUX_TOKEN = "VIGIL_INFLUX_TOKEN"
ENV_PG_PASSWORD = "VIGIL_PG_PASSWORD"


class InfluxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = "http://127.0.0.1:8086"
    database: str = "vigil"
    user: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None


class PostgresSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    host: str = "127.0.0.1:5432"
    database: str = "vigil"
    user: str = "grafana"
    password: SecretStr | None = None
    sslmode: str = "require"


def influx_definition(settings: InfluxSettings) -> tuple[dict[str, Any], dict[str, str]]:
    """(the data source without secrets, secureJsonData key -> secret)."""
    json_data: dict[str, Any] = {"dbName": settings.database, "httpMode": "POST", "version": "InfluxQL"}
    secrets: dict[str, str] = {}
    if settings.token is not None:
        json_data["httpHeaderName1"] = "Authorization"
        secrets["httpHeaderValue1"] = f"Token {settings.token.get_secret_value()}"
    if settings.password is not None:
        secrets["password"] = settings.password.get_secret_value()
    body = {
        "uid": INFLUX_UID, "name": "vigil InfluxDB", "type": INFLUX_TYPE, "access": "proxy",
        "url": settings.url, "user": settings.user or "", "basicAuth": False, "isDefault": True,
        "jsonData": json_data,
    }
    return body, secrets


def postgres_definition(settings: PostgresSettings) -> tuple[dict[str, Any], dict[str, str]]:
    body = {
        "uid": POSTGRES_UID, "name": "vigil PostgreSQL", "type": POSTGRES_TYPE, "access": "proxy",
        "url": settings.host, "user": settings.user, "basicAuth": False, "isDefault": False,
        "jsonData": {"database": settings.database, "sslmode": settings.sslmode, "postgresVersion": 1500,
                     "timescaledb": False},
    }
    secrets = {"password": settings.password.get_secret_value()} if settings.password is not None else {}
    return body, secrets


InfluxAuth = Literal["none", "password", "token"]


def provisioning_file(influx: InfluxSettings, postgres: PostgresSettings, *, influx_auth: InfluxAuth = "none",
                      pg_password: bool = True) -> dict[str, Any]:
    """Grafana's data source provisioning file; secrets only as ``$ENV`` references."""
    influx_body, _ = influx_definition(influx.model_copy(update={"password": None, "token": None}))
    influx_entry = {k: v for k, v in influx_body.items() if k != "basicAuth"}
    if influx_auth == "password":
        influx_entry["secureJsonData"] = {"password": "$" + ENV_INFLUX_PASSWORD}
    elif influx_auth == "token":
        influx_entry["jsonData"] = {**influx_entry["jsonData"], "httpHeaderName1": "Authorization"}
        influx_entry["secureJsonData"] = {"httpHeaderValue1": "Token $" + ENV_INFLUX_TOKEN}
    pg_body, _ = postgres_definition(postgres.model_copy(update={"password": None}))
    pg_entry = {k: v for k, v in pg_body.items() if k != "basicAuth"}
    if pg_password:
        pg_entry["secureJsonData"] = {"password": "$" + ENV_PG_PASSWORD}
    for entry in (influx_entry, pg_entry):
        entry["editable"] = False
    return {"apiVersion": 1, "datasources": [influx_entry, pg_entry]}
