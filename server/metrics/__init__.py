"""Metric stores: where ingested points go and where queries read them (see ``base``).

A backend is a module of this package named like ``settings.backend`` (``embedded``,
``influxdb``) with ``open_store(settings, data_dir)``; :func:`open_store` finds it by that name,
so adding a backend is adding a file (and its name to ``MetricsSettings.backend``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import cast

from vigil.server.config import MetricsSettings
from vigil.server.metrics.base import (
    LatestValue,
    MetricStore,
    MetricStoreError,
    MetricStoreUnavailable,
    MetricWriteRejected,
    Series,
    SeriesQuery,
)

__all__ = [
    "LatestValue",
    "MetricStore",
    "MetricStoreError",
    "MetricStoreUnavailable",
    "MetricWriteRejected",
    "Series",
    "SeriesQuery",
    "open_store",
]


def open_store(settings: MetricsSettings, data_dir: Path) -> MetricStore:
    """Open the backend named by ``settings.backend``; ``data_dir`` holds the embedded file."""
    name = f"vigil.server.metrics.{settings.backend}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise MetricStoreError(f"unknown metric backend {settings.backend!r}") from exc
    return cast(MetricStore, module.open_store(settings, data_dir))
