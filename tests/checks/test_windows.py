"""Maintenance windows: one-off and recurring, in a time zone, scoped; planned downtime."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from vigil.checks.windows import MaintenanceWindow, WindowTarget, active_windows, is_active, planned_downtime

S = 1_000_000_000
WEB1 = WindowTarget("acme", "hq", "web1", "cpu_high", frozenset({"production"}))


def ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp()) * S


def window(**raw: Any) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate({"id": "w", "scope": {"customer": "acme"}, **raw})


def test_one_off_in_the_customers_time_zone() -> None:
    w = window(timezone="Asia/Shanghai", start="2026-03-02T02:00:00", duration="2h")
    assert not is_active(w, ns("2026-03-01T17:59:59+00:00"))
    assert is_active(w, ns("2026-03-01T18:00:00+00:00"))  # 02:00 in Shanghai
    assert not is_active(w, ns("2026-03-01T20:00:00+00:00"))


def test_weekly_recurrence_keeps_local_time_across_dst() -> None:
    w = window(timezone="Europe/Berlin", start="2026-03-01T02:30:00", duration="1h",
               recurrence={"every": "week", "weekdays": ["sun"]})
    assert is_active(w, ns("2026-03-22T01:45:00+00:00"))  # CET: 02:45 local
    assert is_active(w, ns("2026-04-05T00:45:00+00:00"))  # CEST: 02:45 local
    assert not is_active(w, ns("2026-04-05T01:45:00+00:00"))
    assert not is_active(w, ns("2026-03-23T01:45:00+00:00"))  # a Monday


def test_monthly_and_until() -> None:
    w = window(start="2026-01-01T22:00:00", duration="4h",
               recurrence={"every": "month", "month_days": [1, 15], "until": "2026-03-31"})
    assert is_active(w, ns("2026-02-15T23:00:00+00:00"))
    assert is_active(w, ns("2026-02-16T01:00:00+00:00"))  # runs past midnight
    assert not is_active(w, ns("2026-04-01T23:00:00+00:00"))


def test_no_occurrence_before_the_first_start() -> None:
    w = window(start="2026-03-10T01:00:00", duration="1h", recurrence={"every": "day"})
    assert not is_active(w, ns("2026-03-09T01:30:00+00:00"))
    assert is_active(w, ns("2026-03-11T01:30:00+00:00"))


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        ({"customer": "acme"}, True),
        ({"customer": "acme", "site": "hq"}, True),
        ({"customer": "acme", "site": "branch"}, False),
        ({"device": "web1"}, True),
        ({"tag": "production"}, True),
        ({"tag": "lab"}, False),
        ({"rule": "cpu_high"}, True),
        ({"customer": "acme", "rule": "disk_space_high"}, False),
    ],
)
def test_scope(scope: dict[str, str], covered: bool) -> None:
    w = window(scope=scope, start="2026-03-02T00:00:00", duration="1d")
    assert bool(active_windows([w], WEB1, ns("2026-03-02T12:00:00+00:00"))) is covered


def test_planned_downtime_merges_overlaps_and_clips_to_the_period() -> None:
    nightly = window(id="nightly", start="2026-03-01T01:00:00", duration="2h", recurrence={"every": "day"})
    overlap = window(id="extra", start="2026-03-03T02:00:00", duration="2h")
    spans = planned_downtime([nightly, overlap], WEB1, ns("2026-03-02T02:00:00+00:00"),
                             ns("2026-03-04T00:00:00+00:00"))
    assert [(b - ns("2026-03-02T00:00:00+00:00")) // S for b, _ in spans] == [7200, 90000]
    assert sum(e - b for b, e in spans) // S == 3600 + 3 * 3600


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"scope": {}}, "must name a customer"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"duration": "0s"}, "greater than 0"),
        ({"recurrence": {"every": "week"}}, "needs weekdays"),
        ({"recurrence": {"every": "month", "month_days": [32]}}, "1 to 31"),
        ({"recurrence": {"every": "day"}, "duration": "25h"}, "more than a day"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_bad_windows(raw: dict[str, Any], fragment: str) -> None:
    base = {"start": "2026-03-02T00:00:00", "duration": "1h", **raw}
    with pytest.raises(ValidationError) as caught:
        window(**base)
    assert fragment in str(caught.value)
