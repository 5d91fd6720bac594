"""Field types are fixed by the field's name, whatever type a device sent."""

from __future__ import annotations

import math

from vigil.collector.field_types import typed, typed_fields


def test_rules() -> None:
    assert typed("used_bytes", 113843896.32) == 113843896 and isinstance(typed("used_bytes", 1.0), int)
    assert typed("varbinds_count", 3.0) == 3 and isinstance(typed("status_code", 2.0), int)
    assert typed("oper_up", True) == 1 and isinstance(typed("ok", 1.0), int)
    assert typed("util_percent", 38) == 38.0 and isinstance(typed("util_percent", 38), float)
    assert typed("speed_bits_per_second", 10**9) == 1e9 and isinstance(typed("speed_bits_per_second", 1), float)
    assert typed("sys_descr", "x") == "x"
    assert typed("util_percent", math.nan) is None
    assert typed_fields({"a_percent": math.inf, "b_percent": 1}) == {"b_percent": 1.0}
