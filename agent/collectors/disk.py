"""File system space and inodes per real mount, and whether it is mounted read-only.

Pseudo file systems (``psutil.disk_partitions(all=False)`` already leaves most out, the
``exclude_fstypes`` option the rest) and duplicate mounts of one device (bind mounts; the
shortest mount path is kept) are skipped. Sizes come from ``statvfs`` the way ``df`` reads them:
free is what an unprivileged user may still use, used is everything not free to root.
"""

from __future__ import annotations

import os

import psutil
from vigil.agent.collectors import CollectContext
from vigil.agent.record import Record
from vigil.agent.wire import FieldValue, Point

DEFAULT_INTERVAL_SECONDS = 60.0

_ST_RDONLY = getattr(os, "ST_RDONLY", 1)


class Options(Record):
    exclude_fstypes: tuple[str, ...] = (
        "tmpfs",
        "devtmpfs",
        "squashfs",
        "overlay",
        "iso9660",
        "ramfs",
        "autofs",
        "nsfs",
        "tracefs",
    )
    exclude_mount_prefixes: tuple[str, ...] = ("/proc", "/sys", "/dev", "/run/credentials", "/snap")


def _real_mounts(options: Options) -> list[psutil._common.sdiskpart]:
    by_device: dict[str, psutil._common.sdiskpart] = {}
    for part in psutil.disk_partitions(all=False):
        if part.fstype in options.exclude_fstypes or not part.fstype:
            continue
        if any(part.mountpoint == p or part.mountpoint.startswith(p + "/") for p in options.exclude_mount_prefixes):
            continue
        key = part.device or part.mountpoint
        kept = by_device.get(key)
        if kept is None or len(part.mountpoint) < len(kept.mountpoint):
            by_device[key] = part
    return sorted(by_device.values(), key=lambda p: p.mountpoint)


def usage_fields(path: str, opts: str) -> dict[str, FieldValue]:
    """Space and inode fields of the file system holding ``path``."""
    readonly = "ro" in opts.split(",")
    if hasattr(os, "statvfs"):
        st = os.statvfs(path)
        total = st.f_blocks * st.f_frsize
        free = st.f_bavail * st.f_frsize
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        readonly = readonly or bool(st.f_flag & _ST_RDONLY)
        fields: dict[str, FieldValue] = {
            "total_bytes": int(total),
            "used_bytes": int(used),
            "free_bytes": int(free),
            "used_percent": used / (used + free) * 100.0 if used + free else 0.0,
        }
        if st.f_files:
            inodes_used = st.f_files - st.f_ffree
            fields["inodes_total_count"] = int(st.f_files)
            fields["inodes_used_count"] = int(inodes_used)
            fields["inodes_used_percent"] = inodes_used / st.f_files * 100.0
    else:  # Windows: no statvfs, no inodes.
        usage = psutil.disk_usage(path)
        fields = {
            "total_bytes": int(usage.total),
            "used_bytes": int(usage.used),
            "free_bytes": int(usage.free),
            "used_percent": float(usage.percent),
        }
    fields["readonly"] = 1 if readonly else 0
    return fields


def collect(ctx: CollectContext) -> list[Point]:
    points = []
    for part in _real_mounts(ctx.options):
        try:
            fields = usage_fields(part.mountpoint, part.opts)
        except OSError:
            continue  # unmounted between listing and reading, or not readable by this user
        tags = {"path": part.mountpoint, "fstype": part.fstype, "device_name": part.device}
        points.append(Point("disk", tags, fields, ctx.now_ns))
    return points
