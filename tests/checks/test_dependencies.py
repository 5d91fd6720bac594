"""Dependency resolution: root causes and symptoms from parent links and down devices."""

from __future__ import annotations

from vigil.checks.dependencies import resolve


def test_router_down_makes_the_devices_behind_it_symptoms() -> None:
    parents = {f"pc{i}": ["router"] for i in range(50)}
    result = resolve(parents, down={"router", *parents}, alerting=set(parents))
    assert result.roots == {"router"}
    assert set(result.symptoms) == set(parents) and set(result.symptoms.values()) == {"router"}


def test_chain_collector_router_devices_points_at_the_top() -> None:
    parents = {"router": ["collector"], "sw": ["router"], "pc": ["sw"]}
    result = resolve(parents, down={"collector", "router", "sw", "pc"}, alerting={"pc"})
    assert result.roots == {"collector"}
    assert result.symptoms == {"router": "collector", "sw": "collector", "pc": "collector"}


def test_redundant_uplinks_cut_nothing_off_while_one_is_up() -> None:
    parents = {"server": ["sw-a", "sw-b"]}
    one = resolve(parents, down={"sw-a", "server"}, alerting={"server"})
    assert one.symptoms == {} and one.roots == {"sw-a", "server"}
    both = resolve(parents, down={"sw-a", "sw-b", "server"}, alerting={"server"})
    assert both.symptoms == {"server": "sw-a"} and both.roots == {"sw-a", "sw-b"}


def test_alerts_of_an_up_device_behind_a_down_parent_are_symptoms_too() -> None:
    result = resolve({"pc": ["router"]}, down={"router"}, alerting={"pc"})
    assert result.symptoms == {"pc": "router"}


def test_loops_in_the_layout_do_not_hang() -> None:
    parents = {"a": ["b"], "b": ["a"], "c": ["a"]}
    result = resolve(parents, down={"a", "b", "c"}, alerting={"c"})
    assert result.roots == {"a", "b"}
    assert result.symptoms == {"c": "a"}
