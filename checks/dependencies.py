"""Dependencies: which alerting devices are root causes and which are symptoms.

Devices name their parents (the collector that polls them, the router or switch in front of
them). A device is *cut off* when it has parents and every one of them is down or cut off
itself; with two uplinks, one down parent cuts nothing off. A down device that is not cut off
is a root cause; an alerting device that is cut off is a symptom of the nearest root cause(s)
above it (the first in sorted order, so the choice is deterministic). A loop in the declared
layout is a mistake; the links that close a loop are ignored, so every device in it stands alone.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Resolution(Generic[K]):
    roots: frozenset[K]
    symptoms: Mapping[K, K]  # symptom device -> its root cause device


def _ancestors(parents: Mapping[K, Sequence[K]], device: K, memo: dict[K, frozenset[K]]) -> frozenset[K]:
    if device in memo:
        return memo[device]
    found: set[K] = set()
    stack = list(parents.get(device, ()))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(parents.get(current, ()))
    memo[device] = frozenset(found)
    return memo[device]


def without_loops(parents: Mapping[K, Sequence[K]]) -> dict[K, list[K]]:
    """The parent links minus any that close a loop (a parent that depends on its child)."""
    memo: dict[K, frozenset[K]] = {}
    return {
        device: [p for p in ups if p != device and device not in _ancestors(parents, p, memo)]
        for device, ups in parents.items()
    }


def resolve(parents: Mapping[K, Sequence[K]], down: Collection[K], alerting: Collection[K]) -> Resolution[K]:
    parents = without_loops(parents)
    down_set = set(down)
    cut_memo: dict[K, bool] = {}

    def cut_off(device: K, visiting: frozenset[K]) -> bool:
        if device in cut_memo:
            return cut_memo[device]
        ups = [p for p in parents.get(device, ()) if p != device]
        if not ups or device in visiting:
            return False  # no parents, or a loop in the declared layout: treat as reachable
        inner = visiting | {device}
        result = all(p in down_set or cut_off(p, inner) for p in ups)
        cut_memo[device] = result
        return result

    def root_of(device: K, visiting: frozenset[K]) -> K | None:
        for parent in sorted(parents.get(device, ()), key=repr):
            if parent in visiting or parent == device:
                continue
            if parent in down_set and not cut_off(parent, frozenset()):
                return parent
            found = root_of(parent, visiting | {device})
            if found is not None:
                return found
        return None

    roots = frozenset(d for d in down_set if not cut_off(d, frozenset()))
    symptoms: dict[K, K] = {}
    for device in set(alerting) | down_set:
        if cut_off(device, frozenset()):
            root = root_of(device, frozenset())
            if root is not None:
                symptoms[device] = root
    return Resolution(roots=roots, symptoms=symptoms)
