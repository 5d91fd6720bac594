"""The running agent's process: ``vigil-agent run`` hands its checked configuration over to it.

``vigil-agent run`` parses its command line (argparse) and the config file (tomllib), checks
both, then replaces itself (``exec``: same pid, same process group, what systemd started) with
``python [same interpreter flags] -m vigil.agent.daemon --config-fd N``, where ``N`` is an
in-memory file (``memfd``) holding the checked configuration as JSON in the config file's shape.
This process reads it, closes it, and runs the agent until SIGTERM, SIGINT or SIGHUP.

Why: a module once imported stays resident for the life of the process. argparse, tomllib and
the typing module they bring are needed for a moment at start-up and then never again, yet they
cost about 1.5 MiB of the agent's resident memory; the process that runs for months imports only
what collecting and shipping need. Where no memory file can be handed over (no ``memfd_create``:
Windows, macOS) and when ``main()`` is called with an argument list (tests, ``vigil agent``
inside another program), ``run`` runs the agent in the calling process instead.

Exit codes as ``vigil-agent``: 0 stopped by a signal, 1 runtime failure (no credential, spool
unusable), 2 a configuration hand-over this module cannot read.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from vigil.agent import logs
from vigil.agent.config import AgentConfig, ConfigError, from_dict, to_dict
from vigil.agent.enrollment import CredentialError
from vigil.agent.spool import SpoolError

log = logs.get("vigil.agent")

MODULE = "vigil.agent.daemon"


def run(config: AgentConfig) -> int:
    """Run the agent in this process until a stop signal."""
    from vigil.agent.runner import Agent

    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    Agent(config).run(stop)
    return 0


def interpreter_flags() -> list[str]:
    """The flags this interpreter was started with that change what a child imports or how."""
    flags = []
    if sys.flags.isolated:
        flags.append("-I")
    else:
        flags += ["-E"] if sys.flags.ignore_environment else []
        flags += ["-s"] if sys.flags.no_user_site else []
    flags += ["-S"] if sys.flags.no_site else []
    flags += ["-P"] if getattr(sys.flags, "safe_path", False) and not sys.flags.isolated else []
    flags += ["-" + "O" * sys.flags.optimize] if sys.flags.optimize else []
    flags += ["-B"] if sys.flags.dont_write_bytecode else []
    for key, value in sys._xoptions.items():
        flags += ["-X", key if value is True else f"{key}={value}"]
    for option in sys.warnoptions:
        flags += ["-W", option]
    return flags


def can_hand_over() -> bool:
    return hasattr(os, "memfd_create") and bool(sys.executable)


def hand_over(config: AgentConfig) -> None:
    """Replace this process with the daemon, handing it ``config``. Returns only if exec fails."""
    data = json.dumps({"source": config.source, "config": to_dict(config)}).encode()
    fd = os.memfd_create("vigil-agent-config", 0)  # no MFD_CLOEXEC: the new image inherits it
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        argv = [sys.executable, *interpreter_flags(), "-m", MODULE, "--config-fd", str(fd)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)
    finally:
        os.close(fd)  # reached only if exec failed


def _read_handed_config(argv: list[str]) -> AgentConfig:
    if len(argv) != 2 or argv[0] != "--config-fd" or not argv[1].isdigit():
        raise ConfigError(f"usage: python -m {MODULE} --config-fd N (started by `vigil-agent run`)")
    try:
        with os.fdopen(int(argv[1]), "rb") as f:
            handed = json.loads(f.read())
        raw, source = handed["config"], str(handed["source"])
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"configuration handed over on fd {argv[1]} cannot be read: {exc}") from None
    return from_dict(raw, source)  # checked again: ConfigError names the key


def main(argv: list[str] | None = None) -> int:
    try:
        config = _read_handed_config(sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        print(f"vigil-agent: bad configuration: {exc}", file=sys.stderr)
        return 2
    logs.to_stderr(config.agent.log_level)  # this process writes its own lines (vigil.agent.logs)
    try:
        return run(config)
    except (CredentialError, SpoolError) as exc:
        print(f"vigil-agent: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
