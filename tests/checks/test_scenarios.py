"""Every scenario file under tests/scenarios/, replayed on the pure engine with controlled time."""

from __future__ import annotations

from pathlib import Path

import pytest
from vigil.checks.errors import ScenarioError
from vigil.checks.scenario import check_outcome, expand_values, load_scenario, run_pure

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


def test_series_notation() -> None:
    assert expand_values("1+2x3 5x1 _ _x2 -1-1x1 down true") == [
        1, 3, 5, 7, 5, 5, None, None, None, -1, -2, "down", True,
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: [", "not valid YAML"),
        ("- 1", "a scenario is a mapping"),
        ("name: x\nevaluation_interval: 30s\nduration: 1m\ndevices: []\nseries: []\nexpect: {}", "give rules"),
        ("name: x\nevaluation_interval: soon\nduration: 1m\ndefault_rules: [cpu_high]\ndevices: []\n"
         "series: []\nexpect: {}", "evaluation_interval"),
        ("name: x\nevaluation_interval: 30s\nduration: 1m\ndefault_rules: [cpu_high]\ndevices: []\n"
         "series: []\nexpect: {}\nextra: 1", "extra"),
    ],
)
def test_bad_scenarios(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text, "bad.yaml")
    assert fragment in str(caught.value) and "bad.yaml" in str(caught.value)


def test_a_failing_expectation_is_reported() -> None:
    scenario = load_scenario(SCENARIOS[0].read_text(encoding="utf-8"))
    wrong = scenario.model_copy(update={"expect": scenario.expect.model_copy(update={"tickets": 7})})
    assert any("expected 7 tickets" in p for p in check_outcome(wrong, run_pure(wrong)))
