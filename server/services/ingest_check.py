"""Checking and stamping a batch's lines: a strict checker per line, and a fast path beside it.

:class:`LineChecker` is the definition of what ingest accepts: it parses one line with
``vigil.agent.wire.parse_line``, checks it against the schema (``vigil.agent.schema``) and the
limits, and returns the point with the sender's identity tags stamped on it.

Parsing every line into a :class:`Point` and encoding it again for InfluxDB cost the server
four fifths of its time (docs/performance.md, "Ingest"), while a sender writes the same series
heads (``measurement,tag=value,...``) over and over. :class:`BatchChecker` therefore checks a
line as text when it can prove the answer is the same as ``LineChecker``'s:

- The line has no backslash and no double quote, and splits on single spaces into exactly a
  head, a field set and a timestamp of ASCII digits.
- The head was seen before for this node and ``LineChecker`` accepted it then; a head is
  learned only when its measurement and tags, re-encoded in the sender's order, give back the
  head's exact bytes (so the plain split and the strict parser agree), and only when the
  metric store could carry the stamped point (``point_problem``). The cache holds the stamped
  head: identity tags added, tags sorted, as ``LineEncoder`` writes it.
- The field set matches, in one regular expression per measurement, ``key=number`` pairs with
  keys from the schema and numbers that cannot overflow to infinity; integers (``5i``, ``5u``)
  lose their suffix, because ingest stores every number as a float.
- The timestamp lies within the limits.

Anything else (a new head, an escape, a quote, a string or boolean field, a missing
timestamp, one field too many) goes through ``LineChecker``, so the rejections and their
reasons are always its own. The result, :class:`AcceptedBatch`, is the stamped line protocol
(for a store that takes text: InfluxDB) and, on demand, the points (for the embedded store and
the ingest hooks), parsed only for the measurements asked for.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from vigil.agent.schema import IDENTITY_TAGS, MEASUREMENTS
from vigil.agent.wire import LineProtocolError, Point, parse_line
from vigil.server.config import IngestLimits
from vigil.server.db.models import NodeKind
from vigil.server.metrics.line_encoder import LineEncoder, encode_head
from vigil.server.metrics.points import point_problem
from vigil.server.services.enrollment import NodeIdentity

# A number as Python's repr and most senders write it, bounded so that it cannot overflow to
# infinity (at most 20 integer digits and a two-digit exponent), or an integer (``5i``, ``5u``):
# anything else takes the strict path, which converts it and writes it back in repr's form.
_VALUE = rb"-?\d{1,20}(?:[iu]|(?:\.\d{1,40})?(?:[eE][-+]?\d{1,2})?)"


def _drop_int_suffixes(fields: bytes) -> bytes:
    """``a=5i,b=1.5,c=7u`` -> ``a=5,b=1.5,c=7``, for a field set the pattern matched: there a
    comma follows only a value, and only an integer value ends in ``i`` or ``u``."""
    fields = fields.replace(b"i,", b",").replace(b"u,", b",")
    return fields[:-1] if fields[-1] in b"iu" else fields


def _fields_pattern(names: Iterable[str]) -> re.Pattern[bytes]:
    keys = b"|".join(re.escape(name.encode()) for name in sorted(names, key=len, reverse=True))
    pair = rb"(?:" + keys + rb")=" + _VALUE
    return re.compile(pair + rb"(?:," + pair + rb")*")


_FIELD_PATTERNS: dict[str, re.Pattern[bytes]] = {
    name: _fields_pattern(schema.fields) for name, schema in MEASUREMENTS.items() if schema.fields
}
_FIELD_KEYS: dict[str, frozenset[bytes]] = {
    name: frozenset(key.encode() for key in schema.fields) for name, schema in MEASUREMENTS.items()
}


class LineChecker:
    """Checks and stamps the lines of one batch for one node (the strict path)."""

    def __init__(self, node: NodeIdentity, limits: IngestLimits, device_names: frozenset[str], now_ns: int):
        self.node = node
        self.limits = limits
        self.device_names = device_names
        self.now_ns = now_ns
        self.oldest_ns = now_ns - limits.max_past_seconds * 1_000_000_000
        self.newest_ns = now_ns + limits.max_future_seconds * 1_000_000_000
        self.identity = identity_of(node)

    def check(self, raw: str) -> Point:
        return self.check_parsed(parse_line(raw, self.now_ns))

    def check_parsed(self, point: Point) -> Point:
        limits = self.limits
        schema = MEASUREMENTS.get(point.measurement)
        if schema is None:
            raise LineProtocolError(f"unknown measurement {point.measurement[: limits.max_name_length]!r}")
        if len(point.tags) > limits.max_tags:
            raise LineProtocolError(f"more than {limits.max_tags} tags")
        if len(point.fields) > limits.max_fields:
            raise LineProtocolError(f"more than {limits.max_fields} fields")
        tags = dict(point.tags)
        for key, tag_value in point.tags.items():
            if len(key) > limits.max_name_length or len(tag_value) > limits.max_string_length:
                raise LineProtocolError(f"tag {key[:40]!r} is too long")
            if key in IDENTITY_TAGS:
                continue
            if key not in schema.tags:
                raise LineProtocolError(f"tag {key[:40]!r} is not in the schema of {point.measurement}")
        fields: dict[str, Any] = {}
        for key, value in point.fields.items():
            if key not in schema.fields:
                raise LineProtocolError(f"field {key[:40]!r} is not in the schema of {point.measurement}")
            if isinstance(value, str) and len(value) > limits.max_string_length:
                raise LineProtocolError(f"field {key!r} is longer than {limits.max_string_length} characters")
            # One type per field whatever the sender: InfluxDB fixes a field's type at its first
            # write and refuses the other, so 5i from one device and 5.0 from another are 5.0.
            if isinstance(value, int) and not isinstance(value, bool):
                try:
                    value = float(value)
                except OverflowError:
                    raise LineProtocolError(f"field {key!r}: integer too large for a float") from None
            if isinstance(value, float) and not math.isfinite(value):
                raise LineProtocolError("NaN and Inf are not accepted")
            fields[key] = value
        if not self.oldest_ns <= point.time_ns <= self.newest_ns:
            raise LineProtocolError("timestamp is too far in the past or the future (nanoseconds expected)")
        for key, expected in self.identity.items():
            claimed = tags.get(key)
            if claimed is not None and claimed != expected:
                raise LineProtocolError(f"tag {key}={claimed[:40]!r} claims another identity")
            tags[key] = expected
        self._check_device(tags, point.measurement)
        return Point(point.measurement, tags, fields, point.time_ns)

    def _check_device(self, tags: dict[str, str], measurement: str) -> None:
        device = tags.get("device")
        if self.node.kind is NodeKind.agent:
            if device is not None:
                raise LineProtocolError("an agent cannot send a device tag")
            return
        if device is None:
            if measurement != "collector":
                raise LineProtocolError("a collector's line needs a device tag")
            return
        if device not in self.device_names:
            raise LineProtocolError(f"device {device[:40]!r} is not polled by this collector")


def identity_of(node: NodeIdentity) -> dict[str, str]:
    """The tags the server stamps on every line of this node."""
    identity = {"customer": node.customer_slug, "site": node.site_slug}
    if node.kind is NodeKind.agent:
        identity["host"] = node.name
    else:
        identity["collector"] = node.name
    return identity


# Which fields of a series (measurement, stamped tags) a reader of the batch wants; None or
# empty for none.
FieldSelector = Callable[[str, dict[str, str]], Container[str] | None]


@dataclass(slots=True, eq=False)
class Head:
    """A head the strict path accepted for a node: what the fast path needs to stamp it.

    Only ``checked_keys`` changes after it is made (by the compiled loop alone)."""

    measurement: str
    tags: dict[str, str]  # stamped; shared by every point made from this head: do not mutate
    stamped: bytes  # the stamped head as line protocol, tags sorted
    match: Callable[[bytes], re.Match[bytes] | None]  # fullmatch of the measurement's field set
    field_keys: frozenset[bytes]  # the measurement's field keys (the compiled fast_lines' check)
    device: str | None
    # The compiled loop's memo: the keys of the last field set it took for this head, in order,
    # each followed by "=". A sender repeats its field sets, so a line whose keys are exactly
    # these needs no look-up in field_keys.
    checked_keys: bytes = b""


# The fast path's loop over a piece's lines: the signature of :func:`fast_lines`.
FastLines = Callable[[list[bytes], int, dict[bytes, Head], int, int, int, int, list[Any], list[int]], int]


def fast_lines(
    lines: list[bytes],
    start: int,
    heads: dict[bytes, Head],
    oldest_ns: int,
    newest_ns: int,
    max_fields: int,
    first_number: int,
    entries: list[Any],
    numbers: list[int],
) -> int:
    """Take lines from ``lines[start]`` on while the fast path can: each taken line appends
    ``(head, stamped line)`` to ``entries`` and its number (``first_number`` + its index) to
    ``numbers``. Returns the index of the first line not taken, ``len(lines)`` if none.

    A line is taken when it holds no backslash and no double quote, splits on single spaces
    into exactly a known head, a field set of at most ``max_fields`` ``key=number`` pairs with
    the measurement's keys, and a timestamp of ASCII digits within [oldest_ns, newest_ns].
    This is the definition; server/services/_fastlines.c is the same loop compiled, held to it
    by tests/server/test_ingest_check.py."""
    max_commas = max_fields - 1
    add_entry, add_number = entries.append, numbers.append
    for index in range(start, len(lines)):
        raw = lines[index]
        if b"\\" in raw or b'"' in raw:
            return index
        parts = raw.split(b" ")
        if len(parts) != 3:
            return index
        head_bytes, fields, stamp = parts
        head = heads.get(head_bytes)
        if (
            head is None
            or not stamp.isdigit()
            or fields.count(b",") > max_commas
            or head.match(fields) is None
            or not oldest_ns <= int(stamp) <= newest_ns
        ):
            return index
        if b"i," in fields or b"u," in fields or fields[-1] in b"iu":
            line = b"%s %s %s" % (head.stamped, _drop_int_suffixes(fields), stamp)
        else:
            line = head.stamped + raw[len(head_bytes) :]
        add_entry((head, line))
        add_number(first_number + index)
    return len(lines)


try:  # the same loop compiled (setup.py builds it where a C compiler is at hand)
    from vigil.server.services._fastlines import fast_lines as compiled_fast_lines
except ImportError:
    compiled_fast_lines = None

FAST_LINES: FastLines = compiled_fast_lines or fast_lines


@dataclass
class AcceptedBatch:
    """The accepted lines of one batch, in order, with their line numbers.

    Each entry is either ``(head, stamped line)`` from the fast path or a :class:`Point` from
    the strict path.
    """

    entries: list[tuple[Head, bytes] | Point] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    # The device tags of the entries; None stands for lines without one (a node's own lines).
    devices: set[str | None] = field(default_factory=set)
    _selected: dict[FieldSelector, list[Point]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.entries)

    def line_protocol(self, encoder: LineEncoder, start: int = 0, end: int | None = None) -> bytes:
        """The stamped lines (entries ``start`` to ``end``) as the InfluxDB store writes them."""
        encode = encoder.encode
        lines = [  # a comprehension: this runs for every accepted line
            encode([entry])[:-1] if isinstance(entry, Point) else entry[1]
            for entry in self.entries[start:end]
        ]
        if b"" in lines:  # a point the encoder wrote nothing for
            lines = [line for line in lines if line]
        if not lines:
            return b""
        lines.append(b"")  # the final newline, without copying the joined body once more
        return b"\n".join(lines)

    def points(
        self, wanted: FieldSelector | None = None, indexes: Iterable[int] | None = None, oldest_ns: int | None = None
    ) -> list[Point]:
        """The accepted points, parsed now. With ``wanted``, only the fields it names for each
        series (asked once per series), only the points left with a field and, with
        ``oldest_ns``, only those not older (the rest are not parsed); the answer for a selector
        is remembered, so a later call with it gets the same list. With ``indexes``, only those
        entries."""
        if wanted is not None and indexes is None:
            known = self._selected.get(wanted)
            if known is not None:
                return known
        chosen: dict[int, Container[str] | None] = {}
        out: list[Point] = []
        entries = self.entries if indexes is None else [self.entries[i] for i in indexes]
        for entry in entries:
            if isinstance(entry, Point):
                if wanted is None:
                    out.append(entry)
                    continue
                names = wanted(entry.measurement, entry.tags)
                if names and (oldest_ns is None or entry.time_ns >= oldest_ns):
                    kept = {key: value for key, value in entry.fields.items() if key in names}
                    if kept:
                        out.append(Point(entry.measurement, entry.tags, kept, entry.time_ns))
                continue
            head, line = entry
            names = None
            if wanted is not None:
                if id(head) in chosen:
                    names = chosen[id(head)]
                else:
                    names = chosen[id(head)] = wanted(head.measurement, head.tags) or ()
                if not names:
                    continue
            _, fields, stamp = line.rsplit(b" ", 2)  # the stamped head may hold escaped spaces
            time_ns = int(stamp)
            if oldest_ns is not None and time_ns < oldest_ns:
                continue
            values: dict[str, Any] = {}
            for pair in fields.split(b","):
                key, _, text = pair.partition(b"=")
                name = key.decode()
                if names is None or name in names:
                    values[name] = float(text)
            if values:
                out.append(Point(head.measurement, head.tags, values, time_ns))
        if wanted is not None and indexes is None:
            self._selected[wanted] = out
        return out

    def subset(self, keep: list[int]) -> AcceptedBatch:
        """The batch with only the entries at these indexes."""
        kept = AcceptedBatch([self.entries[i] for i in keep], [self.numbers[i] for i in keep])
        kept.find_devices()
        return kept

    def find_devices(self, node: NodeIdentity | None = None) -> None:
        """Fill ``devices``; an agent's lines never carry a device tag (LineChecker)."""
        if node is not None and node.kind is NodeKind.agent:
            self.devices = {None} if self.entries else set()
            return
        devices: set[str | None] = set()
        heads: set[int] = set()
        for entry in self.entries:
            if isinstance(entry, Point):
                devices.add(entry.tags.get("device"))
            elif id(entry[0]) not in heads:
                heads.add(id(entry[0]))
                devices.add(entry[0].device)
        self.devices = devices


class NodeHeads:
    """The heads learned for one node, valid while its identity and device list stay the same."""

    def __init__(self, node: NodeIdentity, device_names: frozenset[str], max_heads: int) -> None:
        self.key = (node.kind, node.customer_slug, node.site_slug, node.name, device_names)
        self.max_heads = max_heads
        self.heads: dict[bytes, Head] = {}


class BatchChecker:
    """Checks batches line by line, taking the fast path where it is exact (module docstring).

    One instance serves the whole server; learned heads are kept per node, for a bounded
    number of nodes (the least recently seen are forgotten) and heads per node.
    """

    def __init__(
        self,
        limits: IngestLimits,
        max_nodes: int = 4096,
        max_heads_per_node: int = 20_000,
        fast: FastLines = FAST_LINES,
    ) -> None:
        self.limits = limits
        self.fast = fast
        self.max_nodes = max_nodes
        self.max_heads_per_node = max_heads_per_node
        self._nodes: OrderedDict[int, NodeHeads] = OrderedDict()
        self._lock = threading.Lock()

    def _heads_for(self, node: NodeIdentity, device_names: frozenset[str]) -> NodeHeads:
        with self._lock:
            known = self._nodes.get(node.node_id)
            if known is None or known.key != (node.kind, node.customer_slug, node.site_slug, node.name, device_names):
                known = self._nodes[node.node_id] = NodeHeads(node, device_names, self.max_heads_per_node)
            self._nodes.move_to_end(node.node_id)
            while len(self._nodes) > self.max_nodes:
                self._nodes.popitem(last=False)
            return known

    def begin(self, node: NodeIdentity, device_names: frozenset[str], now_ns: int) -> BatchScope:
        """The checking of one batch of this node, received at ``now_ns``."""
        strict = LineChecker(node, self.limits, device_names, now_ns)
        return BatchScope(self, strict, self._heads_for(node, device_names))

    def check(
        self,
        node: NodeIdentity,
        device_names: frozenset[str],
        text: bytes,
        now_ns: int,
        rejected: list[dict[str, Any]],
    ) -> AcceptedBatch:
        """Accepted lines of the batch (lines separated by newlines); each rejected line is
        appended to ``rejected`` with its number and reason."""
        batch = AcceptedBatch()
        self.begin(node, device_names, now_ns).check_lines(text.split(b"\n"), 1, batch, rejected)
        batch.find_devices(node)
        return batch


class BatchScope:
    """Checks the lines of one batch, in pieces if the caller wants to act on each piece."""

    def __init__(self, owner: BatchChecker, strict: LineChecker, known: NodeHeads) -> None:
        self.strict = strict
        self.known = known
        self.max_fields = owner.limits.max_fields
        self.fast = owner.fast

    def check_lines(
        self, lines: list[bytes], first_number: int, batch: AcceptedBatch, rejected: list[dict[str, Any]]
    ) -> None:
        """Check ``lines`` (numbered from ``first_number``), appending the accepted ones to
        ``batch`` and the rejected ones to ``rejected``: the fast path takes what it can, and
        each line it stops at is skipped (blank, comment) or checked strictly."""
        heads, oldest, newest = self.known.heads, self.strict.oldest_ns, self.strict.newest_ns
        index, end = 0, len(lines)
        while index < end:
            index = self.fast(
                lines, index, heads, oldest, newest, self.max_fields, first_number, batch.entries, batch.numbers
            )
            if index == end:
                return
            raw = lines[index]
            if raw.strip() and not raw.startswith(b"#"):
                self._check_strictly(raw, first_number + index, batch, rejected)
            index += 1

    def _check_strictly(self, raw: bytes, number: int, batch: AcceptedBatch, rejected: list[dict[str, Any]]) -> None:
        try:
            parsed = parse_line(raw.decode("utf-8"), self.strict.now_ns)
            point = self.strict.check_parsed(parsed)
        except UnicodeDecodeError:
            rejected.append({"line": number, "reason": "not valid UTF-8"})
            return
        except LineProtocolError as exc:
            rejected.append({"line": number, "reason": str(exc)})
            return
        batch.entries.append(point)
        batch.numbers.append(number)
        self._learn(raw, parsed, point)

    def _learn(self, raw: bytes, parsed: Point, point: Point) -> None:
        known = self.known
        head_bytes = raw.split(b" ", 1)[0]
        if head_bytes in known.heads or len(known.heads) >= known.max_heads:
            return
        pattern = _FIELD_PATTERNS.get(point.measurement)
        if pattern is None or b"\\" in raw or b'"' in raw:
            return
        # The plain split must read the head exactly as the strict parser did.
        if encode_head(parsed.measurement, parsed.tags, sort=False).encode() != head_bytes:
            return
        if point_problem(point) is not None:
            return
        stamped = encode_head(point.measurement, point.tags).encode()
        device = point.tags.get("device")
        keys = _FIELD_KEYS[point.measurement]
        known.heads[head_bytes] = Head(point.measurement, point.tags, stamped, pattern.fullmatch, keys, device)
