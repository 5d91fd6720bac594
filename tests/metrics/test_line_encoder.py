"""The InfluxDB store's LineEncoder writes exactly what vigil.agent.wire.encode writes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vigil.agent.wire import Point, encode
from vigil.server.metrics import MetricWriteRejected
from vigil.server.metrics.line_encoder import LineEncoder
from vigil.server.metrics.points import check_points

from tests.metrics.test_contract import HOSTILE

NAMES = st.text(alphabet=st.sampled_from(list("ab ,=\"'\\\n\r\t中😀")), min_size=0, max_size=6)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    NAMES,
)
POINTS = st.builds(
    Point,
    measurement=NAMES,
    tags=st.dictionaries(NAMES, NAMES, max_size=3),
    fields=st.dictionaries(NAMES, VALUES, max_size=3),
    time_ns=st.integers(min_value=0, max_value=2**62),
)


def _reference(points: list[Point]) -> bytes | None:
    """wire.encode's bytes, or None when the store must refuse the points."""
    try:
        check_points(points)
    except MetricWriteRejected:
        return None
    return encode(points)


@settings(max_examples=400, deadline=None)
@given(st.lists(POINTS, max_size=4))
def test_same_bytes_as_wire_encode(points: list[Point]) -> None:
    encoder = LineEncoder()
    expected = _reference(points)
    for _ in range(2):  # cold, then with every head and key cached
        if expected is None:
            with pytest.raises(MetricWriteRejected):
                encoder.encode(points)
        else:
            assert encoder.encode(points) == expected


def test_hostile_tags_and_a_bounded_cache() -> None:
    encoder = LineEncoder(max_cached_series=3)
    points = [
        Point("m x", {"host": h, "a,b": "c=d"}, {"f": 1.5, "s": 'q"\\'}, 7) for h in HOSTILE if not h.endswith("\\")
    ]
    assert encoder.encode(points) == encode(points)
    assert encoder.encode(points[::-1]) == encode(points[::-1])
