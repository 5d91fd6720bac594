"""``vigil dashboards export`` and the customer sources of the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from vigil.dashboards.cli import main
from vigil.dashboards.customers import fetch_customers, parse_customers
from vigil.dashboards.errors import CustomerSourceError

from tests.dashboards.conftest import DashboardMetrics


def test_export_writes_provisioning_files_and_a_folder_per_customer(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_PG_PASSWORD", "must-not-be-written")
    target = tmp_path / "grafana"
    assert main(["export", str(target), "--customers", "acme,bravo=Bravo Bank", "--influx-auth", "token",
                 "--dashboards-path", "/var/lib/grafana/dashboards/vigil"]) == 0
    sources = yaml.safe_load((target / "provisioning/datasources/vigil.yaml").read_text())
    assert [d["uid"] for d in sources["datasources"]] == ["vigil-influxdb", "vigil-postgres"]
    assert sources["datasources"][0]["secureJsonData"] == {"httpHeaderValue1": "Token $VIGIL_INFLUX_TOKEN"}
    assert sources["datasources"][1]["secureJsonData"] == {"password": "$VIGIL_PG_PASSWORD"}
    provider = yaml.safe_load((target / "provisioning/dashboards/vigil.yaml").read_text())["providers"][0]
    assert provider["options"] == {"path": "/var/lib/grafana/dashboards/vigil", "foldersFromFilesStructure": True}
    folders = {p.name: sorted(f.name for f in p.iterdir()) for p in (target / "dashboards").iterdir()}
    assert folders["Bravo Bank (bravo)"] == sorted(f"vigil-{b}-bravo.json" for b in
                                                   ("collector", "customer", "host", "network", "sla", "ups"))
    assert "vigil-fleet.json" in folders["vigil — fleet"] and len(folders) == 3
    board = json.loads((target / "dashboards/acme (acme)/vigil-host-acme.json").read_text())
    assert board["uid"] == "vigil-host-acme" and board["schemaVersion"] == 41
    assert "must-not-be-written" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def test_export_twice_rewrites_nothing_and_keeps_foreign_files(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "grafana"
    assert main(["export", str(target), "--customers", "acme,bravo"]) == 0
    foreign = target / "dashboards" / "bravo (bravo)" / "my-own.json"
    foreign.write_text("{}")
    capsys.readouterr()
    assert main(["export", str(target), "--customers", "acme,bravo"]) == 0
    assert capsys.readouterr().out.startswith("0 files written")
    assert main(["export", str(target), "--customers", "acme"]) == 0  # bravo left: its vigil files go
    assert "6 removed" in capsys.readouterr().out
    assert foreign.read_text() == "{}" and not list((target / "dashboards" / "bravo (bravo)").glob("vigil-*"))


def test_export_into_a_file_is_refused_and_the_file_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    assert main(["export", str(target), "--customers", "acme"]) == 1
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(("args", "message"), [
    (["--customers", "Acme Corp"], "not a customer slug"),
    (["--customers", ","], "no customer given"),
    (["--customers", "acme", "--vigil-url", "http://127.0.0.1:9"], "not both"),
    ([], "--customers or --vigil-url"),
    (["--vigil-url", "http://127.0.0.1:9"], "--vigil-token"),
])
def test_bad_customer_arguments_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                 message: str) -> None:
    monkeypatch.delenv("VIGIL_API_TOKEN", raising=False)
    assert main(["export", str(tmp_path / "out"), *args]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_customers_parse_with_optional_names() -> None:
    assert [(c.slug, c.name) for c in parse_customers(" acme , bravo=Bravo Bank ")] == [
        ("acme", "acme"), ("bravo", "Bravo Bank")]


def test_customers_come_from_vigils_api(dashboard_metrics: DashboardMetrics, tmp_path: Path) -> None:
    customers = fetch_customers(dashboard_metrics.vigil_url, dashboard_metrics.admin_token)
    assert {(c.slug, c.name) for c in customers} == {("acme", "ACME 制造"), ("bravo", "Bravo Bank")}
    assert main(["export", str(tmp_path / "out"), "--vigil-url", dashboard_metrics.vigil_url,
                 "--vigil-token", dashboard_metrics.admin_token]) == 0
    assert (tmp_path / "out" / "dashboards" / "ACME 制造 (acme)" / "vigil-sla-acme.json").exists()
    with pytest.raises(CustomerSourceError, match="401"):
        fetch_customers(dashboard_metrics.vigil_url, "not-a-token")


def test_the_vigil_command_finds_the_dashboards_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    vigil = Path(sys.executable).parent / "vigil"
    result = subprocess.run([str(vigil), "dashboards", "export", str(tmp_path / "out"), "--customers", "acme"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "dashboards" / "acme (acme)" / "vigil-network-acme.json").exists()
