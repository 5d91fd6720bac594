"""vigil.agent.wire reads line protocol as InfluxDB 1.x does, and writes what InfluxDB reads back.

The reference is a real influxd (tests/services/influxdb.py): names and string values with
backslashes, quotes and separators are written with ``wire.encode``, read back with InfluxQL,
and compared with the originals and with what ``wire.parse_line`` makes of the same line.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vigil.agent.wire import Point, encode_point, parse_line
from vigil.server.metrics.points import clean, normalise, point_problem

NAMES = st.text(alphabet=st.sampled_from(list("ab ,=\"'\\\n\t中")), min_size=1, max_size=6)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
STRINGS = st.text(alphabet=st.sampled_from(list("ab ,=\"'\\\t中")), max_size=6)


def _typed(point: Point) -> tuple[object, ...]:
    return (point.measurement, point.tags, {k: (type(v).__name__, v) for k, v in point.fields.items()}, point.time_ns)


@settings(max_examples=500, deadline=None)
@given(
    NAMES,
    st.dictionaries(NAMES, NAMES, max_size=3),
    st.dictionaries(NAMES, st.one_of(STRINGS, FLOATS), min_size=1, max_size=3),
)
def test_what_encode_writes_parse_line_reads_back(
    measurement: str, tags: dict[str, str], fields: dict[str, str | float]
) -> None:
    # Two keys that differ only by a newline or a tab become one name; which value wins is not
    # something a sender can rely on.
    assume(len({clean(k) for k in tags}) == len(tags) and len({clean(k) for k in fields}) == len(fields))
    point = Point(measurement, tags, fields, 1_700_000_000_000_000_000)  # type: ignore[arg-type]
    if point_problem(point) is not None:
        return  # the server refuses it before it is written (tested in test_contract)
    (expected,) = normalise([point])
    assert _typed(parse_line(encode_point(point))) == _typed(expected)


@pytest.fixture(scope="module")
def influx(influxdb_url: str) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=influxdb_url)
    client.post("/query", data={"q": "CREATE DATABASE wire_escapes"})
    yield client
    client.post("/query", data={"q": "DROP DATABASE wire_escapes"})
    client.close()


TRICKY = ["x\\,y", "b\\ c", "a\\=b", "two\\\\b", "e\\\\,f", 'q\\"x', "mid\\x", 'say "hi"', "a,b=c d", "中文 x"]
STRING_VALUES = ["a\\", "a\\\\", 'a\\"', 'x"y', "p\\q", "end\\\\\\", "a\\,b", "c=d e,f"]


def _query(influx: httpx.Client, q: str) -> list[list[object]]:
    answer = influx.post("/query", data={"db": "wire_escapes", "q": q}).json()["results"][0]
    return answer["series"][0]["values"] if "series" in answer else []


@pytest.mark.parametrize("value", TRICKY)
def test_tag_keys_values_and_field_keys_read_back_from_influxdb_as_written_and_as_parsed(
    influx: httpx.Client, value: str
) -> None:
    measurement = f"t{TRICKY.index(value)}"
    field_key = value.replace("\\", "/")  # field keys may hold no backslash (points.point_problem)
    point = Point(measurement, {"t": value, value: "k"}, {field_key: 1.0, "plain": 2.0}, 1)
    assert point_problem(point) is None
    line = encode_point(point)
    assert influx.post("/write", params={"db": "wire_escapes"}, content=line.encode()).status_code == 204
    assert _query(influx, f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "t"') == [["t", value]]
    assert [row[0] for row in _query(influx, f'SHOW TAG KEYS FROM "{measurement}"')] == sorted(["t", value])
    keys = {row[0] for row in _query(influx, f'SHOW FIELD KEYS FROM "{measurement}"')}
    assert keys == {field_key, "plain"}
    assert parse_line(line) == point


@pytest.mark.parametrize("value", STRING_VALUES)
def test_string_values_read_back_from_influxdb_as_written_and_as_parsed(influx: httpx.Client, value: str) -> None:
    measurement = f"s{STRING_VALUES.index(value)}"
    point = Point(measurement, {}, {"f": value}, 1)
    line = encode_point(point)
    assert influx.post("/write", params={"db": "wire_escapes"}, content=line.encode()).status_code == 204
    rows = _query(influx, f'SELECT "f" FROM "{measurement}"')  # noqa: S608 (the test's own names)
    assert rows == [["1970-01-01T00:00:00.000000001Z", value]]
    assert parse_line(line) == point


@pytest.mark.parametrize("name", ["tail\\", "me\\,as", "me\\ as", "a\\b"])
def test_names_influxdb_would_misread_are_refused(name: str) -> None:
    assert point_problem(Point(name, {}, {"f": 1.0}, 1)) is not None
    assert point_problem(Point("m", {}, {name: 1.0}, 1)) is not None
