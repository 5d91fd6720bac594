"""The alerting settings come from the config file's ``[extra_sections.alerting]`` table."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from vigil.server.alerting.install import install
from vigil.server.config import Settings
from vigil.server.context import build_context
from vigil.server.errors import InvalidInput


def _installed(settings: Settings, section: dict[str, object]) -> tuple[int, set[str]]:
    ctx = build_context(settings.model_copy(update={"extra_sections": {"alerting": section}}))
    try:
        install(FastAPI(), ctx)
        return len(ctx.ingest.hooks), set(ctx.workers)
    finally:
        ctx.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_alerting_can_be_switched_off_and_tuned_from_the_config(settings: Settings) -> None:
    hooks, workers = _installed(settings, {})
    assert hooks == 2 and {"alerting-arrival", "alerting-schedule"} <= workers
    hooks, workers = _installed(settings, {"recent_samples": False, "linger_seconds": 0.2})
    assert hooks == 1 and "alerting-arrival" in workers
    hooks, workers = _installed(settings, {"enabled": False})
    assert hooks == 0 and not {"alerting-arrival", "alerting-schedule"} & workers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"linger_seconds": 5}, "linger_seconds"),
        ({"device_interval_seconds": -1}, "device_interval_seconds"),
        ({"enable": False}, "enable"),
        ({"enabled": "maybe"}, "enabled"),
    ],
)
def test_a_bad_alerting_setting_names_its_key(settings: Settings, section: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidInput, match=f"extra_sections.alerting.{key}"):
        _installed(settings, section)
