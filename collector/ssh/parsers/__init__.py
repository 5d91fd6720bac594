"""SSH command parsers: one module per platform and command, each a pure ``parse(text)``.

A parser module holds ``PLATFORM``, ``SOURCE`` ("sftp" reads a file, "exec" runs a command),
``COMMAND`` (the file path or the fixed command line) and ``parse(text) -> list[Reading]``.
Output is untrusted: parsers bound what they keep and raise :class:`ParseError` on output they
cannot read. The registry finds parsers by module name; a platform is the set of its parsers.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType

from vigil.agent.wire import FieldValue


@dataclass(frozen=True, slots=True)
class Reading:
    measurement: str
    fields: Mapping[str, FieldValue]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Parser:
    name: str
    platform: str
    source: str
    command: str
    parse: Callable[[str], list[Reading]]


_REGISTRY: dict[str, Parser] = {}


def _parser(name: str, module: ModuleType) -> Parser:
    return Parser(name, module.PLATFORM, module.SOURCE, module.COMMAND, module.parse)


def registry() -> dict[str, Parser]:
    if not _REGISTRY:
        for info in pkgutil.iter_modules(__path__):
            _REGISTRY[info.name] = _parser(info.name, importlib.import_module(f"{__name__}.{info.name}"))
    return _REGISTRY


def platforms() -> set[str]:
    return {p.platform for p in registry().values()}


def parsers_for(platform: str) -> list[Parser]:
    found = [p for p in registry().values() if p.platform == platform]
    if not found:
        raise KeyError(f"no SSH parsers for platform {platform!r}; known: {sorted(platforms())}")
    return sorted(found, key=lambda p: p.name)
