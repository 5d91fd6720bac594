"""What the rules run over, read from the database: devices, collectors, parents, overrides, windows.

An :class:`Inventory` is a snapshot. The driver keeps one for a few seconds (and drops it when
an override or a window changes), so evaluating a batch as it arrives costs no inventory queries.

Identity: a device on an agent is named by the ``host`` tag, a device a collector polls by
``device``, a collector's own metrics by ``collector``. Parents: the device's declared parent
(``parent_device_id``) and, for polled devices, the collector that polls them, so a silent
collector is the root cause of its devices' silence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.checks.engine import DeviceKey, Target
from vigil.checks.errors import RuleConfigError
from vigil.checks.model import RuleConfig
from vigil.checks.ruleset import OverrideLayer, RuleResolver
from vigil.checks.windows import MaintenanceWindow
from vigil.server.alerting.models import MaintenanceWindowRow, RuleOverrideRow
from vigil.server.db.models import Customer, Device, Node, NodeKind, Site


@dataclass(frozen=True)
class DeviceInfo:
    customer_id: int
    customer: str
    site_id: int | None
    site: str
    name: str
    identity_tag: str
    device_id: int | None = None
    importance: int = 2
    tags: frozenset[str] = frozenset()
    parents: tuple[str, ...] = ()

    @property
    def key(self) -> DeviceKey:
        return (self.customer, self.name)


@dataclass
class Inventory:
    devices: dict[DeviceKey, DeviceInfo] = field(default_factory=dict)
    customer_ids: dict[str, int] = field(default_factory=dict)
    layers: dict[str, OverrideLayer] = field(default_factory=dict)  # scope_key -> patches
    windows: dict[str, list[MaintenanceWindow]] = field(default_factory=dict)  # customer slug -> windows
    broken: list[str] = field(default_factory=list)  # stored rows that no longer validate

    def layers_for(self, device: DeviceInfo) -> list[tuple[str, OverrideLayer]]:
        keys = ["global", f"customer:{device.customer_id}"]
        if device.site_id is not None:
            keys.append(f"site:{device.site_id}")
        if device.device_id is not None:
            keys.append(f"device:{device.device_id}")
        return [(key, self.layers[key]) for key in keys if key in self.layers]

    def targets(
        self, resolver: RuleResolver, keys: Iterable[DeviceKey] | None = None, *,
        want: Collection[str] | None = None,
    ) -> list[Target]:
        """Targets for ``keys`` (every device when None) with their rules whose type is in ``want``."""
        chosen = self.devices.values() if keys is None else [self.devices[k] for k in keys if k in self.devices]
        found = []
        for device in chosen:
            try:
                rules: tuple[RuleConfig, ...] = resolver.rules_for(self.layers_for(device))
            except RuleConfigError as exc:
                # A stored override the current defaults no longer accept: run the defaults, say so.
                self.broken.append(f"{device.customer}/{device.name}: {exc}")
                rules = resolver.rules_for([])
            if want is not None:
                rules = tuple(r for r in rules if r.type in want)
            found.append(Target(
                customer=device.customer, device=device.name, rules=rules, identity_tag=device.identity_tag,
                site=device.site, tags=device.tags,
            ))
        return found

    def parents(self) -> dict[DeviceKey, list[DeviceKey]]:
        return {d.key: [(d.customer, p) for p in d.parents] for d in self.devices.values() if d.parents}

    def all_windows(self, customers: Iterable[str] | None = None) -> list[MaintenanceWindow]:
        names = self.windows.keys() if customers is None else customers
        return [w for name in names for w in self.windows.get(name, [])]


def window_from_row(row: MaintenanceWindowRow, customer_slug: str) -> MaintenanceWindow:
    definition: dict[str, Any] = dict(row.definition)
    scope = {**definition.get("scope", {}), "customer": customer_slug}
    return MaintenanceWindow.model_validate({**definition, "id": str(row.id), "scope": scope})


def load_inventory(db: Session) -> Inventory:
    inventory = Inventory()
    customers = {c.id: c.slug for c in db.scalars(select(Customer))}
    inventory.customer_ids = {slug: cid for cid, slug in customers.items()}
    sites = {s.id: s.slug for s in db.scalars(select(Site))}
    nodes = {n.id: n for n in db.scalars(select(Node).where(Node.revoked_at.is_(None)))}
    device_rows = list(db.scalars(select(Device)))
    names = {d.id: d.name for d in device_rows}
    for collector in nodes.values():
        if collector.kind is NodeKind.collector:
            info = DeviceInfo(collector.customer_id, customers[collector.customer_id], collector.site_id,
                              sites.get(collector.site_id, ""), collector.name, "collector")
            inventory.devices[info.key] = info
    for device in device_rows:
        node = nodes.get(device.node_id) if device.node_id is not None else None
        polled = node is not None and node.kind is NodeKind.collector
        parents = []
        if device.parent_device_id is not None and device.parent_device_id in names:
            parents.append(names[device.parent_device_id])
        if polled and node is not None:
            parents.append(node.name)
        info = DeviceInfo(
            customer_id=device.customer_id, customer=customers[device.customer_id], site_id=device.site_id,
            site=sites.get(device.site_id, ""), name=device.name,
            identity_tag="host" if node is not None and node.kind is NodeKind.agent else "device",
            device_id=device.id, importance=device.importance, tags=frozenset(device.tags or ()),
            parents=tuple(parents),
        )
        inventory.devices[info.key] = info
    for override in db.scalars(select(RuleOverrideRow)):
        inventory.layers[override.scope_key] = override.rules
    for window_row in db.scalars(select(MaintenanceWindowRow).where(MaintenanceWindowRow.active.is_(True))):
        slug = customers.get(window_row.customer_id)
        if slug is None:
            continue
        try:
            inventory.windows.setdefault(slug, []).append(window_from_row(window_row, slug))
        except ValidationError as exc:
            inventory.broken.append(f"maintenance window {window_row.id}: {exc.errors()[0]['msg']}")
    return inventory
