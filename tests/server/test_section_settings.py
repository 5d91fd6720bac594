"""Each part's ``[extra_sections.NAME]`` table: a bad value is refused with its key named."""

from __future__ import annotations

import pytest
from vigil.server.alerting.config import alerting_settings
from vigil.server.errors import InvalidInput
from vigil.server.reports.config import report_settings
from vigil.server.tickets.config import desk_settings


@pytest.mark.parametrize(
    ("parse", "raw", "message"),
    [
        (alerting_settings, {"linger_seconds": -1}, "extra_sections.alerting.linger_seconds"),
        (desk_settings, {"survey_valid_days": 0}, "extra_sections.desk.survey_valid_days"),
        (desk_settings, {"no_such_key": 1}, "extra_sections.desk.no_such_key"),
        (desk_settings, {"channels": {"mail": {"type": "pigeon"}}}, "extra_sections.desk.channels: channel 'mail'"),
        (report_settings, {"no_such_key": 1}, "extra_sections.reports.no_such_key"),
    ],
)
def test_a_bad_section_value_names_its_key(parse, raw, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        parse(raw)
    assert caught.value.message.startswith(message), caught.value.message


def test_empty_sections_give_the_defaults() -> None:
    assert alerting_settings(None).enabled
    assert desk_settings({}).notice_channel == "email"
    assert report_settings(None) == report_settings({})
