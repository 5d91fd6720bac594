"""The agent's metric families: one module per family, found by module name.

A family module holds:

- ``DEFAULT_INTERVAL_SECONDS``: how often it runs unless the config says otherwise;
- ``Options``: a :class:`~vigil.agent.record.Record` of its settings (all with defaults),
  checked at start-up (a record, not a frozen dataclass: see vigil.agent.record);
- ``collect(ctx: CollectContext) -> list[Point]``.

Adding a family is adding a file here; the registry key is the module name, which is also the
``[collectors.<name>]`` section of the config file. Collectors never write anywhere: they return
points and the runner spools them.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from types import ModuleType

from vigil.agent.rates import RateTracker
from vigil.agent.record import Record
from vigil.agent.wire import Point

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import typing
    from typing import Any


class UnknownCollectorError(KeyError):
    """No collector module of that name."""


class CollectContext:
    """What a collector gets on each call: its options and memory that outlives the call."""

    __slots__ = ("options", "rates", "state", "now_ns", "monotonic_seconds")

    def __init__(self, options: Any, rates: RateTracker | None = None) -> None:
        self.options = options
        self.rates = rates if rates is not None else RateTracker()
        # Free-form memory of the collector between calls (previous CPU times, per-process times).
        self.state: dict[str, Any] = {}
        self.now_ns = 0
        self.monotonic_seconds = 0.0

    def tick(self) -> None:
        self.now_ns = time.time_ns()
        self.monotonic_seconds = time.monotonic()


class CollectorSpec(Record):
    name: str
    default_interval_seconds: float
    options_type: type
    collect: Callable[[CollectContext], list[Point]]


def names() -> list[str]:
    """Every collector module in this package, sorted."""
    folder = os.path.dirname(__file__)
    return sorted(
        entry.name[:-3] for entry in os.scandir(folder) if entry.name.endswith(".py") and not entry.name.startswith("_")
    )


def load(name: str) -> CollectorSpec:
    if name not in names():
        raise UnknownCollectorError(name)
    module: ModuleType = importlib.import_module(f"vigil.agent.collectors.{name}")
    return CollectorSpec(
        name=name,
        default_interval_seconds=float(module.DEFAULT_INTERVAL_SECONDS),
        options_type=module.Options,
        collect=module.collect,
    )
