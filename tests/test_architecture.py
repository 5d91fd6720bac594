"""The shape ARCHITECTURE.md promises: one import direction, a small agent, a clean wheel."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("agent", "collector", "checks", "server", "dashboards")
# What each part may import of vigil (ARCHITECTURE.md, "the one direction of imports").
ALLOWED = {
    "agent": set(),
    "collector": {"agent"},
    "checks": set(),
    "server": {"checks", "agent"},
    "dashboards": {"agent"},
}
# vigil.agent runs on customer hosts: the standard library and psutil only.
AGENT_THIRD_PARTY = {"psutil"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _sources(part: str) -> list[Path]:
    return sorted((ROOT / part).rglob("*.py"))


@pytest.mark.parametrize("part", PARTS)
def test_imports_run_one_way(part: str) -> None:
    wrong = []
    for path in _sources(part):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in PARTS:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: bare import of {module}; use vigil.{module}")
            if top != "vigil":
                continue
            target = module.split(".")[1] if "." in module else ""
            if target and target != part and target not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: vigil.{part} may not import {module}")
    assert not wrong, "\n".join(wrong)


def test_the_agent_needs_only_the_standard_library_and_psutil() -> None:
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for path in _sources("agent"):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in stdlib or top in AGENT_THIRD_PARTY or top == "vigil" or top == "__future__":
                continue
            wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not wrong, "the agent imports more than psutil and the standard library:\n" + "\n".join(wrong)


def test_wheel_holds_every_subpackage_under_vigil_and_nothing_else(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("vigil-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"vigil", next(t for t in tops if t.endswith(".dist-info"))}
    expected = {
        "vigil/" + str(init.parent.relative_to(ROOT)) + "/__init__.py"
        for part in PARTS
        for init in (ROOT / part).rglob("__init__.py")
    }
    missing = expected - set(names)
    assert not missing, f"subpackages missing from the wheel: {sorted(missing)}"
    assert "vigil/server/db/migrations/script.py.mako" in names
    assert any(n.startswith("vigil/server/db/migrations/versions/0001") for n in names)
    # the ingest fast path's compiled loop (setup.py builds it where a C compiler is at hand)
    assert any(n.startswith("vigil/server/services/_fastlines.") and n.endswith((".so", ".pyd")) for n in names)
