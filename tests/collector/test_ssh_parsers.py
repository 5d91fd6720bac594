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
