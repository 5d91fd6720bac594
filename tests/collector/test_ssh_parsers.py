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
