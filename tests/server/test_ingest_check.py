"""The ingest's fast path decides exactly as the strict LineChecker does, and stores the same.

BatchChecker checks lines as text once it has seen their head (server/services/ingest_check.py).
These tests hold it to the strict path: for any line, hostile or not, seen first or again, the
same lines are accepted with the same points, the same lines are rejected with the same line
numbers and reasons, and the line protocol forwarded to InfluxDB reads back as the points the
strict path would have written.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from vigil.agent.schema import MEASUREMENTS as SCHEMA
from vigil.agent.wire import LineProtocolError, Point, parse_line
from vigil.server.config import IngestLimits
from vigil.server.db.models import NodeKind
from vigil.server.metrics.line_encoder import LineEncoder
from vigil.server.services.enrollment import NodeIdentity
from vigil.server.services.ingest_check import (
    BatchChecker,
    FastLines,
    Head,
    LineChecker,
    compiled_fast_lines,
    fast_lines,
)

NOW_NS = time.time_ns()
AGENT = NodeIdentity(1, "n1", NodeKind.agent, "web 01", 1, "acme", 1, "main")
COLLECTOR = NodeIdentity(2, "n2", NodeKind.collector, "col-1", 1, "acme", 1, "main")
DEVICES = frozenset({"sw1", "ups 2"})

MEASUREMENTS = st.sampled_from(["cpu", "mem", "disk", "net", "ping", "collector", "nosuch", "cp u", "cpu\\,x", "中"])
TAG_KEYS = st.sampled_from(["cpu", "path", "interface", "device", "host", "customer", "site", "bogus", "tim e"])
TAG_VALUES = st.sampled_from(
    ["total", "0", "/", "eth0", "sw1", "ups\\ 2", "web\\ 01", "acme", "bravo", "main", "x\\", 'a"b', "中文", "a\rb", ""]
)
FIELD_KEYS = st.sampled_from(
    ["util_percent", "user_percent", "idle_percent", "total_bytes", "used_bytes", "used_percent",
     "rtt_seconds", "loss_percent", "bogus", "util percent", "x\\"]
)
FIELD_VALUES = st.sampled_from(
    ["1", "1.5", "-2.25", "0", "5i", "-7i", "7u", "1e5", "1E-05", "2.5e+10", "1e400", "1e99", "nan", "inf",
     "-inf", "t", "false", '"s"', '"a b"', "9" * 25 + "i", "9" * 400 + "i", "1.", ".5", "0x1", "1_0", "",
     "１", "12345678901234567890", "123456789012345678901", "3.141592653589793", "5e-324"]
)
STAMPS = st.sampled_from(
    [str(NOW_NS), str(NOW_NS - 10**9), "", "abc", "-1", "0", str(NOW_NS) + "\r", "+" + str(NOW_NS), str(NOW_NS) + " x"]
)
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\t"])


@st.composite
def heads(draw: st.DrawFn) -> str:
    return draw(MEASUREMENTS) + "".join(
        f",{k}={v}" for k, v in draw(st.lists(st.tuples(TAG_KEYS, TAG_VALUES), max_size=3))
    )


GOOD_VALUES = st.sampled_from(["1", "1.5", "-2.25", "0", "5i", "-7i", "7u", "1e5", "2.5e+10", "3.141592653589793"])


@st.composite
def batches(draw: st.DrawFn) -> list[str]:
    """Lines sharing a few heads, most of them valid, so that a head learned from one line
    meets the others; in the rest one part at a time is hostile."""
    typical = st.sampled_from(["cpu,cpu=total", "mem", "ping,device=sw1"])
    pool = draw(st.lists(st.one_of(typical, heads()), min_size=1, max_size=3))
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        head = draw(st.sampled_from(pool))
        schema = SCHEMA.get(head.split(",")[0])
        keys = st.sampled_from(sorted(schema.fields)) if schema is not None else FIELD_KEYS
        pairs = draw(st.lists(st.tuples(keys, GOOD_VALUES), min_size=1, max_size=4))
        stamp, separator = str(NOW_NS), " "
        hostile = draw(st.sampled_from(["none", "none", "key", "value", "stamp", "separator"]))
        if hostile == "key":
            pairs[0] = (draw(FIELD_KEYS), pairs[0][1])
        elif hostile == "value":
            pairs[-1] = (pairs[-1][0], draw(FIELD_VALUES))
        elif hostile == "stamp":
            stamp = draw(STAMPS)
        elif hostile == "separator":
            separator = draw(SEPARATORS)
        fields = ",".join(f"{k}={v}" for k, v in pairs)
        out.append(head + separator + fields + (separator + stamp if stamp else ""))
    return out


def _strict(
    node: NodeIdentity, devices: frozenset[str], text: bytes, limits: IngestLimits
) -> tuple[list[Point], list[dict[str, object]]]:
    checker = LineChecker(node, limits, devices, NOW_NS)
    points: list[Point] = []
    rejected: list[dict[str, object]] = []
    for number, raw in enumerate(text.split(b"\n"), start=1):
        if not raw.strip() or raw.startswith(b"#"):
            continue
        try:
            points.append(checker.check(raw.decode("utf-8")))
        except UnicodeDecodeError:
            rejected.append({"line": number, "reason": "not valid UTF-8"})
        except LineProtocolError as exc:
            rejected.append({"line": number, "reason": str(exc)})
    return points, rejected


def _typed(points: list[Point]) -> list[tuple[object, ...]]:
    """Points with the type of each value (5 == 5.0 in Python, not in InfluxDB)."""
    return [
        (p.measurement, p.tags, {k: (type(v).__name__, v) for k, v in p.fields.items()}, p.time_ns) for p in points
    ]


def _read_back(body: bytes) -> list[tuple[object, ...]]:
    return _typed([parse_line(line) for line in body.decode().splitlines()])


def _compiled() -> FastLines:
    if compiled_fast_lines is None:
        reason = "the compiled fast path (server/services/_fastlines.c) was not built"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    return compiled_fast_lines


def _implementation(name: str) -> FastLines:
    """The fast path's loop: the Python definition, or the C one (server/services/_fastlines.c)."""
    return fast_lines if name == "python" else _compiled()


IMPLEMENTATIONS = pytest.mark.parametrize("implementation", ["python", "compiled"])


def _assert_same(
    node: NodeIdentity, devices: frozenset[str], text: bytes, limits: IngestLimits, fast: FastLines = fast_lines
) -> None:
    checker = BatchChecker(limits, fast=fast)
    expected_points, expected_rejected = _strict(node, devices, text, limits)
    for _ in range(2):  # the first pass learns heads, the second takes the fast path
        rejected: list[dict[str, object]] = []
        batch = checker.check(node, devices, text, NOW_NS, rejected)
        assert rejected == expected_rejected
        assert _typed(batch.points()) == _typed(expected_points)
        assert _read_back(batch.line_protocol(LineEncoder())) == _read_back(LineEncoder().encode(expected_points))
        assert batch.devices == {p.tags.get("device") for p in expected_points}


@IMPLEMENTATIONS
@settings(max_examples=400, deadline=None)
@given(batches(), st.booleans(), st.sampled_from([None, 2, 3]))
@example(["cpu,cpu=total util_percent=5i,user_percent=1.5 " + str(NOW_NS)], False, None)
@example(["mem total_bytes=" + "9" * 400 + "i " + str(NOW_NS)], False, None)
@example(["ping,device=sw1 rtt_seconds=1e400 " + str(NOW_NS)], True, None)
def test_fast_path_matches_the_strict_checker(
    implementation: str, batch_lines: list[str], collector: bool, max_fields: int | None
) -> None:
    """Every input, through both paths: the same answers (the fast path is only faster)."""
    node, devices = (COLLECTOR, DEVICES) if collector else (AGENT, frozenset())
    limits = IngestLimits() if max_fields is None else IngestLimits(max_fields=max_fields)
    _assert_same(node, devices, "\n".join(batch_lines).encode(), limits, _implementation(implementation))


def test_a_typical_agent_batch_takes_the_fast_path_and_stamps_identity() -> None:
    checker = BatchChecker(IngestLimits())
    text = (
        f"cpu,cpu=total util_percent=12.5,user_percent=8i {NOW_NS}\n"
        f"mem used_bytes=1024i,used_percent=37.5 {NOW_NS}\n"
        "# a comment\n\n"
        f"cpu,cpu=total,host=someone-else util_percent=1 {NOW_NS}\n"
    ).encode()
    checker.check(AGENT, frozenset(), text, NOW_NS, [])
    rejected: list[dict[str, object]] = []
    batch = checker.check(AGENT, frozenset(), text, NOW_NS, rejected)
    assert [type(entry) for entry in batch.entries] == [tuple, tuple]  # both from the fast path
    assert rejected == [{"line": 5, "reason": "tag host='someone-else' claims another identity"}]
    body = batch.line_protocol(LineEncoder()).decode().splitlines()
    assert body == [
        f"cpu,cpu=total,customer=acme,host=web\\ 01,site=main util_percent=12.5,user_percent=8 {NOW_NS}",
        f"mem,customer=acme,host=web\\ 01,site=main used_bytes=1024,used_percent=37.5 {NOW_NS}",
    ]
    identity = {"customer": "acme", "site": "main", "host": "web 01"}
    assert batch.points()[1] == Point("mem", identity, {"used_bytes": 1024.0, "used_percent": 37.5}, NOW_NS)


def test_a_collectors_device_list_change_forgets_its_heads() -> None:
    checker = BatchChecker(IngestLimits())
    text = f"ping,device=sw1 rtt_seconds=0.001 {NOW_NS}".encode()
    assert len(checker.check(COLLECTOR, DEVICES, text, NOW_NS, [])) == 1
    assert len(checker.check(COLLECTOR, DEVICES, text, NOW_NS, [])) == 1
    rejected: list[dict[str, object]] = []
    batch = checker.check(COLLECTOR, frozenset({"ups 2"}), text, NOW_NS, rejected)
    assert len(batch) == 0
    assert rejected == [{"line": 1, "reason": "device 'sw1' is not polled by this collector"}]


@pytest.mark.parametrize("stamp", [NOW_NS - 8 * 86400 * 10**9, NOW_NS + 86400 * 10**9])
def test_a_known_head_with_a_timestamp_out_of_range_is_still_rejected(stamp: int) -> None:
    checker = BatchChecker(IngestLimits())
    good = f"cpu,cpu=0 util_percent=1 {NOW_NS}".encode()
    checker.check(AGENT, frozenset(), good, NOW_NS, [])
    rejected: list[dict[str, object]] = []
    batch = checker.check(AGENT, frozenset(), f"cpu,cpu=0 util_percent=1 {stamp}".encode(), NOW_NS, rejected)
    assert len(batch) == 0 and len(rejected) == 1 and "too far" in str(rejected[0]["reason"])


def test_field_selection_parses_only_what_is_asked_for() -> None:
    checker = BatchChecker(IngestLimits())
    text = "\n".join(
        [f"cpu,cpu={c} util_percent=1,user_percent=2 {NOW_NS}" for c in ("total", "0", "1")]
        + [f"mem used_percent=3 {NOW_NS}"]
    ).encode()
    batch = checker.check(AGENT, frozenset(), text, NOW_NS, [])
    asked: list[tuple[str, dict[str, str]]] = []

    def wanted(measurement: str, tags: dict[str, str]) -> frozenset[str]:
        asked.append((measurement, tags))
        return frozenset({"util_percent"}) if tags.get("cpu") == "total" else frozenset()

    selected = batch.points(wanted)
    assert [(p.tags.get("cpu"), p.fields) for p in selected] == [("total", {"util_percent": 1.0})]
    assert batch.points(wanted) is selected and len(asked) == 4  # remembered, asked once per series


def test_field_selection_leaves_out_samples_older_than_asked() -> None:
    """Old samples (a backlog) are left out, both from the fast path's lines and from points
    the strict path parsed (the second batch's lines are new heads, so the strict path's)."""
    checker = BatchChecker(IngestLimits())
    old, new = NOW_NS - 3600 * 10**9, NOW_NS - 10**9
    for cores in (("total",), ("total", "0")):  # the first batch teaches the heads
        text = "\n".join(f"cpu,cpu={c} util_percent={t % 97} {t}" for c in cores for t in (old, new)).encode()
        batch = checker.check(AGENT, frozenset(), text, NOW_NS, [])
        selected = batch.points(lambda _m, _t: frozenset({"util_percent"}), oldest_ns=NOW_NS - 60 * 10**9)
        assert [(p.tags["cpu"], p.time_ns) for p in selected] == [(c, new) for c in cores]


# ---- the compiled loop against its Python definition, byte for byte ----

KNOWN = [
    f"cpu,cpu=total util_percent=12.5,user_percent=8i {NOW_NS}",
    f"mem used_bytes=1024i,used_percent=37.5,total_bytes=7u {NOW_NS}",
    f"ping,device=sw1 rtt_seconds=1e-3,loss_percent=0 {NOW_NS}",
    f"disk,device=sw1,path=/ used_percent=-2.5E+10 {NOW_NS}",
]


def _learned_heads(collector: bool) -> dict[bytes, Head]:
    checker = BatchChecker(IngestLimits(), fast=fast_lines)
    node, devices = (COLLECTOR, DEVICES) if collector else (AGENT, frozenset())
    checker.check(node, devices, "\n".join(KNOWN).encode(), NOW_NS, [])
    return checker._nodes[node.node_id].heads


HEADS = {False: _learned_heads(False), True: _learned_heads(True)}
SPECIAL_BYTES = st.sampled_from(list(b' ,=.-+eEiu0123456789\\"\t\r#') + [0, 0xFF, ord("9")])


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """A known line with a few bytes replaced, inserted or deleted, or any bytes at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80))
    line = bytearray(draw(st.sampled_from(KNOWN)).encode())
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(line)))
        byte = draw(st.one_of(SPECIAL_BYTES, st.integers(0, 255)))
        edit = draw(st.sampled_from(["replace", "insert", "delete", "repeat"]))
        if edit == "insert" or position == len(line):
            line.insert(position, byte)
        elif edit == "replace":
            line[position] = byte
        elif edit == "delete":
            del line[position]
        else:
            line[position:position] = bytes([line[position]]) * draw(st.integers(1, 45))
    return bytes(line)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(mutated_lines(), max_size=8),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from([1, 2, 3, 200]),
    st.sampled_from([(NOW_NS - 10**9, NOW_NS + 10**9), (0, 2**63 - 1), (NOW_NS, NOW_NS), (5, 4)]),
)
@example([f"cpu,cpu=total util_percent={'9' * 20}i {NOW_NS}".encode()], 0, False, 200, (0, 2**63 - 1))
@example([f"cpu,cpu=total util_percent={'9' * 21} {NOW_NS}".encode()], 0, False, 200, (0, 2**63 - 1))
@example([b"cpu,cpu=total util_percent=1 " + b"0" * 30 + b"7"], 0, False, 200, (0, 2**63 - 1))
@example([b"cpu,cpu=total util_percent=1 9223372036854775808"], 0, False, 200, (0, 2**63 - 1))
@example([b"cpu,cpu=total util_percent=1 18446744073709551616"], 0, False, 200, (0, 2**63 - 1))
def test_the_compiled_loop_is_its_python_definition(
    lines: list[bytes], start: int, collector: bool, max_fields: int, bounds: tuple[int, int]
) -> None:
    """Same index returned, same entries and numbers appended, for any bytes at all."""
    compiled = _compiled()
    heads = HEADS[collector]
    answers = []
    for loop in (fast_lines, compiled):
        entries: list[object] = ["before"]
        numbers: list[int] = [-1]
        index = loop(lines, start, heads, bounds[0], bounds[1], max_fields, 10, entries, numbers)
        answers.append((index, entries, numbers))
    assert answers[0] == answers[1]


def test_the_compiled_loop_remembers_only_field_sets_it_checked() -> None:
    """The compiled loop remembers a head's last accepted field keys so that the next line
    with the same keys skips the look-ups; a line whose keys only look like the remembered ones
    (a prefix, an extension, another order, one key more) is still checked key by key."""
    compiled = _compiled()
    heads = _learned_heads(False)
    stamp = str(NOW_NS)
    fields = [
        "util_percent=1,user_percent=2",  # remembered from here on
        "util_percent=1,user_percent=2",  # the same keys: taken without look-ups
        "util_percent=1,user_percent=x",  # the same keys, a bad value
        "user_percent=2,util_percent=1",  # another order
        "util_percent=1",  # a prefix of the remembered keys
        "util_percent=1,user_percent=2,bogus=3",  # one unknown key more
        "util_percent=1,user_percent=2,user_percent=2",
        "util_perc=1,user_percent=2",
        "util_percentx=1,user_percent=2",
        "util_percent=1,user_percent=2",
        "util_percent=1,user_percent=2,system_percent=3i",
        "util_percent=1,user_percent=2,system_percent=3i,x=1",
        "util_percent=1,user_percent=2,system_percent=3i",
    ]
    taken = []
    for field_set in fields:
        line = f"cpu,cpu=total {field_set} {stamp}".encode()
        answers = []
        for loop in (fast_lines, compiled):
            entries: list[object] = []
            numbers: list[int] = []
            answers.append((loop([line], 0, heads, 0, 2**63 - 1, 200, 1, entries, numbers), entries))
        assert answers[0] == answers[1], field_set
        taken.append(answers[1][0])
    assert taken == [1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1]
    head = heads[b"cpu,cpu=total"]
    assert head.checked_keys == b"util_percent=user_percent=system_percent="


def test_the_compiled_loop_refuses_what_is_not_bytes() -> None:
    compiled = _compiled()
    with pytest.raises(TypeError):
        compiled(["text, not bytes"], 0, HEADS[False], 0, 2**63 - 1, 200, 1, [], [])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        compiled((b"a tuple",), 0, HEADS[False], 0, 2**63 - 1, 200, 1, [], [])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        compiled([b"x"], -1, HEADS[False], 0, 2**63 - 1, 200, 1, [], [])


def test_the_server_runs_the_compiled_loop_where_it_was_built() -> None:
    """scripts/setup builds the extension; the server takes it by default."""
    assert BatchChecker(IngestLimits()).fast is _compiled()
