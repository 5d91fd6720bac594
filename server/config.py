"""Server configuration: typed settings from a TOML file plus ``VIGIL_*`` environment overrides.

Nothing here runs at import time: ``load_settings`` is called from ``main()`` (or a test) and the
resulting :class:`Settings` is passed down. Nested keys are overridden from the environment
with a double underscore: ``VIGIL_METRICS__BACKEND=influxdb``.

``check_config_file`` returns every problem of a file with its key and reason, for
``vigil config check``.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from vigil.server.errors import InvalidInput, VigilError


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists (key, reason) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {key}: {reason}" for key, reason in problems)
        super().__init__(f"{source}: invalid configuration\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricsSettings(_Strict):
    """Where metrics go: the embedded store (default) or InfluxDB."""

    backend: Literal["embedded", "influxdb"] = "embedded"
    # embedded: a SQLite file; defaults to <data_dir>/metrics.sqlite3
    path: Path | None = None
    raw_retention_days: int = Field(default=40, ge=1)
    rollup_retention_days: int = Field(default=800, ge=1)
    # influxdb
    influx_api: Literal["v1", "v2"] = "v1"
    influx_url: str = "http://127.0.0.1:8086"
    influx_database: str = "vigil"
    influx_username: str | None = None
    influx_password: SecretStr | None = None
    influx_token: SecretStr | None = None
    influx_org: str | None = None
    influx_bucket: str | None = None
    influx_timeout_seconds: float = Field(default=10.0, gt=0)
    influx_verify_tls: bool = True

    @field_validator("influx_url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class IngestLimits(_Strict):
    """Bounds on what one ingest request may carry."""

    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    max_decompressed_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_lines: int = Field(default=20_000, ge=1)
    max_tags: int = Field(default=16, ge=1)
    max_fields: int = Field(default=64, ge=1)
    max_name_length: int = Field(default=128, ge=8)
    max_string_length: int = Field(default=1024, ge=8)
    max_past_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    max_future_seconds: int = Field(default=600, ge=1)
    batch_ids_kept_hours: int = Field(default=48, ge=1)
    # Ingest requests worked on at once; more are answered 429 with Retry-After.
    max_concurrent: int = Field(default=16, ge=1)


class AuthSettings(_Strict):
    session_hours: int = Field(default=12, ge=1)
    enrollment_token_hours: int = Field(default=72, ge=1)
    cookie_secure: bool = False


class Settings(BaseSettings):
    """Everything the server needs, built once in ``main()``."""

    model_config = SettingsConfigDict(
        env_prefix="VIGIL_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Path("./data")
    # SQLAlchemy URL; defaults to SQLite under data_dir.
    database_url: str | None = None
    # Encrypts device credentials at rest and signs sessions. Set it in production: a random
    # key is made and stored under data_dir when absent.
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: str | None = None
    public_name: str = "vigil"
    metrics: MetricsSettings = MetricsSettings()
    ingest: IngestLimits = IngestLimits()
    auth: AuthSettings = AuthSettings()
    # Room for later parts (rules, desk, reports, notifications) to add their own sections.
    extra_sections: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which comes in as init arguments.
        return (env_settings, init_settings)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vigil.sqlite3').resolve()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret.key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        key_file.touch(mode=0o600)
        key_file.write_text(key)
        return key


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(part) for part in e["loc"]) or "(root)", e["msg"]) for e in error.errors()]


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), [("(file)", "not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [("(file)", f"not valid TOML: {exc}")]) from None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from an optional TOML file, the environment and explicit overrides."""
    values: dict[str, Any] = read_toml(path) if path else {}
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(str(path) if path else "settings", _problems(exc)) from None


def check_config_file(path: Path, sections: Mapping[str, type[BaseModel]]) -> list[tuple[str, str]]:
    """Every problem of a config file as (key, reason), its ``[extra_sections]`` tables checked
    against ``sections`` (name -> model); empty when it is valid."""
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return exc.problems
    return section_problems(settings.extra_sections, sections)


def section_problems(
    tables: Mapping[str, dict[str, Any]], sections: Mapping[str, type[BaseModel]]
) -> list[tuple[str, str]]:
    """Every problem of the ``[extra_sections]`` tables as (key, reason): an unknown table, or
    each key its model refuses."""
    problems: list[tuple[str, str]] = []
    for name, raw in tables.items():
        model = sections.get(name)
        if model is None:
            problems.append((f"extra_sections.{name}", f"unknown section; known: {', '.join(sorted(sections))}"))
            continue
        try:
            model.model_validate(raw)
        except ValidationError as exc:
            problems += [(f"extra_sections.{name}.{key}", reason) for key, reason in _problems(exc)]
        except VigilError as exc:  # a model's own check of a nested part (a desk channel, say)
            problems.append((f"extra_sections.{name}", exc.message))
    return problems


SectionModel = TypeVar("SectionModel", bound=BaseModel)


def section_settings(model: type[SectionModel], raw: dict[str, Any] | None, name: str) -> SectionModel:
    """A part's settings from its ``[extra_sections.NAME]`` table; InvalidInput names the key
    and the reason."""
    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        key, reason = _problems(exc)[0]
        raise InvalidInput(f"extra_sections.{name}.{key}: {reason}") from exc
