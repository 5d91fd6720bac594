"""The agent's log: a few lines of its own in the agent's process, ``logging`` records elsewhere.

Code of vigil.agent logs through ``log = logs.get("vigil.agent.sender")`` and
``log.warning("...")``, ``log.exception("...")``, ``log.log(logs.ERROR, "...")`` as with the
standard library's loggers, and the message goes one of two ways:

- in the agent's own long-running process (:mod:`vigil.agent.daemon` calls :func:`to_stderr`),
  as lines on stderr in the shape ``logging.basicConfig(format="%(asctime)s %(levelname)s
  %(name)s: %(message)s")`` gave them (``2026-11-25 18:02:03,123 WARNING vigil.agent.sender:
  ...``, a traceback below the line of a failure), for the journal;
- everywhere else (the site collector, which ships through the agent's sender; ``vigil agent``
  commands run in one process; the server's demo; tests), as a record of the standard
  ``logging`` package with the same logger name and level, so the program's handlers and levels,
  and pytest's ``caplog``, see it as before. ``logging`` is imported at the first message.

Why: ``logging`` with what it brings (``traceback``, ``string``, ``weakref``, ``tokenize``...)
is about 0.6 MiB resident in the agent, which must stay under node_exporter's memory, and the
agent writes a handful of lines a day. ``traceback`` is imported only to print a failure.
"""

from __future__ import annotations

import sys
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import logging or typing
    import logging

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40  # the numbers of logging's levels
_LEVEL_NAMES = {DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARNING", ERROR: "ERROR"}
LEVELS = {"debug": DEBUG, "info": INFO, "warning": WARNING, "error": ERROR}

_stderr_level: int | None = None  # None: messages go to the logging package
_write_lock = threading.Lock()


def to_stderr(level_name: str) -> None:
    """From now on, this process writes messages at ``level_name`` and above to stderr itself."""
    global _stderr_level
    _stderr_level = LEVELS[level_name.lower()]


def line(name: str, level: int, message: str, created: float) -> str:
    """One log line, as logging's ``%(asctime)s %(levelname)s %(name)s: %(message)s`` writes it."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
    millis = int((created - int(created)) * 1000)
    return f"{stamp},{millis:03d} {_LEVEL_NAMES.get(level, f'Level {level}')} {name}: {message}"


def _write(name: str, level: int, message: str, failure: bool) -> None:
    text = line(name, level, message, time.time())
    if failure and sys.exc_info()[0] is not None:
        import traceback  # only when there is a failure to show

        text += "\n" + traceback.format_exc().rstrip("\n")
    stream = sys.stderr
    if stream is None:  # no console at all (pythonw): nowhere to write
        return
    with _write_lock:
        stream.write(text + "\n")
        stream.flush()


class Logger:
    """A named logger (see the module docstring for where its messages go)."""

    __slots__ = ("name", "_logger")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def _emit(self, level: int, message: str, args: tuple[object, ...], failure: bool) -> None:
        if _stderr_level is None:
            logger = self._logger
            if logger is None:
                import logging

                logger = self._logger = logging.getLogger(self.name)
            # stacklevel 3: the record names the line that called debug(), warning()...
            logger.log(level, message, *args, exc_info=failure, stacklevel=3)
        elif level >= _stderr_level:
            _write(self.name, level, message % args if args else message, failure)

    def log(self, level: int, message: str, *args: object) -> None:
        self._emit(level, message, args, False)

    def debug(self, message: str, *args: object) -> None:
        self._emit(DEBUG, message, args, False)

    def info(self, message: str, *args: object) -> None:
        self._emit(INFO, message, args, False)

    def warning(self, message: str, *args: object) -> None:
        self._emit(WARNING, message, args, False)

    def error(self, message: str, *args: object) -> None:
        self._emit(ERROR, message, args, False)

    def exception(self, message: str, *args: object) -> None:
        """An error with the traceback of the exception being handled."""
        self._emit(ERROR, message, args, True)


_loggers: dict[str, Logger] = {}


def get(name: str) -> Logger:
    """The logger of that name (one per name, as logging.getLogger)."""
    logger = _loggers.get(name)
    if logger is None:
        logger = _loggers[name] = Logger(name)
    return logger
