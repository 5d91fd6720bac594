"""Every SSH parser on its captured real outputs (tests/fixtures/<parser>/<case>/input.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.collector.errors import ParseError
from vigil.collector.ssh.parsers import registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def cases() -> list[tuple[str, Path]]:
    return [(name, case) for name in sorted(registry()) for case in sorted((FIXTURES / name).glob("*/"))]


def test_every_parser_has_a_captured_case_with_its_source() -> None:
    for name in registry():
        found = list((FIXTURES / name).glob("*/input.txt"))
        assert found, f"parser {name} has no captured output under tests/fixtures/{name}/"
        for path in found:
            assert (path.parent / "SOURCE.md").exists(), path


@pytest.mark.parametrize(("name", "case"), cases(), ids=[f"{n}/{c.name}" for n, c in cases()])
def test_parser_reads_its_captured_output(name: str, case: Path) -> None:
    readings = registry()[name].parse((case / "input.txt").read_text())
    assert readings
    for reading in readings:
        spec = MEASUREMENTS[reading.measurement]
        assert set(reading.fields) <= set(spec.fields), (name, reading.fields)
        assert set(reading.tags) <= spec.tags, (name, reading.tags)


def test_known_values() -> None:
    cpu = registry()["cisco_ios_show_processes_cpu"].parse(
        (FIXTURES / "cisco_ios_show_processes_cpu/ntc_asr1000/input.txt").read_text())
    assert cpu[0].fields == {"util_percent": 0}
    device = registry()["huawei_vrp_display_device"].parse(
        (FIXTURES / "huawei_vrp_display_device/ntc_ce12808/input.txt").read_text())
    assert len(device) == 23 and all(r.fields["ok"] == 1 for r in device)
    assert {r.tags["component"] for r in device} >= {"9 CE-MPUA-S", "PWR1 PHD-3000WA", "FAN6 FAN-600A-B"}
    df = registry()["linux_df"].parse((FIXTURES / "linux_df/debian12_host/input.txt").read_text())
    root = next(r for r in df if r.tags["path"] == "/")
    assert root.fields["total_bytes"] == 264212084 * 1024


@pytest.mark.parametrize("name", sorted(registry()))
@pytest.mark.parametrize("garbage", ["", "\x00\xff garbage \x1b[31m", "Filesystem\n" + "x " * 5000])
def test_garbage_is_a_parse_error_or_nothing(name: str, garbage: str) -> None:
    try:
        readings = registry()[name].parse(garbage)
    except ParseError:
        return
    assert isinstance(readings, list)


def test_huawei_and_comware_known_values() -> None:
    def parsed(name: str, case: str) -> list:  # type: ignore[type-arg]
        return registry()[name].parse((FIXTURES / name / case / "input.txt").read_text())

    assert parsed("huawei_vrp_display_cpu_usage", "napalm_docstring")[0].fields == {"util_percent": 28.0}
    mem = parsed("huawei_vrp_display_memory_usage", "napalm_docstring")[0].fields
    assert mem == {"total_bytes": 1598029824, "used_bytes": 188593436, "used_percent": 11.0}
    ne9k = {r.tags["severity"]: r.fields["active_count"] for r in parsed("huawei_vrp_display_alarm", "ne9k_active")}
    assert ne9k == {"critical": 0, "major": 7, "minor": 0, "warning": 0}
    ce = {r.tags["severity"]: r.fields["active_count"] for r in parsed("huawei_vrp_display_alarm", "ce_doc_example")}
    assert ce == {"critical": 0, "major": 0, "minor": 1, "warning": 0}
    manuinfo = parsed("h3c_comware_display_device_manuinfo", "ntc_5930")
    assert [(r.tags["entity"], r.fields["serial"]) for r in manuinfo] == [
        ("Slot 1", "CN43GG2001"), ("Fan 1", "CN43GG2002"), ("Fan 2", "CN43GG2003"), ("Power 2", "CN43GG2004")]


def test_no_alarm_gives_zero_counts() -> None:
    readings = registry()["huawei_vrp_display_alarm"].parse("Info: No alarm information.\n")
    assert {r.fields["active_count"] for r in readings} == {0} and len(readings) == 4


def test_memory_used_above_total_is_refused() -> None:
    with pytest.raises(ParseError):
        registry()["huawei_vrp_display_memory_usage"].parse(
            "System Total Memory Is: 100 bytes\nTotal Memory Used Is: 200 bytes\n")


def test_comware_cpu_and_memory_known_values() -> None:
    def parsed(name: str, case: str) -> list:  # type: ignore[type-arg]
        return registry()[name].parse((FIXTURES / name / case / "input.txt").read_text())

    cpu = {c: [(r.tags["unit"], r.fields["util_percent"]) for r in parsed("h3c_comware_display_cpu_usage", c)]
           for c in ("opstoolkit_s10508x", "opstoolkit_vsr1000", "opstoolkit_vfw1000")}
    assert cpu == {"opstoolkit_s10508x": [("Slot 1 CPU 0", 0.0)], "opstoolkit_vsr1000": [("system", 1.0)],
                   "opstoolkit_vfw1000": [("system", 24.0)]}
    mem = parsed("h3c_comware_display_memory", "opstoolkit_vfw1000")
    assert [(r.tags["unit"], r.fields) for r in mem] == [
        ("Slot 0", {"total_bytes": 8062308 * 1024, "used_bytes": 4318124 * 1024, "used_percent": 53.0})]


def test_comware_several_slots() -> None:
    """Two real blocks (the S10508X's and the VSR's) joined as an IRF or chassis prints them."""
    cpu = "\n".join((FIXTURES / "h3c_comware_display_cpu_usage" / c / "input.txt").read_text().replace(
        "Unit", "Slot 2 CPU 0") for c in ("opstoolkit_s10508x", "opstoolkit_vsr1000"))
    readings = registry()["h3c_comware_display_cpu_usage"].parse(cpu)
    assert [(r.tags["unit"], r.fields["util_percent"]) for r in readings] == [("Slot 1 CPU 0", 0.0),
                                                                              ("Slot 2 CPU 0", 1.0)]
    vsr = (FIXTURES / "h3c_comware_display_memory/opstoolkit_vsr1000/input.txt").read_text()
    both = vsr + vsr.split("\n", 1)[1].replace("Slot 0:", "Chassis 2 Slot 1:")
    readings = registry()["h3c_comware_display_memory"].parse(both)
    assert [r.tags["unit"] for r in readings] == ["Slot 0", "Chassis 2 Slot 1"]


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("h3c_comware_display_cpu_usage", "Slot 1 CPU 0 CPU usage:\n  5% in last 5 seconds\n", "one-minute"),
    ("h3c_comware_display_cpu_usage", "Unit CPU usage:\n 250% in last 1 minute\n", "not a percentage"),
    ("h3c_comware_display_memory", "System Total Memory(bytes): 431869088\n", "measured in KB"),
    ("h3c_comware_display_memory", "Memory statistics are measured in KB:\nSlot 1:\n"
     "Mem: 100 200 0 0 0 0 10.0%\n", "inconsistent"),
    ("linux_systemd_failed", "System has not been booted with systemd as init system (PID 1). Can't operate.\n",
     "unexpected line"),
])
def test_unreadable_output_is_a_clear_parse_error(name: str, text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        registry()[name].parse(text)


def test_systemd_failed_units_with_hostile_names_are_bounded() -> None:
    """Built from the real Garden Linux capture's line shape: escaped names (as systemd writes
    them), a name with terminal escapes, an over-long name, and far more units than are kept."""
    rows = ["dev-disk-by\\x2did-coreos\\x2dboot\\x2ddisk.device loaded failed failed /dev/disk/by-id/x",
            "evil\x1b[31mred.service loaded failed failed \x1b]0;title\x07",
            "_all loaded failed failed pretends to be the total",
            "x" * 500 + ".service not-found failed failed long"]
    rows += [f"unit{i}.service loaded failed failed filler" for i in range(200)]
    readings = registry()["linux_systemd_failed"].parse("\n".join(rows) + "\n")
    total = [r for r in readings if r.tags["unit"] == "_all"]
    assert total == [readings[0]] and readings[0].fields == {"failed_count": 204}
    units = [r.tags["unit"] for r in readings[1:]]
    assert len(units) == 50 and all(len(u) <= 64 and "\x1b" not in u for u in units)
    assert units[0] == "dev-disk-by\\x2did-coreos\\x2dboot\\x2ddisk.device"
    assert units[1] == "evil [31mred.service"


@pytest.mark.parametrize("text", [
    "",  # --no-legend: nothing at all
    # The console layout with nothing failed: the legend of the real systemd#3335 capture, 0 units.
    "UNIT LOAD ACTIVE SUB DESCRIPTION\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n"
    "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n"
    "SUB    = The low-level unit activation state, values depend on unit type.\n\n"
    "0 loaded units listed. Pass --all to see loaded but inactive units, too.\n"
    "To show all installed unit files use 'systemctl list-unit-files'.\n",
])
def test_systemd_none_failed_reads_zero(text: str) -> None:
    readings = registry()["linux_systemd_failed"].parse(text)
    assert [(r.tags, r.fields) for r in readings] == [({"unit": "_all"}, {"failed_count": 0})]
