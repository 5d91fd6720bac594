"""Services that should run and do not: failed systemd units on Linux, stopped auto-start
services on Windows. A host with neither service manager yields nothing (not an error)."""

from __future__ import annotations

import os
import sys

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import Point

DEFAULT_INTERVAL_SECONDS = 60.0


class Options(Record):
    timeout_seconds: float = 10.0
    max_units: int = 50


def _which(program: str) -> str | None:
    # shutil.which would do, but shutil pulls bz2 and lzma into the running agent (~0.4 MiB).
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _failed_systemd_units(timeout_seconds: float) -> list[str] | None:
    if not os.path.isdir("/run/systemd/system"):
        return None  # not booted with systemd
    systemctl = _which("systemctl")
    if systemctl is None:
        return None
    import subprocess

    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [systemctl, "list-units", "--state=failed", "--no-legend", "--plain", "--no-pager", "--all"],
        capture_output=True,
        text=True,
        timeout=timeout_seconds,
        check=True,
    )
    return failed_units(result.stdout)


def failed_units(list_units_output: str) -> list[str]:
    """Unit names from ``systemctl list-units --no-legend --plain`` output, one unit a line.

    The name is the first column; a status bullet (``●``, printed without ``--plain`` by
    systemd 220 and later, ``*`` where the terminal is not UTF-8) is skipped should one appear.
    """
    units = []
    for line in list_units_output.splitlines():
        words = line.split()
        if words and words[0] in ("\u25cf", "*"):
            words = words[1:]
        if words:
            units.append(words[0])
    return units


def stopped_auto_start(services: list[dict[str, object]]) -> list[str]:
    """Names of auto-start services that are stopped, from psutil's ``as_dict()`` of each.

    Only ``stopped``: one starting, stopping or paused is on its way somewhere (at boot many
    auto-start services are ``start_pending`` for a while) and is not a failure.
    """
    return [
        str(info.get("name"))
        for info in services
        if info.get("start_type") == "automatic" and info.get("status") == "stopped"
    ]


def _stopped_windows_services() -> list[str]:
    return stopped_auto_start([service.as_dict() for service in psutil.win_service_iter()])  # type: ignore[attr-defined]


def collect(ctx: CollectContext) -> list[Point]:
    options: Options = ctx.options
    if sys.platform == "win32":
        failed: list[str] | None = _stopped_windows_services()
    else:
        failed = _failed_systemd_units(options.timeout_seconds)
    if failed is None:
        return []
    points = [Point("services", {"unit": "_all"}, {"failed_count": len(failed)}, ctx.now_ns)]
    for unit in sorted(failed)[: options.max_units]:
        points.append(Point("services", {"unit": unit}, {"failed": 1}, ctx.now_ns))
    return points
