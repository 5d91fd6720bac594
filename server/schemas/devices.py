"""Devices and their credentials as the API sees them (credentials are write-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from vigil.server.db.models import DeviceKind
from vigil.server.schemas.base import Out, StrictIn

DEVICE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class DeviceCreate(StrictIn):
    customer_id: int
    site_id: int
    name: str = Field(pattern=DEVICE_NAME)
    kind: DeviceKind
    vendor: str | None = Field(default=None, max_length=128)
    model: str | None = Field(default=None, max_length=128)
    serial: str | None = Field(default=None, max_length=128)
    firmware: str | None = Field(default=None, max_length=256)
    mgmt_address: str | None = Field(default=None, max_length=256)
    importance: int = Field(default=2, ge=1, le=3)
    tags: list[str] = Field(default_factory=list, max_length=32)
    profile: str | None = Field(default=None, max_length=64)
    node_id: int | None = None
    parent_device_id: int | None = None
    ssh_host_key_policy: Literal["pinned", "tofu"] = "pinned"


class DeviceUpdate(StrictIn):
    vendor: str | None = Field(default=None, max_length=128)
    model: str | None = Field(default=None, max_length=128)
    serial: str | None = Field(default=None, max_length=128)
    firmware: str | None = Field(default=None, max_length=256)
    mgmt_address: str | None = Field(default=None, max_length=256)
    importance: int | None = Field(default=None, ge=1, le=3)
    tags: list[str] | None = Field(default=None, max_length=32)
    profile: str | None = Field(default=None, max_length=64)
    node_id: int | None = None
    parent_device_id: int | None = None
    ssh_host_key_policy: Literal["pinned", "tofu"] | None = None


class DevicePublic(Out):
    id: int
    customer_id: int
    site_id: int
    name: str
    kind: DeviceKind
    vendor: str | None
    model: str | None
    serial: str | None
    firmware: str | None
    mgmt_address: str | None
    importance: int
    tags: list[str]
    profile: str | None
    node_id: int | None
    parent_device_id: int | None
    ssh_host_key_policy: str
    inventory: dict[str, Any]
    inventory_updated_at: datetime | None
    last_seen_at: datetime | None


class SnmpCredential(StrictIn):
    version: Literal["1", "2c", "3"] = "2c"
    port: int = Field(default=161, ge=1, le=65535)
    community: str | None = Field(default=None, max_length=128)
    user: str | None = Field(default=None, max_length=64)
    auth_protocol: Literal["none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"] = "none"
    auth_key: str | None = Field(default=None, max_length=256)
    priv_protocol: Literal["none", "des", "aes", "aes192", "aes256"] = "none"
    priv_key: str | None = Field(default=None, max_length=256)
    context: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _complete(self) -> SnmpCredential:
        if self.version in ("1", "2c") and not self.community:
            raise ValueError("SNMP v1/v2c needs a community")
        if self.version == "3" and not self.user:
            raise ValueError("SNMP v3 needs a user")
        if self.auth_protocol != "none" and not self.auth_key:
            raise ValueError("an auth protocol needs an auth key")
        if self.priv_protocol != "none" and (self.auth_protocol == "none" or not self.priv_key):
            raise ValueError("privacy needs authentication and a priv key")
        return self


class SshCredential(StrictIn):
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=64)
    password: str | None = Field(default=None, max_length=256)
    private_key: str | None = Field(default=None, max_length=16384)
    platform: str = Field(default="linux", max_length=32)

    @model_validator(mode="after")
    def _some_secret(self) -> SshCredential:
        if not self.password and not self.private_key:
            raise ValueError("SSH needs a password or a private key")
        return self


class CredentialsIn(StrictIn):
    snmp: SnmpCredential | None = None
    ssh: SshCredential | None = None


class CredentialsPublic(Out):
    """Which credentials a device has; secrets never leave the server this way."""

    snmp: bool
    ssh: bool
