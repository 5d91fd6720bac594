"""The SNMP client: one pysnmp engine per process, numeric OIDs, GETBULK column walks.

Community-based requests (v1, v2c) go through the lean codec of
:mod:`vigil.collector.snmp.fastv2c` by default (pyasn1's decoder was most of the CPU); SNMPv3
always goes through pysnmp. Every request goes through one semaphore, so the number of requests in flight is bounded
whatever the number of devices (more than ~50 overflowed the UDP receive buffer here). Timeouts
and retries are per device. pysnmp's results are translated into plain Python values and its
error indications into :mod:`vigil.collector.errors`; a wrong v3 key fails closed with
:class:`SnmpAuthError` and never falls back to another version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import rfc1902, rfc1905
from vigil.collector.config import SnmpCredential, SnmpV3Credential
from vigil.collector.errors import SnmpAuthError, SnmpProtocolError, SnmpTimeout

Value = int | float | str | bytes
Backend = Literal["fast", "pysnmp"]


@dataclass(frozen=True, slots=True)
class Varbind:
    oid: str
    value: Value
    # 32 or 64 for counters (their wrap width); 0 for everything else.
    counter_bits: int = 0


_AUTH = {
    "none": usm.USM_AUTH_NONE,
    "md5": usm.USM_AUTH_HMAC96_MD5,
    "sha": usm.USM_AUTH_HMAC96_SHA,
    "sha224": usm.USM_AUTH_HMAC128_SHA224,
    "sha256": usm.USM_AUTH_HMAC192_SHA256,
    "sha384": usm.USM_AUTH_HMAC256_SHA384,
    "sha512": usm.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    "none": usm.USM_PRIV_NONE,
    "des": usm.USM_PRIV_CBC56_DES,
    "3des": usm.USM_PRIV_CBC168_3DES,
    "aes": usm.USM_PRIV_CFB128_AES,
    "aes128": usm.USM_PRIV_CFB128_AES,
    "aes192": usm.USM_PRIV_CFB192_AES,
    "aes256": usm.USM_PRIV_CFB256_AES,
}

# pysnmp error indications that mean "your v3 credentials are wrong": fail closed, loudly.
_AUTH_FAILURES = (
    "digest", "usm user", "unknown user", "security level", "decrypt", "security name",
    "authentication", "time window", "unknownusername", "wrongdigest",
)


def _auth_data(cred: SnmpCredential) -> CommunityData | UsmUserData:
    if not isinstance(cred, SnmpV3Credential):
        model = 0 if cred.version == "1" else 1
        return CommunityData(cred.community.get_secret_value(), mpModel=model)
    auth_key = cred.auth_key.get_secret_value() if cred.auth_key else None
    priv_key = cred.priv_key.get_secret_value() if cred.priv_key else None
    return UsmUserData(
        cred.user,
        authKey=auth_key,
        privKey=priv_key,
        authProtocol=_AUTH[cred.auth_proto],
        privProtocol=_PRIV[cred.priv_proto],
    )


def _convert(value: object) -> tuple[Value, int] | None:
    """A pysnmp value as a Python value and its counter width; None for 'no such'/end of MIB."""
    if isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)):
        return None
    if isinstance(value, rfc1902.Counter64):
        return int(value), 64
    if isinstance(value, rfc1902.Counter32):
        return int(value), 32
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in value.asOctets()), 0
    if isinstance(value, rfc1902.OctetString):
        return bytes(value.asOctets()), 0
    if isinstance(value, rfc1902.ObjectIdentifier):
        return ".".join(str(part) for part in value), 0
    if isinstance(value, rfc1902.Integer | rfc1902.Integer32 | rfc1902.Unsigned32 | rfc1902.Gauge32
                  | rfc1902.TimeTicks):
        return int(value), 0
    try:
        return int(value), 0  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value), 0


class SnmpTarget:
    """One device's address, credential, timeout and retries, bound to the shared client."""

    def __init__(self, client: SnmpClient, host: str, port: int, cred: SnmpCredential,
                 timeout_seconds: float, retries: int, max_repetitions: int = 50) -> None:
        self.client = client
        self.host = host
        self.port = port
        self.cred = cred
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.max_repetitions = max_repetitions
        self._auth = _auth_data(cred)
        context = cred.context if isinstance(cred, SnmpV3Credential) else ""
        self._context = ContextData(contextName=context.encode()) if context else ContextData()
        self._transport: UdpTransportTarget | None = None

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"

    async def _target(self) -> UdpTransportTarget:
        if self._transport is None:
            self._transport = await UdpTransportTarget.create(
                (self.host, self.port), timeout=self.timeout_seconds, retries=self.retries
            )
        return self._transport

    def _check(self, error_indication: object, error_status: object, error_index: object) -> None:
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "No SNMP response" in text:
                if isinstance(self.cred, SnmpV3Credential) and self.cred.priv_proto != "none":
                    # A wrong privacy key makes the agent drop the request silently.
                    raise SnmpTimeout(
                        f"{self.label}: no SNMP response within {self.timeout_seconds}s x "
                        f"{self.retries + 1} (for SNMPv3 authPriv this is also what a wrong "
                        "privacy key or protocol looks like)"
                    )
                raise SnmpTimeout(
                    f"{self.label}: no SNMP response within {self.timeout_seconds}s x {self.retries + 1}"
                )
            if any(word in text.lower() for word in _AUTH_FAILURES):
                raise SnmpAuthError(
                    f"{self.label}: SNMPv3 credentials refused ({text}); check user, keys and "
                    "protocols (no fallback to v2c)"
                )
            raise SnmpProtocolError(f"{self.label}: {text}")
        if error_status and int(error_status) != 0:  # type: ignore[call-overload]
            status = getattr(error_status, "prettyPrint", lambda: str(error_status))()
            raise SnmpProtocolError(f"{self.label}: agent error {status} at varbind {error_index}")

    async def get(self, oids: Sequence[str]) -> dict[str, Varbind]:
        """GET many instances at once; absent ones are left out of the result."""
        result: dict[str, Varbind] = {}
        if not oids:
            return result
        target = await self._target()
        for start in range(0, len(oids), 30):
            chunk = [ObjectType(ObjectIdentity(oid)) for oid in oids[start : start + 30]]
            async with self.client.in_flight:
                error_indication, error_status, error_index, var_binds = await get_cmd(
                    self.client.engine, self._auth, target, self._context, *chunk, lookupMib=False
                )
            if self.cred.version == "1" and error_status and int(error_status) == 2:
                # v1 answers noSuchName for the whole request: ask one by one.
                for oid in oids[start : start + 30]:
                    result.update(await self._get_one_v1(oid, target))
                continue
            self._check(error_indication, error_status, error_index)
            for name, value in var_binds:
                converted = _convert(value)
                if converted is not None:
                    oid = str(name)
                    result[oid] = Varbind(oid, converted[0], converted[1])
        return result

    async def _get_one_v1(self, oid: str, target: UdpTransportTarget) -> dict[str, Varbind]:
        async with self.client.in_flight:
            error_indication, error_status, error_index, var_binds = await get_cmd(
                self.client.engine, self._auth, target, self._context,
                ObjectType(ObjectIdentity(oid)), lookupMib=False,
            )
        if error_status and int(error_status) == 2:
            return {}
        self._check(error_indication, error_status, error_index)
        out: dict[str, Varbind] = {}
        for name, value in var_binds:
            converted = _convert(value)
            if converted is not None:
                out[str(name)] = Varbind(str(name), converted[0], converted[1])
        return out

    async def walk_columns(self, columns: Sequence[str], max_rows: int = 10000) -> dict[str, list[Varbind]]:
        """Walk several columns of one table together (GETBULK; GETNEXT for v1).

        Returns column OID -> its varbinds in order; a column the agent lacks maps to []."""
        result: dict[str, list[Varbind]] = {column: [] for column in columns}
        cursors = {column: column for column in columns}
        target = await self._target()
        is_v1 = self.cred.version == "1"
        while cursors:
            active = list(cursors)
            request = [ObjectType(ObjectIdentity(cursors[column])) for column in active]
            async with self.client.in_flight:
                if is_v1:
                    error_indication, error_status, error_index, var_binds = await next_cmd(
                        self.client.engine, self._auth, target, self._context, *request, lookupMib=False
                    )
                else:
                    repetitions = max(1, min(self.max_repetitions, 120 // len(active) or 1))
                    error_indication, error_status, error_index, var_binds = await bulk_cmd(
                        self.client.engine, self._auth, target, self._context, 0, repetitions,
                        *request, lookupMib=False,
                    )
            if is_v1 and error_status and int(error_status) == 2:
                break  # v1 noSuchName: end of the MIB view
            self._check(error_indication, error_status, error_index)
            if not var_binds:
                break
            finished: set[str] = set()
            # GETBULK answers row-major: repetition r holds one varbind per requested column.
            for position, (name, value) in enumerate(var_binds):
                column = active[position % len(active)]
                if column in finished:
                    continue
                oid = str(name)
                converted = _convert(value)
                if converted is None or not oid.startswith(column + "."):
                    finished.add(column)
                    continue
                if cursors[column] != column and _oid_key(oid) <= _oid_key(cursors[column]):
                    finished.add(column)  # the agent went backwards: stop rather than loop
                    continue
                result[column].append(Varbind(oid, converted[0], converted[1]))
                cursors[column] = oid
                if len(result[column]) >= max_rows:
                    finished.add(column)
            for column in finished:
                cursors.pop(column, None)
        return result


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split(".") if part)


class SnmpClient:
    """The SNMP engine and the bound on requests in flight.

    The collector makes exactly one, inside its one event loop, and keeps it for the life of
    the process (a new engine costs ~0.1 s, and pysnmp's transports belong to that loop)."""

    def __init__(self, max_in_flight: int = 32, backend: Backend = "fast") -> None:
        from vigil.collector.snmp.fastv2c import FastV2cTransport

        self.engine = SnmpEngine()
        self.max_in_flight = max_in_flight
        self.in_flight = asyncio.Semaphore(max_in_flight)
        self.backend = backend
        self._fast = FastV2cTransport()

    def close(self) -> None:
        self._fast.close()
        self.engine.close_dispatcher()

    def target(self, host: str, port: int, cred: SnmpCredential, timeout_seconds: float = 2.0,
               retries: int = 1, max_repetitions: int = 50) -> Target:
        """A device to poll; v1/v2c use the lean backend unless ``backend="pysnmp"``, v3 always pysnmp."""
        if self.backend == "fast" and not isinstance(cred, SnmpV3Credential):
            from vigil.collector.snmp.fastv2c import FastV2cTarget

            return FastV2cTarget(self, self._fast, self.in_flight, host, port, cred, timeout_seconds, retries,
                                 max_repetitions)
        return SnmpTarget(self, host, port, cred, timeout_seconds, retries, max_repetitions)


class Target(Protocol):
    """What the poller and discovery need from a device, whichever backend serves it."""

    host: str
    port: int

    @property
    def cred(self) -> SnmpCredential:
        # Read-only: the fast backend's targets hold the narrower SnmpCommunityCredential.
        ...

    @property
    def label(self) -> str: ...

    async def get(self, oids: Sequence[str]) -> dict[str, Varbind]: ...

    async def walk_columns(self, columns: Sequence[str], max_rows: int = 10000) -> dict[str, list[Varbind]]: ...
