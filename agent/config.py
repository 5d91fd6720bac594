"""The agent's configuration: typed, immutable records read from a TOML file and checked strictly.

Every setting is documented in ``agent/agent.example.toml``. Unknown sections or keys, wrong
types and out-of-range values fail at start with :class:`ConfigError`, whose message names the
file, the key and the reason. Nothing is read from the environment.

The sections are :class:`~vigil.agent.record.Record` s (named tuples), not frozen dataclasses:
the agent's long-running process checks this configuration again when it starts, and
``dataclasses`` would cost it ~1.3 MiB resident (see vigil.agent.record). A changed copy is
``section._replace(key=value)``.
"""

from __future__ import annotations

import os
import sys

from vigil.agent import collectors
from vigil.agent.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # the running agent does not import typing: annotations only
    from typing import Any

REFERENCE_INTERVAL_SECONDS = 10.0


class ConfigError(ValueError):
    """Invalid configuration: file, key and reason in the message."""


def default_state_dir() -> str:
    if sys.platform == "win32":
        return os.path.join(os.environ.get("PROGRAMDATA", "C:\\ProgramData"), "vigil-agent")
    return "/var/lib/vigil-agent"


# Computed once: on Windows it is the system's ProgramData folder, not a setting of the agent.
_DEFAULT_STATE_DIR = default_state_dir()


class AgentSection(Record):
    name: str = ""  # node name asked for at enrolment; empty means the host name
    state_dir: str = _DEFAULT_STATE_DIR
    interval_seconds: float = 10.0  # every collector without its own interval
    inventory_interval_seconds: float = 86400.0
    self_metrics_interval_seconds: float = 10.0
    log_level: str = "info"


class ServerSection(Record):
    url: str = ""  # empty: the URL saved by `enroll`
    ca_file: str = ""  # empty: the CA saved by `enroll`, else the system's
    credential_file: str = ""  # empty: <state_dir>/credential.json
    timeout_seconds: float = 10.0


class SpoolSection(Record):
    dir: str = ""  # empty: <state_dir>/spool
    max_bytes: int = 64 * 1024 * 1024
    segment_bytes: int = 0  # 0: max_bytes / 8
    fsync: bool = True
    lock_wait_seconds: float = 0.0


class BatchSection(Record):
    max_bytes: int = 256 * 1024
    max_age_seconds: float = 10.0


class RetrySection(Record):
    initial_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0
    max_retry_after_seconds: float = 3600.0


class CollectorSettings(Record):
    name: str
    enabled: bool
    interval_seconds: float
    options: Any


class AgentConfig(Record):
    agent: AgentSection = AgentSection()
    server: ServerSection = ServerSection()
    spool: SpoolSection = SpoolSection()
    batch: BatchSection = BatchSection()
    retry: RetrySection = RetrySection()
    collectors: tuple[CollectorSettings, ...] = ()
    source: str = "<defaults>"

    # Paths are str: pathlib (with urllib.parse and ipaddress) would add ~0.4 MiB to the running agent.
    @property
    def state_dir(self) -> str:
        return self.agent.state_dir

    @property
    def spool_dir(self) -> str:
        return self.spool.dir or os.path.join(self.state_dir, "spool")

    @property
    def credential_path(self) -> str:
        return self.server.credential_file or os.path.join(self.state_dir, "credential.json")

    def enabled_collectors(self) -> list[CollectorSettings]:
        return [c for c in self.collectors if c.enabled]


_SECTIONS: dict[str, type] = {
    "agent": AgentSection,
    "server": ServerSection,
    "spool": SpoolSection,
    "batch": BatchSection,
    "retry": RetrySection,
}
_POSITIVE = {
    "interval_seconds",
    "inventory_interval_seconds",
    "self_metrics_interval_seconds",
    "timeout_seconds",
    "max_bytes",
    "max_age_seconds",
    "initial_backoff_seconds",
    "max_backoff_seconds",
    "max_retry_after_seconds",
    "top_n",
    "max_units",
}
# Each of these makes that many series (tag values) per host: bounded, so cardinality stays so.
_AT_MOST = {"top_n": 50, "max_units": 500}
_LOG_LEVELS = ("debug", "info", "warning", "error")


def _coerce(source: str, key: str, value: Any, kind: Any) -> Any:
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {reason}")

    if kind is bool:
        if not isinstance(value, bool):
            raise fail(f"expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"expected an integer, got {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"expected a number, got {value!r}")
        value = float(value)
    elif kind is str:
        if not isinstance(value, str):
            raise fail(f"expected a string, got {value!r}")
    elif getattr(kind, "__origin__", None) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"expected a list of strings, got {value!r}")
        return tuple(value)
    else:  # pragma: no cover - a new field type needs a rule here
        raise fail(f"unsupported setting type {kind!r}")
    if key.rsplit(".", 1)[-1] in _POSITIVE and value <= 0:
        raise fail(f"must be greater than 0, got {value!r}")
    if key.rsplit(".", 1)[-1] in ("segment_bytes", "lock_wait_seconds") and value < 0:
        raise fail(f"must not be negative, got {value!r}")
    most = _AT_MOST.get(key.rsplit(".", 1)[-1])
    if most is not None and value > most:
        raise fail(f"must be at most {most} (each is a series of its own), got {value!r}")
    return value


_KINDS: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "tuple[str, ...]": tuple[str, ...]}


def _kinds(cls: type) -> dict[str, Any]:
    """Field name -> type of a settings record (typing.get_type_hints without typing)."""
    kinds = {}
    for name, annotation in cls.__annotations__.items():
        kind = _KINDS.get(annotation) if isinstance(annotation, str) else annotation
        if kind is None:  # pragma: no cover - a new field type needs a rule here and in _coerce
            raise ConfigError(f"{cls.__name__}.{name}: unsupported setting type {annotation!r}")
        kinds[name] = kind
    return kinds


def _build(source: str, prefix: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {prefix}: expected a table")
    kinds = _kinds(cls)
    values = {}
    for key, value in raw.items():
        if key not in kinds:
            raise ConfigError(f"{source}: {prefix}.{key}: unknown setting (known: {', '.join(sorted(kinds))})")
        values[key] = _coerce(source, f"{prefix}.{key}", value, kinds[key])
    return cls(**values)


def _collectors(source: str, raw: Any, default_interval: float) -> tuple[CollectorSettings, ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: collectors: expected a table of [collectors.<name>] tables")
    available = collectors.names()
    for name in raw:
        if name not in available:
            raise ConfigError(f"{source}: collectors.{name}: unknown collector (known: {', '.join(available)})")
    result = []
    for name in available:
        spec = collectors.load(name)
        section = dict(raw.get(name, {})) if isinstance(raw.get(name, {}), dict) else None
        if section is None:
            raise ConfigError(f"{source}: collectors.{name}: expected a table")
        prefix = f"collectors.{name}"
        enabled = _coerce(source, f"{prefix}.enabled", section.pop("enabled", True), bool)
        interval = section.pop("interval_seconds", None)
        if interval is None:
            # Module defaults are set for the reference 10 s agent interval and scale with it.
            interval = spec.default_interval_seconds * default_interval / REFERENCE_INTERVAL_SECONDS
        interval = _coerce(source, f"{prefix}.interval_seconds", interval, float)
        options = _build(source, prefix, spec.options_type, section)
        result.append(CollectorSettings(name, enabled, interval, options))
    return tuple(result)


def from_dict(raw: dict[str, Any], source: str = "<dict>") -> AgentConfig:
    """Build a checked configuration from parsed TOML (or any dict of the same shape)."""
    for key in raw:
        if key not in _SECTIONS and key != "collectors":
            known = ", ".join(sorted([*_SECTIONS, "collectors"]))
            raise ConfigError(f"{source}: {key}: unknown section (known: {known})")
    sections = {name: _build(source, name, cls, raw.get(name, {})) for name, cls in _SECTIONS.items()}
    agent: AgentSection = sections["agent"]
    if agent.log_level not in _LOG_LEVELS:
        raise ConfigError(f"{source}: agent.log_level: must be one of {', '.join(_LOG_LEVELS)}")
    spool: SpoolSection = sections["spool"]
    batch: BatchSection = sections["batch"]
    if spool.max_bytes < 4096:
        raise ConfigError(f"{source}: spool.max_bytes: must be at least 4096")
    if batch.max_bytes * 4 > spool.max_bytes:
        raise ConfigError(
            f"{source}: batch.max_bytes: must be at most a quarter of spool.max_bytes ({spool.max_bytes})"
        )
    server: ServerSection = sections["server"]
    if server.url and not server.url.startswith(("http://", "https://")):
        raise ConfigError(f"{source}: server.url: must start with http:// or https://")
    return AgentConfig(
        collectors=_collectors(source, raw.get("collectors", {}), agent.interval_seconds),
        source=source,
        **sections,
    )


def to_dict(config: AgentConfig) -> dict[str, Any]:
    """The configuration as plain data of the config file's shape: ``from_dict(to_dict(c)) == c``."""

    def plain(section: Any) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in section._asdict().items()}

    raw: dict[str, Any] = {name: plain(getattr(config, name)) for name in _SECTIONS}
    raw["collectors"] = {
        c.name: {"enabled": c.enabled, "interval_seconds": c.interval_seconds, **plain(c.options)}
        for c in config.collectors
    }
    return raw


def load(path: str | os.PathLike[str] | None) -> AgentConfig:
    """Read and check a config file; ``None`` gives the defaults."""
    if path is None:
        return from_dict({}, "<defaults>")
    import tomllib  # start-up only: `run` hands the checked config to a process that never imports it

    source = str(path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return from_dict(raw, source)
