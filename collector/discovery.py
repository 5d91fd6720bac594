"""Discovery: sweep an address range with a list of SNMP credentials and propose devices.

For every address the credentials are tried in order; the first that answers wins (a v3
credential that is refused counts as "not this one" and the next is tried; it is never
replaced by a weaker one on its own). A proposal carries what an engineer needs to approve
it: vendor and model, serial, interface count, the chosen profile and which credential worked.
The sweep is bounded (at most ``MAX_ADDRESSES`` addresses) and runs through the one SNMP
client, so requests in flight stay bounded too.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import asdict, dataclass

from vigil.collector.config import SnmpCredential
from vigil.collector.device_text import device_text
from vigil.collector.errors import CollectorConfigError, SnmpError
from vigil.collector.snmp.client import SnmpClient, Value
from vigil.collector.snmp.profiles import vendor_profile_for

MAX_ADDRESSES = 4096
SYSTEM = {
    "sys_descr": "1.3.6.1.2.1.1.1.0",
    "sys_object_id": "1.3.6.1.2.1.1.2.0",
    "sys_name": "1.3.6.1.2.1.1.5.0",
    "if_number": "1.3.6.1.2.1.2.1.0",
}
ENT_CLASS = "1.3.6.1.2.1.47.1.1.1.1.5"
ENT_SERIAL = "1.3.6.1.2.1.47.1.1.1.1.11"
ENT_MODEL = "1.3.6.1.2.1.47.1.1.1.1.13"
ENT_VENDOR = "1.3.6.1.2.1.47.1.1.1.1.12"


@dataclass(frozen=True, slots=True)
class Proposal:
    address: str
    port: int
    credential_index: int
    sys_name: str
    sys_descr: str
    sys_object_id: str
    vendor: str
    profile: str
    model: str
    serial: str
    interfaces_count: int

    def public(self) -> dict[str, object]:
        """The proposal without any secret (the credential is named by its index)."""
        return asdict(self)


def expand_range(text: str) -> list[str]:
    """``10.0.0.0/24``, ``10.0.0.5-10.0.0.20`` or one address; bounded to MAX_ADDRESSES."""
    text = text.strip()
    try:
        if "-" in text:
            first_text, last_text = (part.strip() for part in text.split("-", 1))
            first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
            if first.version != last.version or int(last) < int(first):
                raise ValueError("the range must go up within one IP version")
            count = int(last) - int(first) + 1
            if count > MAX_ADDRESSES:
                raise ValueError(f"{count} addresses; at most {MAX_ADDRESSES} per sweep")
            return [str(ipaddress.ip_address(int(first) + i)) for i in range(count)]
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise CollectorConfigError(f"bad address range {text[:60]!r}: {exc}") from None
    if network.num_addresses > MAX_ADDRESSES:
        raise CollectorConfigError(f"{text}: {network.num_addresses} addresses; at most {MAX_ADDRESSES} per sweep")
    hosts = list(network.hosts()) or [network.network_address]
    return [str(h) for h in hosts]


def _text(value: Value | None) -> str:
    if value is None:
        return ""
    return device_text(value if isinstance(value, bytes | str) else str(value))


async def _probe(client: SnmpClient, address: str, port: int, credentials: list[SnmpCredential],
                 timeout_seconds: float, retries: int) -> Proposal | None:
    for index, cred in enumerate(credentials):
        target = client.target(address, port, cred, timeout_seconds, retries, max_repetitions=20)
        try:
            system = await target.get(list(SYSTEM.values()))
        except SnmpError:
            continue
        if not system:
            continue
        values = {name: system[oid].value if oid in system else None for name, oid in SYSTEM.items()}
        sys_object_id = _text(values["sys_object_id"])
        profile = vendor_profile_for(sys_object_id)
        model = serial = vendor = ""
        try:
            entity = await target.walk_columns([ENT_CLASS, ENT_MODEL, ENT_SERIAL, ENT_VENDOR], max_rows=500)
        except SnmpError:
            entity = {}
        chassis = [vb.oid.rsplit(".", 1)[1] for vb in entity.get(ENT_CLASS, []) if vb.value == 3]
        if chassis:
            index_text = chassis[0]
            by = {col: {vb.oid.rsplit(".", 1)[1]: vb.value for vb in rows} for col, rows in entity.items()}
            model = _text(by.get(ENT_MODEL, {}).get(index_text))
            serial = _text(by.get(ENT_SERIAL, {}).get(index_text))
            vendor = _text(by.get(ENT_VENDOR, {}).get(index_text))
        if_number = values["if_number"]
        return Proposal(
            address=address, port=port, credential_index=index,
            sys_name=_text(values["sys_name"]), sys_descr=_text(values["sys_descr"]),
            sys_object_id=sys_object_id, vendor=(profile.vendor if profile else "") or vendor,
            profile=profile.name if profile else "standard", model=model, serial=serial,
            interfaces_count=if_number if isinstance(if_number, int) else 0,
        )
    return None


async def discover(client: SnmpClient, addresses: list[str], credentials: list[SnmpCredential], port: int = 161,
                   timeout_seconds: float = 1.0, retries: int = 0, concurrency: int = 64) -> list[Proposal]:
    if not credentials:
        raise CollectorConfigError("discovery needs at least one SNMP credential")
    gate = asyncio.Semaphore(concurrency)

    async def one(address: str) -> Proposal | None:
        async with gate:
            return await _probe(client, address, port, credentials, timeout_seconds, retries)

    found = await asyncio.gather(*(one(a) for a in addresses))
    return [p for p in found if p is not None]
