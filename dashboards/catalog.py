"""What gets provisioned: the folders, their permissions and the dashboards in each.

- The fleet folder (``vigil-folder-fleet``) holds every board in its all-customers form, the
  fleet overview included. It is for the provider's staff: org Editors may edit, and a staff
  team (optional) may view. Org Viewers without a team see nothing in it.
- One folder per customer holds the customer boards (all but the fleet overview) with the
  customer pinned; that customer's team may view it, org Editors may edit it.

Customer teams are named ``<team_prefix><slug>`` (``customer-acme`` by default).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from vigil.dashboards.boards import BoardContext, load, names, render

FLEET_FOLDER_UID = "vigil-folder-fleet"
FLEET_FOLDER_TITLE = "vigil — fleet"
VIEW, EDIT = 1, 2
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Customer:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Grant:
    """One folder permission: to a team (by name) or to an org role, at View (1) or Edit (2)."""

    permission: int
    team: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Folder:
    uid: str
    title: str
    grants: tuple[Grant, ...]
    dashboards: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def folder_uid(slug: str) -> str:
    uid = f"vigil-folder-{slug}"
    return uid if len(uid) <= 40 else "vigil-folder-" + hashlib.sha256(slug.encode()).hexdigest()[:20]


def build_catalog(customers: list[Customer], *, team_prefix: str = "customer-",
                  staff_team: str | None = None) -> list[Folder]:
    specs = [load(name) for name in names()]
    fleet_grants = [Grant(EDIT, role="Editor")] + ([Grant(VIEW, team=staff_team)] if staff_team else [])
    folders = [Folder(FLEET_FOLDER_UID, FLEET_FOLDER_TITLE, tuple(fleet_grants),
                      tuple(render(spec, BoardContext(None)) for spec in specs))]
    seen: set[str] = set()
    for customer in sorted(customers, key=lambda c: c.slug):
        if customer.slug in seen:
            continue
        seen.add(customer.slug)
        boards = tuple(render(spec, BoardContext(customer.slug)) for spec in specs if not spec.fleet_only)
        grants = (Grant(VIEW, team=f"{team_prefix}{customer.slug}"), Grant(EDIT, role="Editor"))
        folders.append(Folder(folder_uid(customer.slug), f"{customer.name} ({customer.slug})", grants, boards))
    return folders
