"""Typed configuration of the collector and of each device it polls, checked once at start.

Secrets are ``SecretStr``: they never print in a repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from vigil.collector.errors import CollectorConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnmpCommunityCredential(_Strict):
    version: Literal["1", "2c"] = "2c"
    community: SecretStr


AuthProto = Literal["none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"]
PrivProto = Literal["none", "des", "3des", "aes", "aes128", "aes192", "aes256"]


class SnmpV3Credential(_Strict):
    version: Literal["3"] = "3"
    user: str = Field(min_length=1, max_length=64)
    auth_proto: AuthProto = "none"
    auth_key: SecretStr | None = None
    priv_proto: PrivProto = "none"
    priv_key: SecretStr | None = None
    context: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _keys_match_protocols(self) -> SnmpV3Credential:
        if self.auth_proto != "none" and (self.auth_key is None or len(self.auth_key.get_secret_value()) < 8):
            raise ValueError("auth_key of at least 8 characters is required with auth_proto")
        if self.priv_proto != "none":
            if self.auth_proto == "none":
                raise ValueError("privacy needs authentication: set auth_proto")
            if self.priv_key is None or len(self.priv_key.get_secret_value()) < 8:
                raise ValueError("priv_key of at least 8 characters is required with priv_proto")
        return self

    @property
    def level(self) -> str:
        if self.priv_proto != "none":
            return "authPriv"
        return "authNoPriv" if self.auth_proto != "none" else "noAuthNoPriv"


SnmpCredential = Annotated[SnmpCommunityCredential | SnmpV3Credential, Field(discriminator="version")]


class SnmpSettings(_Strict):
    credential: SnmpCredential
    port: int = Field(default=161, ge=1, le=65535)
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    max_repetitions: int = Field(default=50, ge=1, le=200)
    profile: str | None = None  # force a vendor profile by name


class SshSettings(_Strict):
    user: str = Field(min_length=1, max_length=64)
    password: SecretStr | None = None
    private_key: SecretStr | None = None  # OpenSSH/PEM text, never a path on the server
    port: int = Field(default=22, ge=1, le=65535)
    platform: str = "linux"
    # Pinned host keys, "key-type base64" lines. Empty means: none known yet.
    known_host_keys: tuple[str, ...] = ()
    host_key_policy: Literal["pinned", "trust_on_first_use"] = "pinned"
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _has_secret(self) -> SshSettings:
        if self.password is None and self.private_key is None:
            raise ValueError("ssh needs a password or a private_key")
        return self


class PingSettings(_Strict):
    icmp: bool = True
    count: int = Field(default=3, ge=1, le=20)
    timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    tcp_ports: tuple[int, ...] = ()


class DeviceConfig(_Strict):
    name: str = Field(min_length=1, max_length=128)
    address: str
    snmp: SnmpSettings | None = None
    ssh: SshSettings | None = None
    ping: PingSettings | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not value or len(value) > 253 or any(c.isspace() for c in value):
                raise ValueError(f"not an IP address or host name: {value[:60]!r}") from None
        return value


class CollectorConfig(_Strict):
    devices: tuple[DeviceConfig, ...] = ()
    interval_seconds: float = Field(default=60.0, ge=1, le=3600)
    max_in_flight: int = Field(default=32, ge=1, le=256)
    max_devices_concurrent: int = Field(default=200, ge=1, le=5000)
    ssh_workers: int = Field(default=8, ge=1, le=64)

    @model_validator(mode="after")
    def _unique_names(self) -> CollectorConfig:
        names = [d.name for d in self.devices]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"device names must be unique; repeated: {duplicates}")
        return self


def load_collector_config(data: object, source: str = "config") -> CollectorConfig:
    """Validate config data, turning pydantic's error into one that names the key and reason."""
    from pydantic import ValidationError

    try:
        return CollectorConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CollectorConfigError(f"{source}: {where}: {first['msg']}") from None
