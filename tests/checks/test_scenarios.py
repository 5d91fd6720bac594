"""Every scenario file under tests/scenarios/, replayed on the pure engine with controlled time."""

from __future__ import annotations

from pathlib import Path

import pytest
from vigil.checks.scenario import check_outcome, load_scenario, run_pure

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def test_the_required_scenarios_exist() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {
        "spike_shorter_than_for", "sustained_breach", "flapping", "gap_does_not_resolve",
        "restart_mid_incident", "maintenance_window", "router_down_50_behind", "disk_filling_forecast",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_on_the_pure_engine(path: Path) -> None:
    scenario = load_scenario(path.read_text(encoding="utf-8"), path.name)
    outcome = run_pure(scenario)
    assert check_outcome(scenario, outcome) == []
