"""Poll one device by SNMP once: read the system group, choose profiles, walk, build Points.

The poller holds no sockets of its own: it asks an :class:`Target` for GETs and column
walks and turns the answers into :class:`vigil.agent.wire.Point` s following the profile rows.
Per device it remembers which columns the agent lacks (so 32-bit fallbacks and absent vendor
tables cost nothing on later polls) and how many polls it has done (inventory tables are read
every Nth poll).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from vigil.agent.wire import FieldValue, Point
from vigil.collector.device_text import device_tag, device_text
from vigil.collector.field_types import typed_fields
from vigil.collector.snmp.client import Target, Value, Varbind
from vigil.collector.snmp.profiles import Derive, Metric, Table, profile_by_name, select_profiles
from vigil.collector.snmp.rates import RateTracker

ABSENT_RECHECK_POLLS = 30
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"

_SENSOR_TYPES: dict[int, tuple[str, str]] = {
    3: ("voltage", "voltage_volts"),
    4: ("voltage", "voltage_volts"),
    5: ("current", "current_amps"),
    6: ("power", "power_watts"),
    8: ("temperature", "temperature_celsius"),
    9: ("humidity", "humidity_percent"),
    10: ("fan", "fan_rpm"),
}


@dataclass
class DeviceState:
    """What the poller keeps between polls of one device."""

    polls: int = 0
    absent: dict[str, int] = field(default_factory=dict)  # column -> poll number to recheck at


@dataclass
class PollResult:
    points: list[Point]
    profiles: list[str]
    vendor_profile: str | None
    sys_object_id: str
    varbinds: int
    duration_seconds: float
    restarted: bool = False


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, bytes):
        try:
            number = float(value.decode("ascii", errors="strict").strip())
        except (UnicodeDecodeError, ValueError):
            return None
        return number if math.isfinite(number) else None
    return None


def _put(metric: Metric, value: FieldValue, tags: dict[str, str], fields: dict[str, FieldValue]) -> None:
    """A tag's value goes among the tags, as text; a field's among the fields."""
    if metric.kind == "tag":
        tags[metric.field] = str(value)
    else:
        fields[metric.field] = value


def _index(oid: str, column: str) -> str:
    return oid[len(column) + 1 :]


class SnmpPoller:
    """Polls devices through targets; one poller serves the whole collector."""

    def __init__(self, rates: RateTracker | None = None) -> None:
        self.rates = rates or RateTracker()
        self.states: dict[str, DeviceState] = defaultdict(DeviceState)

    async def poll(self, device: str, target: Target, profile_override: str | None = None) -> PollResult:
        started = time.monotonic()
        time_ns = time.time_ns()
        state = self.states[device]
        varbinds = 0
        system = profile_by_name("system")
        scalar_oids = [m.oid for t in system.tables for m in t.metrics]
        system_values = await target.get(scalar_oids)
        varbinds += len(system_values)
        object_id_vb = system_values.get(SYS_OBJECT_ID)
        sys_object_id = str(object_id_vb.value) if object_id_vb else ""
        uptime_vb = system_values.get(SYS_UPTIME)
        uptime = float(uptime_vb.value) / 100.0 if uptime_vb and isinstance(uptime_vb.value, int) else None
        restarted = self.rates.observe_uptime(device, uptime)

        profiles = select_profiles(sys_object_id, profile_override)
        vendor = next((p.name for p in profiles if not p.standard), None)
        tables = [
            t for p in profiles if p.name != "system" for t in p.tables
            if state.polls % t.every_polls == 0
        ]
        # One GET for every scalar of every table; columns walked per table, shared across tables.
        scalars = await target.get([m.oid for t in tables if t.scalar for m in t.metrics])
        varbinds += len(scalars)
        scalars.update(system_values)
        columns: dict[str, list[Varbind]] = {}
        column_times: dict[str, float] = {}
        for table in (t for t in tables if not t.scalar):
            varbinds += await self._walk_table(table, target, state, columns, column_times)

        points: list[Point] = []
        for table in (t for p in profiles for t in p.tables if p.name == "system"):
            points.extend(self._scalar_points(device, table, scalars, time_ns, time.monotonic()))
        for table in tables:
            if table.scalar:
                points.extend(self._scalar_points(device, table, scalars, time_ns, time.monotonic()))
            else:
                points.extend(self._table_points(device, table, columns, column_times, time_ns))
        state.polls += 1
        duration = time.monotonic() - started
        return PollResult(points, [p.name for p in profiles], vendor, sys_object_id, varbinds, duration,
                          restarted)

    async def _walk_table(self, table: Table, target: Target, state: DeviceState,
                          columns: dict[str, list[Varbind]], column_times: dict[str, float]) -> int:
        """Walk the table's primary columns, then fallbacks whose primary is absent."""
        by_field: dict[str, list[str]] = defaultdict(list)
        for metric in table.metrics:
            if metric.oid not in by_field[metric.field]:
                by_field[metric.field].append(metric.oid)
        groups = list(by_field.values())
        if table.label_oids:
            groups.append(list(table.label_oids))
        count = 0
        for depth in range(max(len(g) for g in groups)):
            wanted = []
            for group in groups:
                if depth >= len(group):
                    continue
                if depth > 0 and any(columns.get(c) for c in group[:depth]):
                    continue  # an earlier column of this group answered
                column = group[depth]
                if column in columns or column in wanted:
                    continue
                if state.absent.get(column, -1) > state.polls:
                    columns[column] = []
                    continue
                wanted.append(column)
            if not wanted:
                continue
            walked = await target.walk_columns(wanted)
            now = time.monotonic()
            for column, rows in walked.items():
                columns[column] = rows
                column_times[column] = now
                count += len(rows)
                if rows:
                    state.absent.pop(column, None)
                else:
                    state.absent[column] = state.polls + ABSENT_RECHECK_POLLS
        return count

    def _value(self, device: str, metric: Metric, vb: Varbind, now: float) -> FieldValue | None:
        raw = vb.value
        if metric.kind in ("text", "tag"):
            if isinstance(raw, bytes):
                return device_text(raw) if metric.kind == "text" else device_tag(raw)
            return device_text(str(raw)) if metric.kind == "text" else device_tag(str(raw))
        if metric.kind == "status":
            number = _number(raw)
            return None if number is None else (1 if int(number) in metric.ok_values else 0)
        if metric.kind == "counter":
            if not isinstance(raw, int):
                return None
            rate = self.rates.rate(device, vb.oid, raw, vb.counter_bits or 64, now)
            return None if rate is None else rate * metric.scale
        number = _number(raw)
        if number is None or (metric.invalid_values and int(number) in metric.invalid_values):
            return None
        scaled = round(number * metric.scale, 6)
        if metric.scale == 1.0 and isinstance(raw, int):
            return raw
        return scaled

    def _scalar_points(self, device: str, table: Table, values: dict[str, Varbind], time_ns: int,
                       now: float) -> list[Point]:
        row: dict[str, FieldValue] = {}
        tags: dict[str, str] = {}
        for metric in table.metrics:
            if metric.field in row or metric.field in tags:
                continue
            vb = values.get(metric.oid)
            if vb is None:
                continue
            value = self._value(device, metric, vb, now)
            if value is not None:
                _put(metric, value, tags, row)
        point = self._finish(device, table, row, tags, "")
        return [Point(point.measurement, point.tags, point.fields, time_ns)] if point else []

    def _table_points(self, device: str, table: Table, columns: dict[str, list[Varbind]],
                      column_times: dict[str, float], time_ns: int) -> list[Point]:
        rows: dict[str, dict[str, FieldValue]] = defaultdict(dict)
        row_tags: dict[str, dict[str, str]] = defaultdict(dict)
        order: dict[str, None] = {}
        for metric in table.metrics:
            for vb in columns.get(metric.oid, []):
                index = _index(vb.oid, metric.oid)
                order.setdefault(index, None)
                index_tags, index_fields = row_tags[index], rows[index]
                if metric.field in (index_tags if metric.kind == "tag" else index_fields):
                    continue
                value = self._value(device, metric, vb, column_times.get(metric.oid, time.monotonic()))
                if value is not None:
                    _put(metric, value, index_tags, index_fields)
        labels: dict[str, str] = {}
        for label_oid in table.label_oids:
            for vb in columns.get(label_oid, []):
                index = _index(vb.oid, label_oid)
                if index not in labels:
                    text = device_tag(vb.value if isinstance(vb.value, bytes | str) else str(vb.value))
                    if text:
                        labels[index] = text
        kept: list[tuple[str, str, Point]] = []
        for index in order:
            label = labels.get(index, index)
            point = self._finish(device, table, rows[index], row_tags[index], label)
            if point:
                kept.append((index, label, point))
        # Duplicate names would overwrite each other's series: those get their index. Counted
        # over the rows kept, so a name shared with a dropped row (a sensor reading "not
        # supported") stays plain.
        seen: dict[str, int] = defaultdict(int)
        for _, label, _ in kept:
            seen[label] += 1
        points = []
        for index, label, point in kept:
            tags = point.tags
            if seen[label] > 1 and table.label_tag:
                tags = {**tags, table.label_tag: f"{label} #{index}"}
            points.append(Point(point.measurement, tags, point.fields, time_ns))
        return points

    def _finish(self, device: str, table: Table, row: dict[str, FieldValue], tags: dict[str, str],
                label: str) -> Point | None:
        if table.keep_field:
            keep = row.get(table.keep_field)
            if not isinstance(keep, int | float) or int(keep) not in table.keep_values:
                return None
        all_tags = {"device": device, **dict(table.tags), **tags}
        for derive in table.derive:
            _apply(derive, row, all_tags)
        if table.require_nonzero and not row.get(table.require_nonzero):
            return None
        hidden = {m.field for m in table.metrics if m.kind == "aux"} | set(table.drop)
        fields = typed_fields({k: v for k, v in row.items() if k not in hidden})
        if table.label_tag and label:
            all_tags[table.label_tag] = label
        if not fields:
            return None
        return Point(table.measurement, all_tags, fields, time.time_ns())


def _operand(row: dict[str, FieldValue], ref: str | float) -> float | None:
    if isinstance(ref, str):
        value = row.get(ref)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
    return float(ref)


def _apply(derive: Derive, row: dict[str, FieldValue], tags: dict[str, str]) -> None:
    if derive.op == "entity_sensor":
        _entity_sensor(row, tags)
        return
    a, b = _operand(row, derive.a), _operand(row, derive.b)
    if a is None or b is None:
        return
    if derive.op == "sum":
        row[derive.field] = a + b
    elif derive.op == "difference":
        row[derive.field] = a - b
    elif derive.op == "product":
        row[derive.field] = a * b
    elif derive.op == "percent" and b > 0:
        row[derive.field] = round(a / b * 100.0, 4)


def _entity_sensor(row: dict[str, FieldValue], tags: dict[str, str]) -> None:
    """ENTITY-SENSOR-MIB: value x 10^(3 x (scale - 9)) / 10^precision, field chosen by type."""
    sensor_type = _operand(row, "sensor_type")
    value = _operand(row, "sensor_value")
    if sensor_type is None or value is None or int(sensor_type) not in _SENSOR_TYPES:
        return
    scale = _operand(row, "sensor_scale") or 9.0
    precision = _operand(row, "sensor_precision") or 0.0
    kind, field_name = _SENSOR_TYPES[int(sensor_type)]
    row[field_name] = value * 10.0 ** (3 * (int(scale) - 9)) / 10.0 ** int(precision)
    tags.setdefault("kind", kind)
