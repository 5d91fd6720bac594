"""docs/metrics.md is generated from the schema table and must not fall behind it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from vigil.agent.schema import MEASUREMENTS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_metrics_doc.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_metrics_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_metrics_md_is_up_to_date_with_the_schema() -> None:
    expected = _generator().render()
    current = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert current == expected, "docs/metrics.md is out of date: run .venv/bin/python scripts/gen_metrics_doc.py"


def test_every_measurement_and_field_is_documented() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    for measurement in MEASUREMENTS.values():
        assert f"#### `{measurement.name}`" in text
        for field in measurement.fields:
            assert f"| `{field}` |" in text


def test_check_mode_exits_1_when_out_of_date(tmp_path: Path) -> None:
    generator = _generator()
    assert generator.unit_of("in_bits_per_second") == "bit/s"
    assert generator.unit_of("used_percent") == "%"
    generator.DOC = tmp_path / "metrics.md"
    generator.DOC.write_text("# stale\n", encoding="utf-8")
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    assert generator.DOC.read_text(encoding="utf-8") == generator.render()
