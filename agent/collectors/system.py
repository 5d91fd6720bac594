"""System: load, uptime and boot time (a reboot shows as a new boot time), logged-in users,
process and zombie counts, open file descriptors and context switches per second."""

from __future__ import annotations

import os
import sys
import time

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import FieldValue, Point

DEFAULT_INTERVAL_SECONDS = 10.0


class Options(Record):
    pass


def _open_fds() -> int | None:
    # Linux: the first number of file-nr is the count of allocated file handles, system-wide.
    try:
        with open("/proc/sys/fs/file-nr", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _process_counts() -> tuple[int, int]:
    if sys.platform.startswith("linux"):
        return _process_counts_linux()
    total = zombies = 0
    for proc in psutil.process_iter(["status"]):
        total += 1
        if proc.info.get("status") == psutil.STATUS_ZOMBIE:
            zombies += 1
    return total, zombies


def _process_counts_linux() -> tuple[int, int]:
    # Reading the state letter straight from /proc/<pid>/stat costs about half of what building
    # psutil.Process objects does, and this runs every interval.
    total = zombies = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue  # exited meanwhile
        total += 1
        end = data.rfind(b")")
        if data[end + 2 : end + 3] == b"Z":
            zombies += 1
    return total, zombies


def collect(ctx: CollectContext) -> list[Point]:
    boot = psutil.boot_time()
    fields: dict[str, FieldValue] = {
        "uptime_seconds": max(0.0, time.time() - boot),
        "boot_time_seconds": int(boot),
        "users_count": len(psutil.users()),
    }
    if hasattr(os, "getloadavg"):
        load1, load5, load15 = os.getloadavg()
        fields.update(load1=load1, load5=load5, load15=load15)
        fields["load1_per_core"] = load1 / (psutil.cpu_count() or 1)
    fields["processes_count"], fields["zombies_count"] = _process_counts()
    fds = _open_fds()
    if fds is not None:
        fields["open_fds_count"] = fds
    switches = ctx.rates.rate("ctx", psutil.cpu_stats().ctx_switches, ctx.monotonic_seconds)
    if switches is not None:
        fields["context_switches_per_second"] = switches
    return [Point("system", {}, fields, ctx.now_ns)]
