"""Vendor profiles against snmpsim serving recordings of real devices (snmpsim-data).

Expected values are the raw values in each recording, read back with net-snmp's snmpget from
the same simulator, so the test checks our scaling and labelling, not our own reading.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.collector.config import SnmpCommunityCredential, SnmpV3Credential

from tests.collector.snmp_run import by_measurement, one, poll_once
from tests.services import snmpsim as sim_service
from tests.services.snmpsim import Snmpsim


def community(name: str) -> SnmpCommunityCredential:
    return SnmpCommunityCredential(community=name)


def snmpget(sim: Snmpsim, name: str, oid: str) -> str:
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", name, "-On", "-Oqv", "-Ot", "-t", "10", f"127.0.0.1:{sim.port}", oid],
        capture_output=True, text=True, env={**os.environ, "MIBS": ""}, check=True,
    ).stdout
    return out.strip().strip('"')


def assert_schema(points: list) -> None:  # type: ignore[type-arg]
    for point in points:
        spec = MEASUREMENTS[point.measurement]
        assert set(point.fields) <= set(spec.fields), (point.measurement, point.fields)
        assert set(point.tags) - {"device"} <= spec.tags, (point.measurement, point.tags)


def test_huawei_board_cpu_memory_temperature(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("huawei-s5720"), timeout_seconds=5)
    assert result.vendor_profile == "huawei"
    base = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"
    cpu = one(result.points, "device_cpu", unit="MPU Board 0")
    assert cpu.fields["util_percent"] == int(snmpget(snmpsim, "huawei-s5720", f"{base}.5.67108873")) == 38
    mem = one(result.points, "device_mem", unit="MPU Board 0")
    assert mem.fields["total_bytes"] == int(snmpget(snmpsim, "huawei-s5720", f"{base}.9.67108873"))
    assert mem.fields["used_percent"] == 7
    temp = one(result.points, "device_sensor", sensor="MPU Board 0", kind="temperature")
    assert temp.fields["temperature_celsius"] == 42
    # Boards without a CPU (power cards, fans) report 0 and are left out.
    assert len(by_measurement(result.points, "device_cpu")) == 1
    assert_schema(result.points)


def test_h3c_comware_entities(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("h3c-comware"), timeout_seconds=5)
    assert result.vendor_profile == "h3c"
    cpus = by_measurement(result.points, "device_cpu")
    assert cpus and all(0 <= float(p.fields["util_percent"]) <= 100 for p in cpus)
    assert not [p for p in by_measurement(result.points, "device_sensor")
                if p.fields.get("temperature_celsius") == 65535]  # "no sensor" is not a reading
    chassis = [p for p in by_measurement(result.points, "device_entity") if p.fields["class_code"] == 3]
    assert {p.fields["serial"] for p in chassis} == {"210235A0YVX18A00000B", "210235A0YVX18A00000K"}
    # Two chassis share one entPhysicalName: the index keeps their series apart.
    assert len({p.tags["entity"] for p in chassis}) == 2
    assert_schema(result.points)


def test_cisco_cpu_memory_environment(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("cisco-c3560"), timeout_seconds=5)
    assert result.vendor_profile == "cisco"
    assert one(result.points, "device_cpu", unit="1").fields["util_percent"] == 58
    processor = one(result.points, "device_mem", unit="Processor")
    used = int(snmpget(snmpsim, "cisco-c3560", "1.3.6.1.4.1.9.9.48.1.1.1.5.1"))
    free = int(snmpget(snmpsim, "cisco-c3560", "1.3.6.1.4.1.9.9.48.1.1.1.6.1"))
    assert processor.fields["used_bytes"] == used
    assert processor.fields["total_bytes"] == used + free
    temp = one(result.points, "device_sensor", kind="temperature")
    assert temp.fields["temperature_celsius"] == 61
    assert temp.fields["ok"] == 0  # the recording's sensor state is warning(2)
    assert one(result.points, "device_sensor", kind="fan").fields["ok"] == 1
    model = [p for p in by_measurement(result.points, "device_entity") if p.fields["class_code"] == 3]
    assert model[0].fields["model"] == "WS-C3560G-48TS-E" and model[0].fields["serial"] == "FOC1408Z61U"
    assert len(by_measurement(result.points, "interface")) == 57
    assert_schema(result.points)


def test_juniper_routing_engines(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("juniper-mx960"), timeout_seconds=5)
    assert result.vendor_profile == "juniper"
    assert one(result.points, "device_cpu", unit="Routing Engine 0").fields["util_percent"] == 54
    mem = one(result.points, "device_mem", unit="Routing Engine 0")
    assert mem.fields["used_percent"] == 10
    assert mem.fields["total_bytes"] == 16349 * 1024 * 1024
    assert_schema(result.points)


def test_ruijie_cpu_memory_and_gbk_location(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("ruijie-s5750"), timeout_seconds=5)
    assert result.vendor_profile == "ruijie"
    assert one(result.points, "device_cpu", unit="system").fields["util_percent"] == 39
    mem = one(result.points, "device_mem", unit="memory")
    assert mem.fields["total_bytes"] == 262144 * 1024
    assert mem.fields["used_bytes"] == 130012 * 1024
    assert one(result.points, "device_info").fields["sys_location"] == "中文"  # GBK bytes on the wire
    assert_schema(result.points)


def test_zte_cpu_carried_as_text(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("zte-zxr10-5250"), timeout_seconds=5)
    assert result.vendor_profile == "zte"
    assert one(result.points, "device_cpu", unit="system").fields["util_percent"] == 10.1
    assert len(by_measurement(result.points, "interface")) == 52
    assert_schema(result.points)


def test_apc_rack_pdu_load(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("apc-pdu-8641"), timeout_seconds=5)
    assert result.vendor_profile == "apc"
    raw = int(snmpget(snmpsim, "apc-pdu-8641", "1.3.6.1.4.1.318.1.1.12.2.3.1.1.2.1"))
    bank = one(result.points, "pdu", bank="1")
    assert bank.fields["load_amps"] == pytest.approx(raw / 10)
    assert bank.fields["ok"] == 1
    assert_schema(result.points)


def test_unknown_vendor_ups_falls_back_to_ups_mib(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("eaton-ups"), timeout_seconds=5)
    assert result.vendor_profile is None
    ups = one(result.points, "ups")
    assert ups.fields["battery_charge_percent"] == 100
    assert ups.fields["battery_runtime_seconds"] == 1092 * 60
    assert ups.fields["on_battery"] == 0 and ups.fields["battery_ok"] == 1
    assert ups.fields["output_voltage_volts"] == 220 and ups.fields["load_percent"] == 21
    assert_schema(result.points)


@pytest.mark.parametrize("name", ["huawei-s5720", "cisco-c3560", "apc-pdu-8641"])
def test_v3_authpriv_selects_the_recording_by_context(snmpsim: Snmpsim, name: str) -> None:
    cred = SnmpV3Credential(user=sim_service.V3_USER, auth_proto="sha", auth_key=sim_service.V3_AUTH_KEY,
                            priv_proto="aes", priv_key=sim_service.V3_PRIV_KEY, context=name)
    v3 = poll_once(snmpsim.port, cred, timeout_seconds=5)
    v2 = poll_once(snmpsim.port, community(name), timeout_seconds=5)
    assert v3.vendor_profile == v2.vendor_profile is not None
    assert one(v3.points, "device_info").fields == one(v2.points, "device_info").fields


def test_one_type_per_field_across_all_vendors(snmpsim: Snmpsim) -> None:
    """InfluxDB refuses a field whose type changes; vendors give INTEGERs, text and floats."""
    import asyncio

    from vigil.collector.config import CollectorConfig, DeviceConfig, SnmpSettings
    from vigil.collector.runner import Collector

    from tests.services.snmpsim import BUILT_RECORDINGS, RECORDINGS

    devices = tuple(DeviceConfig(name=name, address="127.0.0.1", snmp=SnmpSettings(
        credential=community(name), port=snmpsim.port, timeout_seconds=5))
        for name in (*RECORDINGS, *BUILT_RECORDINGS))
    points: list = []  # type: ignore[type-arg]

    async def two_cycles() -> None:
        collector = Collector(CollectorConfig(devices=devices), points.extend)
        try:
            await collector.run_once()
            await collector.run_once()
        finally:
            collector.close()

    asyncio.run(two_cycles())
    types: dict[tuple[str, str], set[str]] = {}
    for point in points:
        for name, value in point.fields.items():
            types.setdefault((point.measurement, name), set()).add(type(value).__name__)
    assert {key: kinds for key, kinds in types.items() if len(kinds) > 1} == {}
    assert types[("interface", "speed_bits_per_second")] == {"float"}
    assert types[("device_mem", "total_bytes")] == {"int"}


def test_entity_sensor_mib_fans_and_temperatures(snmpsim: Snmpsim) -> None:
    """A Palo Alto PA-5000 (no vendor profile here) reports sensors through ENTITY-SENSOR-MIB."""
    result = poll_once(snmpsim.port, community("paloalto-pa5000"), timeout_seconds=5)
    assert result.vendor_profile is None
    fan = one(result.points, "device_sensor", sensor="Fan #1 RPM")
    assert fan.tags["kind"] == "fan" and fan.fields == {"ok": 1, "fan_rpm": 4618.0}
    temp = one(result.points, "device_sensor", sensor="Temperature @ 10G Phys [U171]")
    assert temp.tags["kind"] == "temperature" and temp.fields["temperature_celsius"] == 23.0
    assert_schema(result.points)


def test_apc_smart_ups_on_line(snmpsim: Snmpsim) -> None:
    """Recording built from PowerNet-MIB (tests/fixtures/snmprec/README.md); values read back
    with net-snmp from the same simulator, so the test checks our units, not our reading."""
    name = "apc-smart-ups-3000"
    result = poll_once(snmpsim.port, community(name), timeout_seconds=5)
    assert result.vendor_profile == "apc"
    ups = one(result.points, "ups", source="apc")
    runtime_ticks = snmpget(snmpsim, name, "1.3.6.1.4.1.318.1.1.1.2.2.3.0")
    assert runtime_ticks == "342000"  # TimeTicks, hundredths of a second
    assert ups.fields == {
        "on_battery": 0, "battery_charge_percent": 100.0, "battery_temperature_celsius": 27.0,
        "battery_runtime_seconds": 3420.0, "battery_replace": 0, "input_voltage_volts": 231.0,
        "output_voltage_volts": 230.0, "load_percent": 37.0,
    }
    assert int(snmpget(snmpsim, name, "1.3.6.1.4.1.318.1.1.1.4.2.3.0")) == ups.fields["load_percent"]
    assert by_measurement(result.points, "pdu") == []
    assert_schema(result.points)


def test_apc_smart_ups_on_battery_needing_a_new_battery(snmpsim: Snmpsim) -> None:
    result = poll_once(snmpsim.port, community("apc-smart-ups-on-battery"), timeout_seconds=5)
    ups = one(result.points, "ups", source="apc")
    assert ups.fields["on_battery"] == 1 and ups.fields["battery_replace"] == 1
    assert ups.fields["battery_charge_percent"] == 64.0
    assert ups.fields["battery_runtime_seconds"] == 720.0  # 72000 ticks = 12 minutes
    assert ups.fields["input_voltage_volts"] == 0.0


def test_ruijie_sensors_of_a_real_n18010(snmpsim: Snmpsim) -> None:
    """A verbatim subset of snmpsim-data's Ruijie N18010 recording (tests/fixtures/snmprec):
    36 fans, 20 power bays (8 filled), 52 temperature rows of which 38 read 0 ("not supported",
    most also named ...":invalid")."""
    name = "ruijie-n18010-sensors"
    result = poll_once(snmpsim.port, community(name), timeout_seconds=5)
    assert result.vendor_profile == "ruijie"
    sensors = by_measurement(result.points, "device_sensor")
    temps = {p.tags["sensor"]: p.fields["temperature_celsius"] for p in sensors if p.tags["kind"] == "temperature"}
    assert len(temps) == 14 and temps["switch 1 M1"] == 38.0
    assert int(snmpget(snmpsim, name, "1.3.6.1.4.1.4881.1.1.10.2.1.1.23.1.3.1")) == 38
    # Two rows are named "switch 1 FE1"; the second reads 0 and is dropped, so the name stays plain.
    assert temps["switch 1 FE1"] == 43.0
    assert not [t for t in temps if "invalid" in t]
    fans = [p for p in sensors if p.tags["kind"] == "fan"]
    assert len(fans) == 36 and all(p.fields == {"ok": 1} for p in fans)
    power = {p.tags["sensor"]: p.fields for p in sensors if p.tags["kind"] == "power"}
    assert sorted(power) == sorted(f"Power supply {n}" for n in (1, 2, 3, 4, 11, 12, 13, 14))
    assert all(fields == {"ok": 1} for fields in power.values())
    assert_schema(result.points)


def test_ruijie_failing_fan_and_empty_power_bay(snmpsim: Snmpsim) -> None:
    """Recording built from RUIJIE-SYSTEM-MIB (tests/fixtures/snmprec): states no real recording shows."""
    result = poll_once(snmpsim.port, community("ruijie-s5750-env"), timeout_seconds=5)
    assert result.vendor_profile == "ruijie"
    sensors = {(p.tags["kind"], p.tags["sensor"]): p.fields for p in by_measurement(result.points, "device_sensor")}
    assert sensors == {
        ("temperature", "number 1:Chassis"): {"temperature_celsius": 41.0},
        ("fan", "FAN 1"): {"ok": 1},
        ("fan", "FAN 2"): {"ok": 0},  # powerbutabnormal(5)
        ("power", "Power 1"): {"ok": 1},  # "Power 2" is noexist(1): an empty bay, left out
    }
    assert_schema(result.points)


def test_ruijie_real_recording_reports_its_unsupported_temperature_as_nothing(snmpsim: Snmpsim) -> None:
    """The real S5750 answers ruijieSystemTemperatureCurrent = 0 ("not supported" per the MIB)."""
    assert snmpget(snmpsim, "ruijie-s5750", "1.3.6.1.4.1.4881.1.1.10.2.1.1.23.1.3.1") == "0"
    result = poll_once(snmpsim.port, community("ruijie-s5750"), timeout_seconds=5)
    assert [p for p in by_measurement(result.points, "device_sensor") if p.tags.get("kind") == "temperature"] == []


def test_zte_memory_per_unit(snmpsim: Snmpsim) -> None:
    """Recording built from ZXR10-MIB zxr10SystemUnitTable (tests/fixtures/snmprec)."""
    name = "zte-zxr10-t600-units"
    result = poll_once(snmpsim.port, community(name), timeout_seconds=5)
    assert result.vendor_profile == "zte"
    mem = one(result.points, "device_mem", unit="1")
    assert mem.fields == {"total_bytes": 1073741824, "used_bytes": 386547056,
                          "used_percent": pytest.approx(386547056 / 1073741824 * 100)}
    assert int(snmpget(snmpsim, name, "1.3.6.1.4.1.3902.3.3.1.1.4.1")) == mem.fields["used_bytes"]
    # Unit 2 is shut down (zxr10SystemUnitRunStatus down(0)): no memory series for it.
    assert [p.tags["unit"] for p in by_measurement(result.points, "device_mem")] == ["1"]
    assert_schema(result.points)
