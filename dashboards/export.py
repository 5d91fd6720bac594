"""``vigil dashboards export DIR``: the catalog as files for Grafana's file provisioning.

::

    DIR/provisioning/datasources/vigil.yaml    the two data sources (secrets as $ENV references)
    DIR/provisioning/dashboards/vigil.yaml     a file provider with foldersFromFilesStructure
    DIR/dashboards/<folder title>/<uid>.json   one file per dashboard, one folder per customer

Copy ``provisioning/*`` into Grafana's provisioning folder and point the provider's ``path``
(``--dashboards-path``, default ``DIR/dashboards``) at the dashboards. File provisioning
cannot set folder permissions: use ``provision`` for per-customer access. Files are rewritten
only when their content changes, and only vigil's own files (``vigil-*.json``) are removed when
a customer goes away; anything else in DIR is left alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from vigil.dashboards.catalog import Folder
from vigil.dashboards.errors import ExportError


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)


def _folder_dir_name(title: str) -> str:
    # A folder title becomes a directory name: no path separators, no leading dots.
    return re.sub(r"[/\\\x00]", "_", title).lstrip(".") or "_"


def provider_file(dashboards_path: Path) -> dict[str, Any]:
    return {"apiVersion": 1, "providers": [{
        "name": "vigil", "orgId": 1, "type": "file", "disableDeletion": False, "allowUiUpdates": False,
        "updateIntervalSeconds": 60,
        "options": {"path": str(dashboards_path), "foldersFromFilesStructure": True},
    }]}


def _write(path: Path, text: str, report: ExportReport) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        report.unchanged += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    report.written.append(path)


def export(folders: list[Folder], datasources: dict[str, Any], target: Path,
           dashboards_path: Path | None = None) -> ExportReport:
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} exists and is not a folder")
    report = ExportReport()
    try:
        target.mkdir(parents=True, exist_ok=True)
        dash_root = target / "dashboards"
        _write(target / "provisioning" / "datasources" / "vigil.yaml",
               yaml.safe_dump(datasources, sort_keys=False, allow_unicode=True), report)
        _write(target / "provisioning" / "dashboards" / "vigil.yaml",
               yaml.safe_dump(provider_file(dashboards_path or dash_root.resolve()), sort_keys=False), report)
        kept: set[Path] = set()
        for folder in folders:
            directory = dash_root / _folder_dir_name(folder.title)
            for board in folder.dashboards:
                path = directory / f"{board['uid']}.json"
                kept.add(path)
                _write(path, json.dumps(board, indent=2, ensure_ascii=False, sort_keys=True) + "\n", report)
        if dash_root.is_dir():
            for stale in sorted(dash_root.glob("*/vigil-*.json")):
                if stale not in kept:
                    stale.unlink()
                    report.removed.append(stale)
    except OSError as exc:
        raise ExportError(f"cannot write the export under {target}: {exc}") from None
    return report
