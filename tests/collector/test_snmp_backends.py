"""The lean v1/v2c backend against pysnmp on the same real agents, and its BER parser on garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vigil.agent.wire import Point
from vigil.collector.config import SnmpCommunityCredential
from vigil.collector.snmp.fastv2c import BerError, decode_oid, decode_response, encode_oid, encode_request

from tests.collector.snmp_run import poll_once, walk
from tests.services.snmpd import Snmpd
from tests.services.snmpsim import Snmpsim

STABLE = {"device_info", "device_entity", "device_cpu", "device_mem", "device_sensor", "pdu", "ups"}


def stable(points: list[Point]) -> dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, object]]:
    """Points that do not change between two polls a moment apart (no counters, no uptime)."""
    return {p.series_key(): p.fields for p in points if p.measurement in STABLE}


@pytest.mark.parametrize("version", ["1", "2c"])
def test_backends_walk_the_same_columns(snmpd: Snmpd, version: str) -> None:
    cred = SnmpCommunityCredential(version=version, community="public")  # type: ignore[arg-type]
    columns = ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.25.2.3.1.3", "1.3.6.1.2.1.1.9.1.3"]
    fast = walk(snmpd.port, cred, columns, backend="fast")
    reference = walk(snmpd.port, cred, columns, backend="pysnmp")
    for column in columns:
        assert [oid for oid, _ in fast[column]] == [oid for oid, _ in reference[column]]
    assert fast["1.3.6.1.2.1.2.2.1.2"] == reference["1.3.6.1.2.1.2.2.1.2"]


@pytest.mark.parametrize("name", ["huawei-s5720", "cisco-c3560", "juniper-mx960", "apc-pdu-8641", "eaton-ups"])
def test_backends_agree_on_vendor_recordings(snmpsim: Snmpsim, name: str) -> None:
    cred = SnmpCommunityCredential(community=name)
    fast = poll_once(snmpsim.port, cred, timeout_seconds=5, backend="fast")
    reference = poll_once(snmpsim.port, cred, timeout_seconds=5, backend="pysnmp")
    assert fast.vendor_profile == reference.vendor_profile
    assert stable(fast.points) == stable(reference.points)
    assert fast.varbinds == reference.varbinds


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.1.1.0", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5.67108873",
                                 "1.3.6.1.4.1.2636.3.1.13.1.8.9.1.0.0", "2.999.4294967295.1"])
def test_oid_round_trip(oid: str) -> None:
    encoded = encode_oid(oid)
    assert decode_oid(encoded[2:]) == oid


def test_request_is_well_formed_ber() -> None:
    packet = encode_request(1, b"public", 0xA5, 1234, ["1.3.6.1.2.1.2.2.1.2"], 0, 25)
    assert packet[0] == 0x30 and packet[1] == len(packet) - 2
    with pytest.raises(BerError):
        decode_response(packet)  # a request is not a response


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_escapes_as_anything_but_ber_error(data: bytes) -> None:
    try:
        decode_response(data)
    except BerError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(encode_request(1, b"x", 0xA0, 7, ["1.3.6.1"])) - 1))
def test_truncated_packets_are_ber_errors(cut: int) -> None:
    packet = encode_request(1, b"x", 0xA0, 7, ["1.3.6.1"])
    with pytest.raises(BerError):
        decode_response(packet[:cut])
