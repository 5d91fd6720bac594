"""Host inventory: what the machine is, sent at start and daily to ``PUT /api/v1/node/inventory``.

The shape matches the server's ``InventoryIn``: OS and kernel, CPU model, cores and threads,
memory, disks, interfaces with addresses and MACs, and DMI vendor, model and serial. Anything the
host does not expose (DMI inside most containers, for one) is null, never a guess.
"""

from __future__ import annotations

import json
import os
import socket
import sys

import psutil
from vigil.agent import __version__
from vigil.agent.collectors.disk import Options as DiskOptions
from vigil.agent.collectors.disk import _real_mounts

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import typing
    from typing import Any

INVENTORY_PATH = "/api/v1/node/inventory"
_DMI = "/sys/class/dmi/id"
_TEXT_MAX = 256


def _read(path: str) -> str | None:
    text = (_read_all(path) or "").strip()
    return text[:_TEXT_MAX] or None


def _os_name(system: str, release: str) -> str | None:
    if sys.platform.startswith("linux"):
        release = _read("/etc/os-release") or ""
        for line in release.splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')[:_TEXT_MAX]
    return f"{system} {release}".strip() or None


def _cpu_model() -> str | None:
    if sys.platform.startswith("linux"):
        for line in (_read_all("/proc/cpuinfo") or "").splitlines():
            if line.startswith(("model name", "Hardware", "cpu model")):
                return line.split(":", 1)[1].strip()[:_TEXT_MAX]
    import platform  # not on Linux, where /proc/cpuinfo has the model

    return platform.processor()[:_TEXT_MAX] or None


def _read_all(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _disks() -> list[dict[str, Any]]:
    disks = []
    for part in _real_mounts(DiskOptions()):
        try:
            total = int(psutil.disk_usage(part.mountpoint).total)
        except OSError:
            total = None
        disks.append(
            {
                "device": part.device,
                "mountpoint": part.mountpoint,
                "fstype": part.fstype,
                "total_bytes": total,
            }
        )
    return disks


def _interfaces() -> list[dict[str, Any]]:
    stats = psutil.net_if_stats()
    result = []
    link_family = getattr(psutil, "AF_LINK", -1)
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        mac = None
        addresses = []
        for addr in addrs:
            if addr.family == link_family:
                mac = addr.address
            elif addr.family in (socket.AF_INET, socket.AF_INET6):
                entry = addr.address if not addr.netmask else f"{addr.address}/{addr.netmask}"
                addresses.append(entry)
        stat = stats.get(name)
        result.append(
            {
                "name": name,
                "mac": mac,
                "addresses": addresses,
                "up": bool(stat.isup) if stat else None,
                "speed_bits_per_second": int(stat.speed) * 1_000_000 if stat and stat.speed > 0 else None,
                "mtu": int(stat.mtu) if stat else None,
            }
        )
    return result


def _uname() -> tuple[str, str, str]:
    """(system, kernel release, machine); os.uname where there is one (platform is not small)."""
    if hasattr(os, "uname"):
        info = os.uname()
        return info.sysname, info.release, info.machine
    import platform

    return platform.system(), platform.release(), platform.machine()


def gather() -> dict[str, Any]:
    """The inventory document, JSON-ready."""
    system, release, machine = _uname()
    return {
        "os": _os_name(system, release),
        "kernel": release or None,
        "hostname": socket.gethostname()[:_TEXT_MAX] or None,
        "cpu_model": _cpu_model(),
        "cpu_cores": psutil.cpu_count(logical=False),
        "cpu_threads": psutil.cpu_count(logical=True),
        "memory_bytes": int(psutil.virtual_memory().total),
        "vendor": _read(f"{_DMI}/sys_vendor"),
        "model": _read(f"{_DMI}/product_name"),
        "serial": _read(f"{_DMI}/product_serial"),  # root-only on most systems: null otherwise
        "agent_version": __version__,
        "disks": _disks()[:256],
        "interfaces": _interfaces()[:512],
        "extra": {"arch": machine or None, "boot_time_seconds": int(psutil.boot_time())},
    }


def encode() -> bytes:
    return json.dumps(gather()).encode()
