"""The embedded store finds a query's series through an index of tag values (kept per
measurement while its series do not change): series added after a query are found by the next
one, and the empty-value filter (a series without the tag) still works beside it."""

from __future__ import annotations

from pathlib import Path

from vigil.agent.wire import Point
from vigil.server.metrics import LatestValue, Series, SeriesQuery

from tests.services.metric_stores import embedded_store

NS = 1_000_000_000
T0 = 1_764_000_000 * NS


def _point(customer: str, host: str, value: float, **extra: str) -> Point:
    return Point("cpu", {"customer": customer, "host": host, **extra}, {"util_percent": value}, T0 + NS)


def test_many_customers_new_series_and_empty_filters(tmp_path: Path) -> None:
    store = embedded_store(tmp_path / "m.sqlite3")
    try:
        store.write([_point(f"c{c}", f"h{h}", float(c * 10 + h)) for c in range(20) for h in range(5)])

        def sums(tags: dict[str, str]) -> dict[str, float | None]:
            query = SeriesQuery("cpu", "util_percent", T0, T0 + 60 * NS, tags, ("host",), "sum")
            return {s.tags["host"]: s.rows[0][1] for s in store.query(query)}

        assert sums({"customer": "c3"}) == {f"h{h}": 30.0 + h for h in range(5)}
        assert sums({"customer": "c3", "host": "h2"}) == {"h2": 32.0}
        assert sums({"customer": "nobody"}) == {}
        # a series added after the index was built is found
        store.write([_point("c3", "h9", 1.5), _point("c3", "h8", 2.5, cpu="total")])
        assert sums({"customer": "c3"}) == {**{f"h{h}": 30.0 + h for h in range(5)}, "h9": 1.5, "h8": 2.5}
        # '' selects the series without the tag, next to an indexed value
        assert sums({"customer": "c3", "cpu": ""}) == {**{f"h{h}": 30.0 + h for h in range(5)}, "h9": 1.5}
        assert sums({"cpu": "total"}) == {"h8": 2.5}
        assert store.latest("cpu", "util_percent", {"customer": "c3", "host": "h9"}) == [LatestValue({}, T0 + NS, 1.5)]
        assert store.tag_values("cpu", "host", {"customer": "c19"}) == [f"h{h}" for h in range(5)]
        whole = SeriesQuery("cpu", "util_percent", T0, T0 + 60 * NS, {}, (), "count")
        assert store.query(whole) == [Series({}, [(T0, 102.0)])]
    finally:
        store.close()
