"""``vigil dashboards provision`` against a stand-in for Grafana's HTTP API.

No Grafana server can run on these machines, so these tests talk to ``fake_grafana.py``: a real
HTTP server in a thread on 127.0.0.1 that records every request and answers as Grafana's HTTP
API documents (folders, folder permissions, data sources, dashboards/db, teams). The client is
the real ``grafana-client``; nothing of vigil is replaced.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from vigil.dashboards.catalog import FLEET_FOLDER_UID, Customer, build_catalog, folder_uid
from vigil.dashboards.cli import main
from vigil.dashboards.datasources import InfluxSettings, PostgresSettings, influx_definition, postgres_definition
from vigil.dashboards.errors import GrafanaUnavailable, ProvisionError
from vigil.dashboards.provision import Provisioner, connect

from tests.dashboards.fake_grafana import FakeGrafana, start_fake_grafana

TOKEN = "glsa_test_token"
CUSTOMERS = [Customer("acme", "ACME 制造"), Customer("bravo", "Bravo Bank")]


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    fake = start_fake_grafana(TOKEN)
    try:
        yield fake
    finally:
        fake.stop()


def _sources() -> list[tuple[dict[str, object], dict[str, str]]]:
    influx = InfluxSettings(url="http://influx.example:8086", token=SecretStr("influx-secret"))
    postgres = PostgresSettings(host="db.example:5432", password=SecretStr("pg-secret"))
    return [influx_definition(influx), postgres_definition(postgres)]  # type: ignore[list-item]


def _provision(grafana: FakeGrafana, customers: list[Customer] = CUSTOMERS) -> list[str]:
    provisioner = Provisioner(connect(grafana.url, TOKEN))
    return provisioner.run(_sources(), build_catalog(customers, staff_team="vigil-staff")).writes  # type: ignore[arg-type]


def test_first_run_creates_everything_and_the_second_writes_nothing(grafana: FakeGrafana) -> None:
    writes = _provision(grafana)
    state = grafana.state
    assert set(state.datasources) == {"vigil-influxdb", "vigil-postgres"}
    assert state.secrets["vigil-postgres"] == {"password": "pg-secret"}
    assert state.secrets["vigil-influxdb"] == {"httpHeaderValue1": "Token influx-secret"}
    assert set(state.teams.values()) == {"customer-acme", "customer-bravo", "vigil-staff"}
    assert set(state.folders) == {FLEET_FOLDER_UID, folder_uid("acme"), folder_uid("bravo")}
    assert len(state.dashboards) == 7 + 6 + 6
    assert state.dashboard_folders["vigil-host-acme"] == folder_uid("acme")
    assert state.dashboard_folders["vigil-fleet"] == FLEET_FOLDER_UID
    team_ids = {name: team_id for team_id, name in state.teams.items()}
    acme = {(p["teamId"], p["role"], p["permission"]) for p in state.permissions[folder_uid("acme")]}
    assert acme == {(team_ids["customer-acme"], "", 1), (0, "Editor", 2)}  # org Viewers lose access
    assert len(writes) == len(state.writes)

    before = len(state.requests)
    assert _provision(grafana) == []
    second = state.requests[before:]
    assert second and all(r.method == "GET" for r in second)


def test_a_changed_dashboard_or_permission_is_put_back_and_nothing_else(grafana: FakeGrafana) -> None:
    _provision(grafana)
    state = grafana.state
    state.dashboards["vigil-ups-bravo"]["title"] = "edited by hand"
    state.permissions[folder_uid("acme")].append(
        {"teamId": 0, "userId": 0, "role": "Viewer", "permission": 1, "inherited": False})
    before = len(state.requests)
    writes = _provision(grafana)
    assert writes == ["set permissions of folder vigil-folder-acme", "updated dashboard vigil-ups-bravo"]
    assert [r.path for r in state.requests[before:] if r.method != "GET"] == [
        "/api/folders/vigil-folder-acme/permissions", "/api/dashboards/db"]
    assert state.dashboards["vigil-ups-bravo"]["title"] == "UPS and power · bravo"


def test_a_new_customer_adds_its_team_folder_and_dashboards_only(grafana: FakeGrafana) -> None:
    _provision(grafana, CUSTOMERS[:1])
    writes = _provision(grafana)
    assert "created team customer-bravo" in writes and "created folder vigil-folder-bravo" in writes
    assert all("bravo" in w for w in writes), writes


def test_the_cli_provisions_with_customers_from_the_command_line(grafana: FakeGrafana,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "--grafana", grafana.url, "--token", TOKEN, "--customers", "acme"]) == 0
    assert "changes" in capsys.readouterr().out
    assert main(["provision", "--grafana", grafana.url, "--token", TOKEN, "--customers", "acme"]) == 0
    assert capsys.readouterr().out.startswith("0 changes")


def test_a_refused_token_is_a_clear_error_and_changes_nothing(grafana: FakeGrafana,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "--grafana", grafana.url, "--token", "wrong", "--customers", "acme"]) == 1
    assert "Grafana refused" in capsys.readouterr().err
    assert grafana.state.writes == [] and grafana.state.dashboards == {}


def test_grafana_errors_are_translated(grafana: FakeGrafana) -> None:
    grafana.state.fail["/api/dashboards/db"] = 500
    with pytest.raises(GrafanaUnavailable, match="save dashboard"):
        _provision(grafana)
    grafana.state.fail = {"/api/folders": 403}
    with pytest.raises(ProvisionError, match="403"):
        _provision(grafana)


def test_an_unreachable_grafana_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GrafanaUnavailable, match="cannot reach"):
        Provisioner(connect(f"http://127.0.0.1:{port}", TOKEN, timeout_seconds=2)).run(_sources(), [])  # type: ignore[arg-type]


def test_a_bad_grafana_url_is_refused_before_any_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "--grafana", "ftp://x", "--token", TOKEN, "--customers", "acme"]) == 1
    assert "http:// or https://" in capsys.readouterr().err


def test_a_changed_data_source_is_updated_keeping_grafanas_own_settings(grafana: FakeGrafana) -> None:
    _provision(grafana)
    stored = grafana.state.datasources["vigil-influxdb"]
    stored["url"] = "http://moved:8086"
    stored["jsonData"]["timeInterval"] = "10s"  # set by an admin in Grafana: kept
    assert _provision(grafana) == ["updated data source vigil-influxdb"]
    stored = grafana.state.datasources["vigil-influxdb"]
    assert stored["url"] == "http://influx.example:8086" and stored["jsonData"]["timeInterval"] == "10s"
    provisioner = Provisioner(connect(grafana.url, TOKEN), update_secrets=True)
    writes = provisioner.run(_sources(), []).writes  # type: ignore[arg-type]
    assert writes == ["updated data source vigil-influxdb", "updated data source vigil-postgres"]
