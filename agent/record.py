"""Frozen, typed records for the running agent: ``typing.NamedTuple``'s class syntax, built with
``collections.namedtuple``.

STYLE.md asks for frozen dataclasses for tables and settings. The agent's long-running process
cannot afford them: ``import dataclasses`` brings ``inspect``, ``ast``, ``dis`` and ``tokenize``,
about 1.3 MiB of a process that must stay under node_exporter's ~20 MiB, and
``typing.NamedTuple`` brings ``typing`` (about 0.5 MiB). A :class:`Record` keeps the same shape::

    class Options(Record):
        \"\"\"What the collector can be told.\"\"\"

        top_n: int = 5

        def doubled(self) -> int:
            return self.top_n * 2

is what ``typing.NamedTuple`` makes of the same class body: a ``collections.namedtuple`` named
``Options`` with the annotated fields in order, their defaults, ``__annotations__`` and the
methods and properties of the body. So type checkers are shown ``typing.NamedTuple`` itself,
and check fields, types and keyword construction as for any named tuple.

How a record differs from a frozen dataclass: it is a tuple (it unpacks, and equals a tuple of
the same values); a changed copy is ``r._replace(name=value)``, the field names ``r._fields``,
a dict ``r._asdict()``. A default is one value shared by every instance, so a mutable default
(list, dict, set) is refused: use a tuple, a frozenset or another record. Mutable state with a
few attributes is a plain class with ``__slots__`` instead.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # type checkers see the real thing; the running agent does not import typing
    from typing import NamedTuple as Record
else:
    _OWN = frozenset({"__module__", "__qualname__", "__annotations__", "__doc__"})
    _MUTABLE = (list, dict, set, bytearray)

    class _RecordType(type):
        """Turns a ``class X(Record)`` body into a named tuple class (as typing.NamedTupleMeta does)."""

        def __new__(mcls, name, bases, namespace):  # noqa: N804 - a metaclass's first argument
            if bases == ():
                return super().__new__(mcls, name, bases, namespace)
            if bases != (Record,):
                raise TypeError(f"{name}: a record derives from Record alone")
            annotations = dict(namespace.get("__annotations__", {}))
            defaults = []
            for field_name in annotations:
                if field_name in namespace:
                    value = namespace[field_name]
                    if isinstance(value, _MUTABLE):
                        raise TypeError(f"{name}.{field_name}: a mutable default would be shared by every record")
                    defaults.append(value)
                elif defaults:
                    raise TypeError(f"{name}.{field_name}: a field without a default follows one with a default")
            cls = namedtuple(name, list(annotations), defaults=defaults, module=namespace["__module__"])
            cls.__qualname__ = namespace["__qualname__"]
            cls.__annotations__ = annotations
            if namespace.get("__doc__"):
                cls.__doc__ = namespace["__doc__"]
            for key, value in namespace.items():
                if key in annotations or key in _OWN:
                    continue
                if key in ("__new__", "__init__", "__slots__", "__getnewargs__"):
                    raise AttributeError(f"{name}: cannot overwrite {key} of a record")
                setattr(cls, key, value)
            return cls

    class Record(metaclass=_RecordType):
        """Base of the agent's records; see the module docstring."""

        __slots__ = ()


__all__ = ["Record"]
