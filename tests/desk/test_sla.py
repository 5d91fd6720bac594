"""SLA arithmetic on the 2026 China calendar: nights, weekends, the Spring Festival and its
make-up workdays (Saturday 2026-02-14 and 2026-02-28 are workdays; 02-16..20 and 02-23 are off),
pauses, and priority and contract changes that keep the paused time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vigil.server.errors import InvalidInput
from vigil.server.tickets import sla

SH = ZoneInfo("Asia/Shanghai")
BUSINESS = sla.ServiceHours(kind="business", timezone="Asia/Shanghai")
ALWAYS = sla.ServiceHours(kind="24x7")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[arg-type,misc]


def test_make_up_workday_and_spring_festival_are_known() -> None:
    assert sla.is_working_day(BUSINESS, local(2026, 2, 14).date())  # Saturday, make-up workday
    assert sla.is_working_day(BUSINESS, local(2026, 2, 28).date())
    for day in (15, 16, 17, 18, 19, 20, 21, 22, 23):
        assert not sla.is_working_day(BUSINESS, local(2026, 2, day).date())
    assert sla.is_working_day(BUSINESS, local(2026, 2, 24).date())


def test_overnight_business_hours() -> None:
    start = local(2026, 3, 3, 17, 30)  # Tuesday
    assert sla.add_service_seconds(BUSINESS, start, 3600) == local(2026, 3, 4, 9, 30)
    assert sla.service_seconds(BUSINESS, start, local(2026, 3, 4, 9, 30)) == 3600


def test_ordinary_weekend_is_skipped() -> None:
    start = local(2026, 3, 6, 17, 0)  # Friday
    assert sla.add_service_seconds(BUSINESS, start, 2 * 3600) == local(2026, 3, 9, 10, 0)


def test_saturday_make_up_workday_counts() -> None:
    start = local(2026, 2, 13, 17, 0)  # Friday before the festival
    assert sla.add_service_seconds(BUSINESS, start, 4 * 3600) == local(2026, 2, 14, 12, 0)


def test_spring_festival_is_skipped() -> None:
    start = local(2026, 2, 14, 17, 0)  # the make-up Saturday, one hour before closing
    due = sla.add_service_seconds(BUSINESS, start, 2 * 3600)
    assert due == local(2026, 2, 24, 10, 0)
    assert sla.service_seconds(BUSINESS, start, due) == 2 * 3600


def test_start_outside_hours_begins_at_opening() -> None:
    start = local(2026, 3, 7, 22, 15)  # Saturday night, not a workday
    assert sla.add_service_seconds(BUSINESS, start, 60) == local(2026, 3, 9, 9, 1)


def test_24x7_counts_every_second() -> None:
    start = local(2026, 2, 16, 3, 0)
    assert sla.add_service_seconds(ALWAYS, start, 900) == local(2026, 2, 16, 3, 15)


def test_pause_moves_the_deadline_and_hides_it_while_paused() -> None:
    start = datetime(2026, 5, 5, 2, 0, tzinfo=UTC)
    pause_open = [sla.Pause(start + timedelta(minutes=10))]
    state = sla.clock(ALWAYS, 60, start, start + timedelta(minutes=40), pause_open)
    assert state.paused and state.due_at is None
    assert state.elapsed_seconds == 600
    pause_closed = [sla.Pause(start + timedelta(minutes=10), start + timedelta(minutes=40))]
    state = sla.clock(ALWAYS, 60, start, start + timedelta(minutes=45), pause_closed)
    assert not state.paused
    assert state.elapsed_seconds == 15 * 60
    assert state.due_at == start + timedelta(minutes=90)


def test_pause_in_business_hours_counts_only_service_time() -> None:
    start = local(2026, 3, 3, 9, 0)
    # paused from 17:00 Tuesday to 10:00 Wednesday: only 1 h + 1 h of service time is paused
    pauses = [sla.Pause(local(2026, 3, 3, 17, 0), local(2026, 3, 4, 10, 0))]
    state = sla.clock(BUSINESS, 16 * 60, start, local(2026, 3, 4, 12, 0), pauses)
    assert state.elapsed_seconds == (8 + 2) * 3600


def test_priority_change_keeps_paused_time() -> None:
    start = datetime(2026, 5, 5, 2, 0, tzinfo=UTC)
    pauses = [sla.Pause(start + timedelta(minutes=5), start + timedelta(minutes=65))]
    now = start + timedelta(minutes=80)
    as_p3 = sla.clock(ALWAYS, 120, start, now, pauses)
    as_p1 = sla.clock(ALWAYS, 15, start, now, pauses)
    assert as_p3.elapsed_seconds == as_p1.elapsed_seconds == 20 * 60
    assert not as_p3.breached and as_p1.breached
    # breached: the deadline is the instant it was crossed, counting the pause
    assert as_p1.due_at == start + timedelta(minutes=75)
    assert as_p3.due_at == start + timedelta(minutes=180)


def test_contract_change_keeps_paused_time() -> None:
    start = local(2026, 3, 3, 9, 0)
    pauses = [sla.Pause(local(2026, 3, 3, 10, 0), local(2026, 3, 3, 11, 0))]
    now = local(2026, 3, 3, 20, 0)
    gold = sla.sla_terms("gold", {}, "Asia/Shanghai")
    silver = sla.sla_terms("silver", {}, "Asia/Shanghai")
    assert sla.clock(gold.service_hours, 480, start, now, pauses).elapsed_seconds == 10 * 3600
    assert sla.clock(silver.service_hours, 480, start, now, pauses).elapsed_seconds == 8 * 3600


def test_stopped_clock_freezes() -> None:
    start = datetime(2026, 5, 5, 2, 0, tzinfo=UTC)
    state = sla.clock(ALWAYS, 30, start, start + timedelta(hours=5), (), start + timedelta(minutes=10))
    assert state.stopped and state.elapsed_seconds == 600 and not state.breached and state.due_at is None


def test_priority_matrix_default_and_per_contract() -> None:
    terms = sla.sla_terms("gold", {})
    assert sla.priority_for(terms, "high", "high") == "P1"
    assert sla.priority_for(terms, "low", "low") == "P4"
    custom = sla.sla_terms("gold", {"priority_matrix": {"medium": {"medium": "P2"}}})
    assert sla.priority_for(custom, "medium", "medium") == "P2"
    assert sla.priority_for(custom, "high", "medium") == "P2"
    with pytest.raises(InvalidInput):
        sla.priority_for(terms, "extreme", "high")


def test_contract_target_override() -> None:
    terms = sla.sla_terms("silver", {"targets": {"P1": {"response_minutes": 10}}})
    assert terms.targets["P1"].response_minutes == 10
    assert terms.targets["P1"].resolution_minutes == 480
    assert terms.service_hours.kind == "business"


@pytest.mark.parametrize(
    ("level", "terms", "needle"),
    [
        ("platinum", {}, "unknown SLA level"),
        ("gold", {"priority_matrix": {"high": {"high": "P9"}}}, "priority_matrix"),
        ("gold", {"targets": {"P2": {"response_minutes": 0}}}, "targets.P2"),
        ("gold", {"service_hours": {"timezone": "Mars/Olympus"}}, "time zone"),
        ("gold", {"service_hours": {"kind": "business", "start": "18:00", "end": "09:00"}}, "end after"),
        ("gold", {"service_hours": {"kind": "business", "country": "XX"}}, "calendar"),
        ("gold", {"reminder_shares": [0.5, 1.5]}, "reminder shares"),
        ("gold", {"service_hours": {"colour": "red"}}, "colour"),
    ],
)
def test_bad_terms_are_refused_with_the_key(level: str, terms: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        sla.sla_terms(level, terms)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidInput):
        sla.service_seconds(BUSINESS, datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10))


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1)),
    seconds=st.integers(min_value=1, max_value=20 * 9 * 3600),
)
def test_add_and_measure_are_inverse(start: datetime, seconds: int) -> None:
    begin = start.replace(tzinfo=SH)
    due = sla.add_service_seconds(BUSINESS, begin, seconds)
    assert sla.service_seconds(BUSINESS, begin, due) == pytest.approx(seconds)
