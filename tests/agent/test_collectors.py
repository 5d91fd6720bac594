"""Collectors on this machine, checked against ground truth read independently from /proc and statvfs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from vigil.agent import collectors
from vigil.agent.collectors import CollectContext, CollectorSpec
from vigil.agent.collectors.disk import usage_fields
from vigil.agent.collectors.procstat import sanitise_name
from vigil.agent.collectors.services import failed_units, stopped_auto_start
from vigil.agent.config import CollectorSettings, load
from vigil.agent.rates import RateTracker, counter_delta
from vigil.agent.runner import CollectorRun, CollectorSet
from vigil.agent.schema import HOST_MEASUREMENTS, IDENTITY_TAGS, MEASUREMENTS
from vigil.agent.wire import Point, encode, parse_line

LINUX = sys.platform.startswith("linux")


def _ctx(name: str, **options: Any) -> tuple[CollectorSpec, CollectContext]:
    spec = collectors.load(name)
    return spec, CollectContext(options=spec.options_type(**options))


def _run(spec: CollectorSpec, ctx: CollectContext) -> list[Point]:
    ctx.tick()
    points = spec.collect(ctx)
    ctx.rates.sweep()
    return points


def _meminfo() -> dict[str, int]:
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        out[key] = int(value.split()[0]) * 1024
    return out


def _net_dev() -> dict[str, tuple[int, ...]]:
    """Per interface, the columns of /proc/net/dev: rx bytes, packets, errs, drop, ..., tx bytes at 8."""
    out = {}
    for line in Path("/proc/net/dev").read_text().splitlines()[2:]:
        name, data = line.split(":", 1)
        out[name.strip()] = tuple(int(v) for v in data.split())
    return out


NET_COLUMNS = {
    "recv_bytes_per_second": 0,
    "recv_packets_per_second": 1,
    "recv_errors_per_second": 2,
    "recv_drops_per_second": 3,
    "sent_bytes_per_second": 8,
    "sent_packets_per_second": 9,
    "sent_errors_per_second": 10,
    "sent_drops_per_second": 11,
}


def test_every_family_emits_only_schema_fields_and_tags() -> None:
    collector_set = CollectorSet.from_config(load(None))
    collector_set.run_all()
    time.sleep(0.3)
    points = collector_set.run_all()
    assert not [r.spec.name for r in collector_set.runs if r.errors]
    seen = {p.measurement for p in points}
    assert {"cpu", "mem", "disk", "diskio", "net", "system", "procstat"} <= seen
    for point in points:
        schema = MEASUREMENTS[point.measurement]
        assert set(point.fields) <= set(schema.fields), (point.measurement, set(point.fields) - set(schema.fields))
        assert set(point.tags) <= schema.tags | IDENTITY_TAGS, point
        assert not set(point.tags) & IDENTITY_TAGS  # the server stamps identity
    # What is encoded parses back to the same points.
    assert [parse_line(line) for line in encode(points).decode().splitlines()] == points


@pytest.mark.skipif(not LINUX, reason="/proc/meminfo is Linux")
def test_mem_matches_proc_meminfo() -> None:
    spec, ctx = _ctx("mem")
    (point,) = _run(spec, ctx)
    truth = _meminfo()
    assert point.fields["total_bytes"] == truth["MemTotal"]
    assert point.fields["swap_total_bytes"] == truth["SwapTotal"]
    assert abs(int(point.fields["available_bytes"]) - truth["MemAvailable"]) <= 0.05 * truth["MemTotal"]
    cached = truth["Cached"] + truth.get("SReclaimable", 0)
    assert abs(int(point.fields["cached_bytes"]) - cached) <= 0.05 * truth["MemTotal"]


def test_disk_matches_statvfs() -> None:
    spec, ctx = _ctx("disk")
    points = _run(spec, ctx)
    assert points, "no real mount found"
    for point in points:
        st = os.statvfs(point.tags["path"])
        assert point.fields["total_bytes"] == st.f_blocks * st.f_frsize
        assert abs(int(point.fields["free_bytes"]) - st.f_bavail * st.f_frsize) <= 64 * 1024 * 1024
        assert point.fields["inodes_total_count"] == st.f_files
        assert point.fields["readonly"] == (1 if st.f_flag & os.ST_RDONLY else 0)
    paths = [p.tags["path"] for p in points]
    assert len(paths) == len(set(paths)) and len({p.tags["device_name"] for p in points}) == len(points)
    assert not any(p.tags["fstype"] in ("proc", "sysfs", "tmpfs", "overlay", "cgroup2") for p in points)


def test_disk_reports_a_read_only_remount(tiny_fs: Path) -> None:
    # psutil lists only device-backed mounts, so the tmpfs is read through the same function
    # the collector uses for each mount; the mount options still say "rw" from before.
    assert usage_fields(str(tiny_fs), "rw")["readonly"] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    try:
        fields = usage_fields(str(tiny_fs), "rw")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)
    assert fields["readonly"] == 1
    assert fields["total_bytes"] == 64 * 1024


@pytest.mark.skipif(not LINUX, reason="/proc/net/dev is Linux")
def test_net_rates_match_proc_net_dev() -> None:
    spec, ctx = _ctx("net", exclude_interfaces=(), exclude_prefixes=())
    before = _net_dev()["lo"]
    _run(spec, ctx)
    t0 = ctx.monotonic_seconds
    payload = b"x" * (2 * 1024 * 1024)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def _sink() -> None:
            conn, _ = server.accept()
            with conn:
                while conn.recv(65536):
                    pass

        thread = threading.Thread(target=_sink)
        thread.start()
        with socket.create_connection(server.getsockname()) as client:
            client.sendall(payload)
        thread.join()
    points = {p.tags["interface"]: p for p in _run(spec, ctx)}
    after = _net_dev()["lo"]
    elapsed = ctx.monotonic_seconds - t0
    received = float(points["lo"].fields["recv_bytes_per_second"]) * elapsed
    assert len(payload) <= received <= after[0] - before[0] + 1
    for field, column in NET_COLUMNS.items():  # every counter, each bounded by the kernel's count
        counted = float(points["lo"].fields[field]) * elapsed
        assert 0 <= counted <= after[column] - before[column] + 1, field
    assert float(points["lo"].fields["recv_packets_per_second"]) > 0
    assert points["lo"].fields["up"] == 1
    for name, point in points.items():  # speed where the link reports one, in bits per second
        speed_file = Path(f"/sys/class/net/{name}/speed")
        try:
            megabits = int(speed_file.read_text())
        except (OSError, ValueError):
            megabits = -1  # no speed for this kind of link (loopback, virtual)
        if megabits > 0:
            assert point.fields["speed_bits_per_second"] == megabits * 1_000_000
        else:
            assert "speed_bits_per_second" not in point.fields


@pytest.mark.skipif(not LINUX, reason="/proc/diskstats is Linux")
def test_diskio_rates_are_bounded_by_proc_diskstats(tmp_path: Path) -> None:
    spec, ctx = _ctx("diskio")

    def diskstats() -> dict[str, tuple[int, int, int]]:
        """Per device: bytes written, writes completed, reads completed (the kernel's own counts)."""
        out = {}
        for line in Path("/proc/diskstats").read_text().splitlines():
            f = line.split()
            out[f[2]] = (int(f[9]) * 512, int(f[7]), int(f[3]))
        return out

    before = diskstats()
    _run(spec, ctx)
    t0 = ctx.monotonic_seconds
    with open(tmp_path / "blob", "wb") as f:
        f.write(os.urandom(4 * 1024 * 1024))
        f.flush()
        os.fsync(f.fileno())
    points = _run(spec, ctx)
    after = diskstats()
    elapsed = ctx.monotonic_seconds - t0
    assert points
    for point in points:
        name = point.tags["name"]
        for field, index in (("write_bytes_per_second", 0), ("write_ops_per_second", 1), ("read_ops_per_second", 2)):
            counted = float(point.fields[field]) * elapsed
            assert 0 <= counted <= after[name][index] - before[name][index] + 1, (name, field)
        assert 0 <= float(point.fields["busy_percent"]) <= 100
        assert float(point.fields["await_seconds"]) >= 0
    busiest = max(points, key=lambda p: float(p.fields["write_bytes_per_second"]))
    assert float(busiest.fields["write_ops_per_second"]) > 0
    assert max(float(p.fields["write_bytes_per_second"]) for p in points) * elapsed >= 4 * 1024 * 1024


@pytest.mark.skipif(not LINUX, reason="/proc/stat is Linux")
def test_system_matches_proc() -> None:
    spec, ctx = _ctx("system")
    _run(spec, ctx)
    time.sleep(0.2)
    (point,) = _run(spec, ctx)
    btime = next(
        int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
    )
    assert abs(int(point.fields["boot_time_seconds"]) - btime) <= 1
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    assert abs(float(point.fields["uptime_seconds"]) - uptime) <= 2
    assert point.fields["load5"] == pytest.approx(os.getloadavg()[1], abs=0.5)
    assert point.fields["load15"] == pytest.approx(os.getloadavg()[2], abs=0.5)
    pids = sum(1 for name in os.listdir("/proc") if name.isdigit())
    assert abs(int(point.fields["processes_count"]) - pids) <= 20
    allocated = int(Path("/proc/sys/fs/file-nr").read_text().split()[0])
    assert abs(int(point.fields["open_fds_count"]) - allocated) <= 200
    assert float(point.fields["context_switches_per_second"]) > 0
    assert point.fields["load1"] == pytest.approx(os.getloadavg()[0], abs=0.5)


def test_cpu_shares_cover_every_core_and_add_up() -> None:
    spec, ctx = _ctx("cpu")
    assert _run(spec, ctx) == []  # first call only primes
    time.sleep(0.2)
    points = _run(spec, ctx)
    assert {p.tags["cpu"] for p in points} == {"total", *(str(i) for i in range(os.cpu_count() or 1))}
    for p in points:
        total = sum(float(p.fields[k]) for k in ("user_percent", "system_percent", "iowait_percent", "idle_percent"))
        total += float(p.fields["steal_percent"])
        assert total == pytest.approx(100.0, abs=0.5)
        assert 0 <= float(p.fields["util_percent"]) <= 100


def test_procstat_finds_a_busy_process_and_sanitises_names(tmp_path: Path) -> None:
    weird = tmp_path / "bad name$x"
    weird.symlink_to(sys.executable)
    child = subprocess.Popen([str(weird), "-c", "while True: pass"])
    try:
        spec, ctx = _ctx("procstat", top_n=5)
        _run(spec, ctx)
        # Other test runs may share this machine: rank every process so the busy child is seen.
        everything_spec, everything = _ctx("procstat", top_n=100_000)
        _run(everything_spec, everything)
        time.sleep(0.5)
        points = _run(spec, ctx)
        all_points = _run(everything_spec, everything)
    finally:
        child.kill()
        child.wait()
    by_cpu = [p for p in points if p.tags["rank_by"] == "cpu"]
    assert len(by_cpu) == 5 and [p.tags["rank"] for p in by_cpu] == ["1", "2", "3", "4", "5"]
    cpu_values = [float(p.fields["cpu_percent"]) for p in by_cpu]
    assert cpu_values == sorted(cpu_values, reverse=True)
    mine = [p for p in all_points if p.fields["pid"] == child.pid and p.tags["rank_by"] == "cpu"]
    assert mine and mine[0].tags["process"] == "bad_name_x" and float(mine[0].fields["cpu_percent"]) > 5
    assert len([p for p in points if p.tags["rank_by"] == "memory"]) == 5
    assert sanitise_name("a\nb;rm -rf /\x00") == "a_b_rm_-rf___"
    assert sanitise_name("") == "_"
    assert len(sanitise_name("x" * 500)) == 48


def test_counter_wrap_and_reset() -> None:
    assert counter_delta(100, 150) == 50
    assert counter_delta(2**32 - 10, 5) == 15  # 32-bit wrap
    assert counter_delta(2**64 - 10, 5) == 15  # 64-bit wrap
    assert counter_delta(5_000_000, 10) is None  # reset: no rate
    tracker = RateTracker()
    assert tracker.rate("k", 2**32 - 100, 0.0) is None
    assert tracker.rate("k", 100, 2.0) == 100.0
    assert tracker.rate("k", 3, 3.0) is None
    assert tracker.rate("k", 13, 4.0) == 10.0
    tracker.sweep()
    tracker.sweep()  # unseen since the last sweep: forgotten
    assert tracker.rate("k", 20, 5.0) is None


def test_one_failing_collector_does_not_stop_the_others() -> None:
    def broken(ctx: CollectContext) -> list[Point]:
        raise RuntimeError("sensor bus on fire")

    good_spec, good_ctx = _ctx("mem")
    bad_spec = CollectorSpec("broken", 1.0, object, broken)
    runs = [
        CollectorRun(CollectorSettings("broken", True, 1.0, None), bad_spec, CollectContext(options=None)),
        CollectorRun(CollectorSettings("mem", True, 1.0, good_spec.options_type()), good_spec, good_ctx),
    ]
    points = CollectorSet(runs).run_all()
    assert [p.measurement for p in points] == ["mem"]
    assert runs[0].errors == 1 and runs[1].errors == 0


def test_services_yields_nothing_without_a_service_manager_or_valid_points() -> None:
    spec, ctx = _ctx("services")
    points = _run(spec, ctx)
    if not os.path.isdir("/run/systemd/system"):
        assert points == []
    else:
        assert points[0].tags["unit"] == "_all"


@pytest.mark.skipif(not LINUX, reason="/proc/<pid>/stat is Linux")
def test_system_counts_a_zombie() -> None:
    child = subprocess.Popen(["true"])  # exits at once and stays a zombie until reaped
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        deadline = time.monotonic() + 30
        while stat.read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        spec, ctx = _ctx("system")
        (point,) = _run(spec, ctx)
    finally:
        child.wait()
    assert int(point.fields["zombies_count"]) >= 1
    assert int(point.fields["zombies_count"]) <= int(point.fields["processes_count"])


@pytest.mark.skipif(not LINUX, reason="bind mounts as on Linux")
def test_disk_skips_a_bind_mount_of_a_reported_device(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        message = "mounting needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    spec, ctx = _ctx("disk")
    before = {p.tags["path"]: p.tags["device_name"] for p in _run(spec, ctx)}
    source, bind = tmp_path / "source", tmp_path / "bind"
    source.mkdir()
    bind.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(bind)], check=True)
    try:
        import psutil

        listed = [p for p in psutil.disk_partitions(all=False) if p.mountpoint == str(bind)]
        after = {p.tags["path"]: p.tags["device_name"] for p in _run(spec, ctx)}
    finally:
        subprocess.run(["umount", str(bind)], check=True)
    # psutil lists the bind mount as another mount of a device already reported...
    assert listed and listed[0].device in before.values()
    # ...and the collector keeps reporting that device once, under its shorter path.
    assert after == before


@pytest.mark.skipif(not LINUX, reason="/proc/vmstat is Linux")
def test_mem_swap_in_and_out_rates_match_proc_vmstat() -> None:
    def swapped_pages() -> tuple[int, int]:
        values = dict(line.split() for line in Path("/proc/vmstat").read_text().splitlines())
        return int(values["pswpin"]), int(values["pswpout"])

    page_bytes = os.sysconf("SC_PAGE_SIZE")
    spec, ctx = _ctx("mem")
    before = swapped_pages()
    (first,) = _run(spec, ctx)
    assert "swap_in_bytes_per_second" not in first.fields  # the first reading only primes the rate
    t0 = ctx.monotonic_seconds
    time.sleep(0.2)
    (point,) = _run(spec, ctx)
    after = swapped_pages()
    elapsed = ctx.monotonic_seconds - t0
    for field, index in (("swap_in_bytes_per_second", 0), ("swap_out_bytes_per_second", 1)):
        moved = float(point.fields[field]) * elapsed
        assert 0 <= moved <= (after[index] - before[index]) * page_bytes + 1, field


UNIT_SUFFIXES = ("_bytes", "_percent", "_seconds", "_per_second", "_count", "_celsius", "_rpm")
# Values that have no unit: load averages (a run-queue length), 0/1 states, a process id, a version.
UNITLESS_FIELDS = {"load1", "load5", "load15", "load1_per_core", "up", "readonly", "failed", "pid", "version"}


def test_every_host_field_names_its_unit() -> None:
    for measurement in HOST_MEASUREMENTS:
        for name in measurement.fields:
            assert name.endswith(UNIT_SUFFIXES) or name in UNITLESS_FIELDS, (measurement.name, name)


@pytest.mark.skipif(not LINUX, reason="/proc and /sys are Linux")
def test_inventory_matches_the_host() -> None:
    from vigil.agent import inventory

    found = inventory.gather()
    assert found["memory_bytes"] == _meminfo()["MemTotal"]
    assert found["kernel"] == os.uname().release and found["hostname"] == socket.gethostname()
    assert found["cpu_threads"] == os.cpu_count()
    for key, name in (("vendor", "sys_vendor"), ("model", "product_name"), ("serial", "product_serial")):
        try:
            truth: str | None = (Path("/sys/class/dmi/id") / name).read_text().strip() or None
        except OSError:
            truth = None  # not exposed here (containers, most VMs' serial to non-root): null, never a guess
        assert found[key] == truth, key
    macs = {i["name"]: i["mac"] for i in found["interfaces"]}
    for folder in Path("/sys/class/net").iterdir():
        assert macs[folder.name] == (folder / "address").read_text().strip(), folder.name
    lo = next(i for i in found["interfaces"] if i["name"] == "lo")
    assert any(a.startswith("127.0.0.1/") for a in lo["addresses"])
    disks = {d["mountpoint"]: d for d in found["disks"]}
    st = os.statvfs("/")
    assert "/" in disks and disks["/"]["total_bytes"] == st.f_blocks * st.f_frsize


def test_failed_units_and_stopped_auto_start_services_are_read_by_name() -> None:
    """This machine runs neither systemd nor Windows, so the two readers are checked on text
    shaped as ``systemctl list-units --state=failed --no-legend --plain`` prints it (systemd
    252, with the escaped name systemd gives a device path) and on dicts shaped as psutil's
    ``WindowsService.as_dict()``; that the server accepts the resulting points is in test_e2e."""
    output = (
        "nginx.service                                  loaded failed failed A high performance web server\n"
        "systemd-fsck@dev-disk-by\\x2duuid-1a2b.service loaded failed failed File System Check on /dev/disk\n"
        "\n"
        "\u25cf backup.timer                             loaded failed failed Nightly backup\n"
    )
    assert failed_units(output) == ["nginx.service", "systemd-fsck@dev-disk-by\\x2duuid-1a2b.service", "backup.timer"]
    assert failed_units("") == []
    services: list[dict[str, object]] = [
        {"name": "Spooler", "start_type": "automatic", "status": "stopped"},
        {"name": "W32Time", "start_type": "automatic", "status": "running"},
        {"name": "Fax", "start_type": "manual", "status": "stopped"},
        {"name": "Backup", "start_type": "automatic", "status": "stopped"},
        {"name": "WinRM", "start_type": "automatic", "status": "start_pending"},  # at boot: not a failure
    ]
    assert stopped_auto_start(services) == ["Spooler", "Backup"]
    # Unit names become tag values: they must survive the line protocol unchanged.
    points = [Point("services", {"unit": unit}, {"failed": 1}, 1) for unit in failed_units(output)]
    assert [parse_line(line) for line in encode(points).decode().splitlines()] == points


def test_sensor_names_from_the_host_are_made_safe_and_bounded() -> None:
    from vigil.agent.collectors.sensors import _sensor_name

    assert _sensor_name("coretemp", "Package id 0", 0) == "coretemp/Package_id_0"
    assert _sensor_name("acpitz", "", 2) == "acpitz/2"  # no label: the index
    assert _sensor_name("nvme/0", "Sensor/1", 0) == "nvme_0/Sensor_1"  # one slash, ours
    hostile = _sensor_name("chip,a=b \\", 'x"\n;rm', 0)
    assert hostile == "chip_a_b__/x___rm"
    assert len(_sensor_name("c" * 100, "l" * 100, 0)) == 64
    point = Point("sensors", {"sensor": hostile, "kind": "temperature"}, {"temperature_celsius": 40.0}, 1)
    assert parse_line(encode([point]).decode().strip()) == point
