"""SNMP profiles: what to read from a device and how it maps onto vigil's measurement schema.

A profile is a module in this package holding data only: ``PROFILE = Profile(...)``. Adding a
vendor or a MIB is adding a file; the registry finds it by module name.

A profile is a set of :class:`Table` s. Each table names one measurement and lists rows
(:class:`Metric`): numeric OID, field, unit and kind. Scalar tables are read with GET (their
OIDs are full instances); column tables are walked with GETBULK, and the rows of all their
columns are joined on the index. ``Derive`` rows compute fields from others (sums, percent,
bits from bytes) with a small fixed set of operations.

Standard profiles (``standard=True``) are read from every device; vendor profiles are chosen
by the longest sysObjectID prefix (``match``). An unknown device gets the standard MIBs only.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["gauge", "counter", "status", "text", "tag", "aux"]
"""gauge: a number as read; counter: turned into a per-second rate; status: 1 when the value is
in ``ok_values`` else 0; text: a bounded string field; tag: a bounded string tag; aux: read for
derivations and filters, never written."""

DeriveOp = Literal["sum", "difference", "product", "percent", "entity_sensor"]


@dataclass(frozen=True, slots=True)
class Metric:
    oid: str
    field: str
    unit: str
    kind: Kind = "gauge"
    scale: float = 1.0
    ok_values: tuple[int, ...] = ()
    # Values that mean "not supported" (H3C reports 65535 for an absent temperature sensor).
    invalid_values: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Derive:
    """``field = a <op> b``; ``a``/``b`` are field names or numbers.

    ``percent`` is a / b * 100 (nothing when b is 0); ``entity_sensor`` converts an
    ENTITY-SENSOR-MIB value using the aux fields ``sensor_type``, ``sensor_scale`` and
    ``sensor_precision`` into the field that its type calls for."""

    field: str
    op: DeriveOp
    a: str | float = 0.0
    b: str | float = 0.0


@dataclass(frozen=True, slots=True)
class Table:
    measurement: str
    metrics: tuple[Metric, ...]
    # Tag named ``label_tag`` holds the value of the first present label column (or the index).
    label_tag: str = ""
    label_oids: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    scalar: bool = False
    derive: tuple[Derive, ...] = ()
    # Emit a row only when this field is present and non-zero (boards without a CPU, ...).
    require_nonzero: str = ""
    # Emit a row only when the aux/gauge field has one of these values.
    keep_field: str = ""
    keep_values: tuple[int, ...] = ()
    # Inventory-like tables are read every Nth poll only (and always on the first).
    every_polls: int = 1
    # Fields that never leave the collector (aux and derive inputs are dropped automatically).
    drop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    tables: tuple[Table, ...]
    match: tuple[str, ...] = ()
    standard: bool = False
    vendor: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class UnknownProfile(KeyError):
    pass


_REGISTRY: dict[str, Profile] = {}


def registry() -> dict[str, Profile]:
    """Every profile by module name (loaded once)."""
    if not _REGISTRY:
        for info in pkgutil.iter_modules(__path__):
            module = importlib.import_module(f"{__name__}.{info.name}")
            profile = getattr(module, "PROFILE", None)
            if not isinstance(profile, Profile):
                raise TypeError(f"profile module {info.name} has no PROFILE")
            if profile.name != info.name:
                raise TypeError(f"profile module {info.name} names itself {profile.name!r}")
            _REGISTRY[info.name] = profile
    return _REGISTRY


def standard_profiles() -> list[Profile]:
    return [p for p in registry().values() if p.standard]


def vendor_profile_for(sys_object_id: str) -> Profile | None:
    """The vendor profile with the longest sysObjectID prefix match, or None."""
    best: tuple[int, Profile] | None = None
    oid = sys_object_id.lstrip(".")
    for profile in registry().values():
        for prefix in profile.match:
            if oid == prefix or oid.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), profile)
    return best[1] if best else None


def profile_by_name(name: str) -> Profile:
    try:
        return registry()[name]
    except KeyError:
        raise UnknownProfile(f"no SNMP profile named {name!r}; known: {sorted(registry())}") from None


def select_profiles(sys_object_id: str, override: str | None = None) -> list[Profile]:
    """The standard profiles plus the vendor one (``override`` forces a vendor profile by name)."""
    chosen = standard_profiles()
    vendor = profile_by_name(override) if override else vendor_profile_for(sys_object_id)
    if vendor is not None and not vendor.standard:
        chosen.append(vendor)
    return chosen
