"""The dashboards: one module per dashboard, found by module name (adding one is adding a file).

A board module holds ``TITLE``, ``FLEET_ONLY`` (True: only in the fleet folder, for staff; False:
also in every customer's folder with the customer pinned) and ``build(ctx) -> Dashboard`` (an
SDK builder). :func:`render` turns a board into the JSON Grafana stores: a stable uid per
board and customer, panel ids in order, schemaVersion of the targeted Grafana (11.6: 41).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

GRAFANA_VERSION = "11.6"
SCHEMA_VERSION = 41
UID_MAX_CHARS = 40


class UnknownBoardError(KeyError):
    """No dashboard module of that name."""


@dataclass(frozen=True, slots=True)
class BoardContext:
    customer: str | None  # the pinned customer's slug; None in the fleet folder


@dataclass(frozen=True, slots=True)
class BoardSpec:
    name: str
    title: str
    fleet_only: bool
    build: Callable[[BoardContext], Dashboard]


def names() -> list[str]:
    import vigil.dashboards.boards as package

    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def load(name: str) -> BoardSpec:
    if name not in names():
        raise UnknownBoardError(name)
    module = importlib.import_module(f"vigil.dashboards.boards.{name}")
    return BoardSpec(name, str(module.TITLE), bool(module.FLEET_ONLY), module.build)


def board_uid(name: str, customer: str | None) -> str:
    """``vigil-<board>`` or ``vigil-<board>-<customer>``; hashed when past Grafana's 40 characters."""
    if customer is None:
        return f"vigil-{name}"
    uid = f"vigil-{name}-{customer}"
    if len(uid) <= UID_MAX_CHARS and re.fullmatch(r"[A-Za-z0-9_-]+", uid):
        return uid
    digest = hashlib.sha256(customer.encode()).hexdigest()[:12]
    return f"vigil-{name}-{digest}"[:UID_MAX_CHARS]


def render(spec: BoardSpec, ctx: BoardContext) -> dict[str, Any]:
    """The dashboard JSON (a plain dict) for one board in one folder."""
    title = spec.title if ctx.customer is None else f"{spec.title} · {ctx.customer}"
    builder = spec.build(ctx).uid(board_uid(spec.name, ctx.customer)).title(title)
    builder = builder.tags(["vigil", spec.name] + ([f"customer:{ctx.customer}"] if ctx.customer else ["fleet"]))
    data: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    _lay_out(data.get("panels", []))
    for index, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = index
    data["schemaVersion"] = SCHEMA_VERSION
    return data


def _lay_out(panels: list[dict[str, Any]]) -> None:
    """Flow panels left to right in rows of 24 columns (the SDK's own placement lets a panel
    that does not fit overflow the row instead of starting the next one)."""
    x = y = row_height = 0
    for panel in panels:
        grid = panel.setdefault("gridPos", {})
        width, height = min(int(grid.get("w", 12)), 24), int(grid.get("h", 8))
        if x + width > 24:
            x, y, row_height = 0, y + row_height, 0
        panel["gridPos"] = {"h": height, "w": width, "x": x, "y": y}
        x += width
        row_height = max(row_height, height)


def new_dashboard(description: str) -> Dashboard:
    """The common frame: last 6 hours, 1-minute refresh, browser time, shared crosshair."""
    from grafana_foundation_sdk.models.dashboard import DashboardCursorSync

    return (
        Dashboard("vigil").description(description).time("now-6h", "now").refresh("1m")
        .timezone("browser").tooltip(DashboardCursorSync.CROSSHAIR).editable()
    )
