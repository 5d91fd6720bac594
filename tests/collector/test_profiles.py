"""The profile registry: every profile is data, loads, documents itself and is chosen by OID."""

from __future__ import annotations

import importlib

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.collector.snmp.profiles import (
    UnknownProfile,
    profile_by_name,
    registry,
    select_profiles,
    vendor_profile_for,
)

VENDORS = {"cisco", "huawei", "h3c", "juniper", "ruijie", "zte", "apc"}
STANDARD = {"system", "if_mib", "host_resources", "ucd_snmp", "entity", "entity_sensor", "ups_mib"}


def test_registry_holds_standard_and_vendor_profiles() -> None:
    profiles = registry()
    assert STANDARD | VENDORS <= set(profiles)
    assert {p.name for p in profiles.values() if p.standard} == STANDARD


@pytest.mark.parametrize("name", sorted(STANDARD | VENDORS))
def test_profile_rows_fit_the_schema(name: str) -> None:
    module = importlib.import_module(f"vigil.collector.snmp.profiles.{name}")
    assert module.__doc__ and module.__doc__.strip()
    profile = profile_by_name(name)
    for table in profile.tables:
        spec = MEASUREMENTS[table.measurement]
        emitted = {m.field for m in table.metrics if m.kind not in ("aux", "tag")}
        emitted |= {d.field for d in table.derive if d.op != "entity_sensor"}
        emitted -= set(table.drop)
        assert emitted <= set(spec.fields), (name, table.measurement, emitted - set(spec.fields))
        tag_names = {k for k, _ in table.tags} | {m.field for m in table.metrics if m.kind == "tag"}
        if table.label_tag:
            tag_names.add(table.label_tag)
        assert tag_names <= spec.tags, (name, table.measurement, tag_names - spec.tags)
        for metric in table.metrics:
            assert all(part.isdigit() for part in metric.oid.split(".")), metric.oid
            if table.scalar:
                assert not table.label_oids


@pytest.mark.parametrize(
    ("sys_object_id", "expected"),
    [
        ("1.3.6.1.4.1.9.1.617", "cisco"),
        (".1.3.6.1.4.1.2011.2.23.276", "huawei"),
        ("1.3.6.1.4.1.25506.1.921", "h3c"),
        ("1.3.6.1.4.1.11.2.3.7.11.181", "h3c"),
        ("1.3.6.1.4.1.2636.1.1.1.2.21", "juniper"),
        ("1.3.6.1.4.1.4881.1.1.10.1.41", "ruijie"),
        ("1.3.6.1.4.1.3902.3.100.614", "zte"),
        ("1.3.6.1.4.1.318.1.3.4.6", "apc"),
        ("1.3.6.1.4.1.8072.3.2.10", None),
        ("1.3.6.1.4.1.90", None),  # a prefix of Cisco's digits is not Cisco
        ("", None),
    ],
)
def test_vendor_chosen_by_longest_sys_object_id_prefix(sys_object_id: str, expected: str | None) -> None:
    found = vendor_profile_for(sys_object_id)
    assert (found.name if found else None) == expected


def test_override_and_unknown_profile() -> None:
    assert "cisco" in [p.name for p in select_profiles("1.3.6.1.4.1.8072", "cisco")]
    with pytest.raises(UnknownProfile, match="no SNMP profile named 'nope'"):
        select_profiles("", "nope")
