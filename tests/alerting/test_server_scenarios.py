"""Every scenario file, replayed through the server's alerting on both metric backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from vigil.checks.scenario import check_outcome, load_scenario
from vigil.server.metrics.base import MetricStore

from tests.alerting.replay import replay

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_through_the_server(path: Path, sessions: sessionmaker[Session], metric_store: MetricStore) -> None:
    scenario, outcome = replay(sessions, metric_store, load_scenario(path.read_text(encoding="utf-8"), path.name))
    assert check_outcome(scenario, outcome) == []
