"""One collector cycle over real peers: health point, late devices, host-key reports."""

from __future__ import annotations

import asyncio

from vigil.agent.wire import Point
from vigil.collector.config import (
    CollectorConfig,
    DeviceConfig,
    PingSettings,
    SnmpCommunityCredential,
    SnmpSettings,
    SshSettings,
)
from vigil.collector.runner import Collector, HostKeyEvent

from tests.services.ports import free_udp_port
from tests.services.snmpd import Snmpd
from tests.services.sshd import Sshd


def run_cycle(config: CollectorConfig, events: list[HostKeyEvent] | None = None) -> tuple[list[Point], Collector]:
    points: list[Point] = []

    async def once() -> Collector:
        collector = Collector(config, points.extend, on_host_key=(events.append if events is not None else None))
        try:
            await collector.run_once()
        finally:
            collector.close()
        return collector

    return points, asyncio.run(once())


def test_cycle_reports_health_late_devices_and_errors(snmpd: Snmpd, sshd: Sshd) -> None:
    snmp = SnmpCommunityCredential(community="public")
    devices = (
        DeviceConfig(name="live", address="127.0.0.1", snmp=SnmpSettings(credential=snmp, port=snmpd.port),
                     ping=PingSettings(icmp=False, tcp_ports=(sshd.port,))),
        # Never answers, and its retries outlast the cycle's deadline (90% of 2 s): late.
        DeviceConfig(name="late", address="127.0.0.1", snmp=SnmpSettings(
            credential=snmp, port=free_udp_port(), timeout_seconds=1.0, retries=2)),
        DeviceConfig(name="new-key", address="127.0.0.1", ssh=SshSettings(
            user=sshd.user, private_key=sshd.client_key, port=sshd.port, timeout_seconds=5)),
    )
    events: list[HostKeyEvent] = []
    points, collector = run_cycle(CollectorConfig(devices=devices, interval_seconds=2.0), events)
    report = collector.last_report
    assert report is not None
    assert report.late == 1 and report.errors["late"] == 1
    assert report.errors["ssh_hostkey_unknown"] == 1
    assert report.profiles == {"live": "standard"}
    health = [p for p in points if p.measurement == "collector"]
    assert len(health) == 1 and health[0].tags == {}
    assert health[0].fields["heartbeat"] == 1 and health[0].fields["devices_count"] == 3
    assert health[0].fields["devices_late_count"] == 1 and health[0].fields["errors_hostkey_count"] == 1
    assert [(e.device, e.status) for e in events] == [("new-key", "unknown")]
    assert f"{events[0].key_type} {events[0].key_base64}" == sshd.host_key_line
    tcp = [p for p in points if p.measurement == "ping" and p.tags["device"] == "live"]
    assert tcp and tcp[0].fields["up"] == 1 and tcp[0].tags["method"] == f"tcp:{sshd.port}"
    ssh = [p for p in points if p.measurement == "ssh"]
    assert ssh[0].fields == {"up": 0, "hostkey_ok": 0}
    assert any(p.measurement == "interface" and p.tags["device"] == "live" for p in points)


def test_device_list_changes_keep_state_of_kept_devices(snmpd: Snmpd) -> None:
    snmp = SnmpSettings(credential=SnmpCommunityCredential(community="public"), port=snmpd.port)
    a = DeviceConfig(name="a", address="127.0.0.1", snmp=snmp)
    b = DeviceConfig(name="b", address="127.0.0.1", snmp=snmp)
    points: list[Point] = []

    async def cycles() -> None:
        collector = Collector(CollectorConfig(devices=(a, b)), points.extend)
        try:
            await collector.run_once()
            collector.set_devices((a,))
            points.clear()
            await collector.run_once()
        finally:
            collector.close()

    asyncio.run(cycles())
    assert {p.tags.get("device") for p in points if p.measurement != "collector"} == {"a"}
    lo = [p for p in points if p.measurement == "interface" and p.tags["interface"] == "lo"]
    assert "in_bytes_per_second" in lo[0].fields  # "a" kept its counter samples
