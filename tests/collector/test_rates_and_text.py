"""Counter rates (wrap, reset, agent restart) and untrusted device text: pure functions."""

from __future__ import annotations

import pytest
from vigil.collector.device_text import TAG_LIMIT_CHARS, device_tag, device_text
from vigil.collector.snmp.rates import RateTracker


def test_first_sample_gives_no_rate_then_rate_per_second() -> None:
    rates = RateTracker()
    assert rates.rate("d", "1.1", 1000, 64, 100.0) is None
    assert rates.rate("d", "1.1", 4000, 64, 110.0) == pytest.approx(300.0)


def test_32_bit_wrap_is_added_back_once() -> None:
    rates = RateTracker()
    rates.rate("d", "x", 2**32 - 100, 32, 0.0)
    assert rates.rate("d", "x", 900, 32, 10.0) == pytest.approx(100.0)


def test_64_bit_going_back_is_a_reset_not_a_spike() -> None:
    rates = RateTracker()
    rates.rate("d", "x", 10**15, 64, 0.0)
    assert rates.rate("d", "x", 5, 64, 10.0) is None
    assert rates.rate("d", "x", 105, 64, 20.0) == pytest.approx(10.0)


def test_uptime_going_back_drops_previous_samples() -> None:
    rates = RateTracker()
    assert rates.observe_uptime("d", 1000.0) is False
    rates.rate("d", "x", 10, 32, 0.0)
    rates.rate("other", "x", 10, 32, 0.0)
    assert rates.observe_uptime("d", 1060.0) is False
    assert rates.observe_uptime("d", 5.0) is True  # the agent restarted
    # The counter restarted from a small value: no rate, no 2**32 spike.
    assert rates.rate("d", "x", 3, 32, 60.0) is None
    assert rates.rate("other", "x", 70, 32, 60.0) == pytest.approx(1.0)


def test_no_rate_when_time_does_not_advance() -> None:
    rates = RateTracker()
    rates.rate("d", "x", 1, 64, 5.0)
    assert rates.rate("d", "x", 2, 64, 5.0) is None


def test_device_text_decodes_anything_and_bounds_it() -> None:
    assert device_text(b"rack \xe6\x9c\xba\xe6\x88\xbf") == "rack 机房"
    assert device_text(bytes.fromhex("d6d0cec4")) == "中文"  # GBK
    assert "\ufffd" in device_text(b"\xff\xfe\xfa\xfb\x80")
    assert device_text(b"a\nb\rc\x00d\x1b[31m") == "a b c d [31m"
    assert len(device_text(b"x" * 100_000)) == 256
    assert len(device_tag("y" * 1000)) == TAG_LIMIT_CHARS
