"""Channels by module name: ``vigil.server.notify.channels.<name>`` is channel type ``<name>``.

Adding a channel is adding a module with a ``Config`` model and ``send(config, message)``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from vigil.server.errors import InvalidInput
from vigil.server.notify import channels
from vigil.server.notify.base import ChannelConfig, Delivery, Message


@dataclass(frozen=True, slots=True)
class ChannelType:
    name: str
    config_model: type[ChannelConfig]
    send: Callable[..., Delivery]


@functools.cache
def channel_types() -> dict[str, ChannelType]:
    found: dict[str, ChannelType] = {}
    for info in pkgutil.iter_modules(channels.__path__):
        module = importlib.import_module(f"{channels.__name__}.{info.name}")
        found[info.name] = ChannelType(info.name, module.Config, module.send)
    return found


@dataclass(frozen=True, slots=True)
class Channel:
    """A configured channel instance: its name in settings, its type and its checked config."""

    name: str
    type: ChannelType
    config: ChannelConfig

    def send(self, message: Message) -> Delivery:
        return self.type.send(self.config, message)


def build_channel(name: str, raw: dict[str, Any]) -> Channel:
    """A channel from settings (``{"type": "email", ...}``); InvalidInput names the bad key."""
    raw = dict(raw)
    kind = raw.pop("type", None)
    types = channel_types()
    if kind not in types:
        raise InvalidInput(f"channel {name!r}: type must be one of {', '.join(sorted(types))}")
    try:
        config = types[kind].config_model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"channel {name!r}: {key}: {first['msg']}") from exc
    return Channel(name, types[kind], config)
