"""The dashboard JSON is valid for Grafana 11.6 (schemaVersion 41): it decodes through the
foundation SDK's typed model of that schema without losing or changing anything, it has the
keys and types Grafana requires, every panel has a unit, every variable a query uses is defined,
and thresholds are those of the default rules (read here from checks/defaults/*.yaml directly).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import dashboard as model
from vigil.dashboards.boards import SCHEMA_VERSION, BoardContext, board_uid, load, names, render
from vigil.dashboards.errors import RulesFileError
from vigil.dashboards.queries import INFLUX_UID, POSTGRES_UID
from vigil.dashboards.thresholds import parse_rules

BOARDS = [render(load(n), BoardContext(c))
          for n in names() for c in (None, "acme") if c is None or not load(n).fleet_only]
IDS = [b["uid"] for b in BOARDS]
PANEL_TYPES = {"timeseries", "stat", "table", "bargauge"}
BUILTIN = {"timeFilter", "__interval", "__timeFilter", "col"}
RULES_DIR = Path(__file__).resolve().parents[2] / "checks" / "defaults"


def _strip_defaults_added_by_decoding(original: Any, decoded: Any) -> Any:
    """Drop keys the SDK's decoder fills with defaults (fieldConfig.defaults.custom) when absent before."""
    if isinstance(original, dict) and isinstance(decoded, dict):
        return {k: _strip_defaults_added_by_decoding(original.get(k), v) for k, v in decoded.items() if k in original}
    if isinstance(original, list) and isinstance(decoded, list):
        return [_strip_defaults_added_by_decoding(o, d) for o, d in zip(original, decoded, strict=True)]
    return decoded


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_decodes_through_the_sdk_schema_model_unchanged(board: dict[str, Any]) -> None:
    register_default_plugins()
    decoded = json.loads(json.dumps(model.Dashboard.from_json(board), cls=JSONEncoder))
    assert _strip_defaults_added_by_decoding(board, decoded) == board
    assert set(board) <= set(decoded)


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_has_the_keys_and_types_grafana_requires(board: dict[str, Any]) -> None:
    assert board["schemaVersion"] == SCHEMA_VERSION == 41
    assert isinstance(board["title"], str) and board["title"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", board["uid"])
    assert board["time"] == {"from": "now-6h", "to": "now"}
    assert isinstance(board["tags"], list) and all(isinstance(t, str) for t in board["tags"])
    names_defined = [v["name"] for v in board["templating"]["list"]]
    assert len(names_defined) == len(set(names_defined))
    for variable in board["templating"]["list"]:
        assert variable["type"] in {"query", "custom"} and isinstance(variable["query"], str)
    ids = [p["id"] for p in board["panels"]]
    assert ids == list(range(1, len(ids) + 1))
    for panel in board["panels"]:
        assert panel["type"] in PANEL_TYPES
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("x", "y", "w", "h")) and grid["x"] + grid["w"] <= 24
        assert panel["datasource"]["uid"] in {INFLUX_UID, POSTGRES_UID}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            text = target.get("query") or target["rawSql"]
            used = {m.group(1) or m.group(2) for m in re.finditer(r"\$\{(\w+)\}|\$(\w+)", text)}
            assert used - BUILTIN <= set(names_defined), f"{panel['title']}: undefined variables in {text}"
        assert "$timeFilter" in json.dumps(panel["targets"]) or panel["datasource"]["uid"] == POSTGRES_UID
    # No panel overlaps another.
    cells = set()
    for panel in board["panels"]:
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps"
                cells.add((x, y))


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_every_panel_has_a_unit(board: dict[str, Any]) -> None:
    for panel in board["panels"]:
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]


def _threshold_rules() -> dict[tuple[str, str], list[dict[str, Any]]]:
    rules: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            if rule.get("type") == "threshold" and rule.get("enabled", True):
                rules.setdefault((rule["measurement"], rule["field"]), []).append(rule)
            if rule.get("type") == "availability" and rule.get("rtt_seconds_threshold") is not None:
                rules.setdefault(("ping", "rtt_seconds"), []).append(
                    {"threshold": rule["rtt_seconds_threshold"], "op": ">"})
    return rules


def test_thresholds_are_the_default_rules() -> None:
    rules = _threshold_rules()
    checked = set()
    for board in BOARDS:
        for panel in board["panels"]:
            text = " ".join(t.get("query", "") for t in panel["targets"])
            selected = re.findall(r'\w+\("(\w+)"\) AS "\w+"[^"]*FROM "(\w+)"', text)
            if len(selected) != 1 or len(panel["targets"]) != 1:
                continue
            field, measurement = selected[0]
            if (measurement, field) not in rules or "FROM (" in text:
                continue
            steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            values = {s["value"]: s["color"] for s in steps}
            lowest = min(rules[(measurement, field)], key=lambda r: r["threshold"])
            below = lowest.get("op", ">") in ("<", "<=")
            assert values.get(float(lowest["threshold"])) == ("orange" if below else "red"), (
                f"{board['uid']} {panel['title']}: {steps}")
            checked.add((measurement, field))
    # Every threshold rule on a field the dashboards show is coloured somewhere.
    assert checked >= {("cpu", "util_percent"), ("mem", "used_percent"), ("disk", "used_percent"),
                       ("interface", "in_util_percent"), ("device_cpu", "util_percent"),
                       ("device_sensor", "temperature_celsius"), ("ups", "battery_charge_percent"),
                       ("ups", "load_percent"), ("ping", "rtt_seconds")}


def test_customer_folder_boards_pin_the_customer_and_hide_it() -> None:
    board = render(load("network"), BoardContext("acme"))
    customer = board["templating"]["list"][0]
    assert customer["name"] == "customer" and customer["query"] == "acme" and customer["hide"] == 2
    assert customer["includeAll"] is False and customer["allowCustomValue"] is False
    assert board["uid"] == "vigil-network-acme" and "customer:acme" in board["tags"]


def test_long_customer_slugs_still_give_grafana_uids() -> None:
    uid = board_uid("network", "a" * 63)
    assert len(uid) <= 40 and uid != board_uid("network", "a" * 62)


def test_a_broken_rule_file_is_a_clear_error() -> None:
    with pytest.raises(RulesFileError, match="not valid YAML"):
        parse_rules("rules: [", "bad.yaml")
    with pytest.raises(RulesFileError, match="cpu_high.threshold"):
        parse_rules("rules:\n  - {name: cpu_high, type: threshold, measurement: cpu, field: x, threshold: high}",
                    "bad.yaml")
    with pytest.raises(RulesFileError, match="'rules' list"):
        parse_rules("- 1", "bad.yaml")


def test_every_influxql_query_names_only_schema_measurements_and_fields() -> None:
    from vigil.agent.schema import MEASUREMENTS

    for board in BOARDS:
        for panel in board["panels"]:
            for target in panel["targets"]:
                text = target.get("query")
                if text is None:
                    continue
                measurements = set(re.findall(r'FROM "(\w+)"', text))
                fields = set(re.findall(r'\w+\("(\w+)"\)', text))
                assert measurements and measurements <= set(MEASUREMENTS), text
                known = {f for m in measurements for f in MEASUREMENTS[m].fields}
                inner_aliases = set(re.findall(r'AS "(\w+)"', text))
                assert fields <= known | inner_aliases, f"{panel['title']}: {fields - known}"


def test_a_query_against_a_field_the_schema_lacks_fails_at_build() -> None:
    from vigil.dashboards.queries import SchemaMismatch, Scope, select

    with pytest.raises(SchemaMismatch, match="unknown fields"):
        select("cpu", ["busy_percent"], Scope(("host",)))
    with pytest.raises(SchemaMismatch, match="unknown measurement"):
        select("cpus", ["util_percent"], Scope(("host",)))
    with pytest.raises(SchemaMismatch, match="tags"):
        select("cpu", ["util_percent"], Scope(("host",)), by=("vlan",))
