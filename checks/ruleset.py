"""Rule files and overrides: from YAML text and layered patches to each device's rule set.

Rule files hold ``rules: [{name, type, ...}, ...]``; the defaults ship in
``checks/defaults/*.yaml``. Overrides are layers applied in order (global, customer, site,
device), each mapping a rule name to a patch: keys it sets replace the inherited ones (nested
mappings merge, ``null`` drops a key back to the type's default), ``enabled: false`` turns the
rule off, and a name not inherited adds a rule (it must then give ``type``). Everything is
validated after merging, and an error names the layer, the rule and the key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError
from vigil.checks.errors import RuleConfigError
from vigil.checks.model import RuleConfig
from vigil.checks.rules import rule_type

RawRule = dict[str, Any]
OverrideLayer = Mapping[str, Mapping[str, Any]]


def parse_rules_yaml(text: str, where: str = "<rules>") -> list[RawRule]:
    """Raw rule dicts from a rule file's text, checked for shape (not yet validated)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or set(document) != {"rules"} or not isinstance(document["rules"], list):
        raise RuleConfigError(f"{where}: a rule file is a mapping with one key, 'rules', holding a list")
    names: set[str] = set()
    for index, raw in enumerate(document["rules"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or "type" not in raw:
            raise RuleConfigError(f"{where}: rules[{index}] needs at least 'name' and 'type'")
        if raw["name"] in names:
            raise RuleConfigError(f"{where}: rule {raw['name']!r} is defined twice")
        names.add(raw["name"])
    return list(document["rules"])


def build_rule(raw: Mapping[str, Any], where: str = "<rules>") -> RuleConfig:
    """One validated rule; the error says where, which rule and which key."""
    name = raw.get("name", "?")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise RuleConfigError(f"{where}: rule {name!r}: 'type' is missing")
    try:
        config = rule_type(kind).config
    except RuleConfigError as exc:
        raise RuleConfigError(f"{where}: rule {name!r}: {exc}") from None
    try:
        return config.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(rule)'}: {err['msg']}" for err in exc.errors()
        )
        raise RuleConfigError(f"{where}: rule {name!r}: {problems}") from None


def check_references(rules: Sequence[RuleConfig], where: str) -> None:
    """Composites may name only existing, non-composite rules."""
    by_name = {r.name: r for r in rules}
    for rule in rules:
        for ref in getattr(rule, "rules", ()) if rule.type == "composite" else ():
            if ref not in by_name:
                raise RuleConfigError(f"{where}: rule {rule.name!r}: names unknown rule {ref!r}")
            if by_name[ref].type == "composite":
                raise RuleConfigError(f"{where}: rule {rule.name!r}: cannot name another composite ({ref!r})")


def default_rule_dicts() -> list[RawRule]:
    """The shipped default rules, as raw dicts, from every ``checks/defaults/*.yaml``."""
    return copy.deepcopy(_default_rule_dicts())


@lru_cache(maxsize=1)
def _default_rule_dicts() -> list[RawRule]:
    found: list[RawRule] = []
    names: set[str] = set()
    folder = resources.files("vigil.checks").joinpath("defaults")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        for raw in parse_rules_yaml(entry.read_text(encoding="utf-8"), f"defaults/{entry.name}"):
            if raw["name"] in names:
                raise RuleConfigError(f"defaults/{entry.name}: rule {raw['name']!r} is also defined elsewhere")
            names.add(raw["name"])
            found.append(raw)
    return found


def merge_patch(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` applied: nested mappings merge, ``None`` removes a key."""
    merged = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def effective_rules(
    base: Sequence[Mapping[str, Any]], layers: Sequence[tuple[str, OverrideLayer]]
) -> list[RuleConfig]:
    """The rules in force once every layer (``(label, patches)``, outermost first) is applied."""
    merged: dict[str, dict[str, Any]] = {str(r["name"]): dict(r) for r in base}
    touched_by: dict[str, list[str]] = {}
    for label, layer in layers:
        if not isinstance(layer, Mapping):
            raise RuleConfigError(f"{label}: overrides must map rule names to patches")
        for name, patch in layer.items():
            if not isinstance(patch, Mapping):
                raise RuleConfigError(f"{label}: rule {name!r}: an override must be a mapping of keys")
            if "name" in patch and patch["name"] != name:
                raise RuleConfigError(f"{label}: rule {name!r}: an override cannot rename a rule")
            if name in merged:
                if "type" in patch and patch["type"] != merged[name]["type"]:
                    raise RuleConfigError(f"{label}: rule {name!r}: an override cannot change the type")
                merged[name] = merge_patch(merged[name], patch)
            else:
                if "type" not in patch:
                    raise RuleConfigError(f"{label}: rule {name!r}: no such rule to override; a new rule needs 'type'")
                merged[name] = merge_patch({"name": name}, patch)
            touched_by.setdefault(name, []).append(label)
    rules = [build_rule(raw, " > ".join(touched_by.get(name, ["defaults"]))) for name, raw in merged.items()]
    check_references(rules, "rules")
    return rules


class RuleResolver:
    """Caches effective rule sets by their layers' content: most devices share the same layers."""

    def __init__(self, base: Sequence[Mapping[str, Any]] | None = None, max_entries: int = 4096) -> None:
        self._base = [dict(r) for r in (base if base is not None else default_rule_dicts())]
        self._cache: dict[str, tuple[RuleConfig, ...]] = {}
        self._max_entries = max_entries

    def rules_for(self, layers: Sequence[tuple[str, OverrideLayer]]) -> tuple[RuleConfig, ...]:
        # Labels do not change the result, only the content of the patches does.
        key = json.dumps([layer for _label, layer in layers if layer], sort_keys=True, default=str)
        found = self._cache.get(key)
        if found is None:
            found = tuple(effective_rules(self._base, layers))
            if len(self._cache) >= self._max_entries:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = found
        return found
