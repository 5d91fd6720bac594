"""Benchmark: SNMP polling throughput of the collector against net-snmp, on one core.

A private net-snmp snmpd answers on loopback; several communities (each with the full view)
stand for many devices, so every "device" is a distinct (community, target) for the client.
Each device poll walks the IF-MIB (ifTable, ifXTable) and HOST-RESOURCES (hrStorageTable,
hrProcessorTable, hrDeviceTable) columns with GETBULK. Measured in the same run:

* vigil: the collector's SnmpClient (one engine, bounded in-flight, GETBULK column walks) for
  a fleet of N devices, in one process and one thread (one core);
* vigil full poll: the same devices through SnmpPoller (profiles, rates, Points), measured on
  the second poll of each device (the steady state of every later cycle);
* pysnmp: the same walk through pysnmp's engine (the backend SNMPv3 uses);
* net-snmp: ``snmpbulkwalk`` on the same subtrees, same agent, same repetitions.

Printed: varbinds per CPU second of the polling process, devices per minute, the ratio to
net-snmp, and a cProfile summary of where the client's CPU goes. Run:

    .venv/bin/python bench/snmp_poll.py [--devices 200] [--communities 20]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vigil.collector.config import SnmpCommunityCredential  # noqa: E402
from vigil.collector.snmp.client import Backend, SnmpClient  # noqa: E402
from vigil.collector.snmp.poller import SnmpPoller  # noqa: E402

from tests.services.snmpd import start_snmpd, stop_snmpd  # noqa: E402

SUBTREES = {
    "ifTable": ("1.3.6.1.2.1.2.2.1", 22),
    "ifXTable": ("1.3.6.1.2.1.31.1.1.1", 19),
    "hrStorageTable": ("1.3.6.1.2.1.25.2.3.1", 7),
    "hrProcessorTable": ("1.3.6.1.2.1.25.3.3.1", 2),
    "hrDeviceTable": ("1.3.6.1.2.1.25.3.2.1", 6),
}
COLUMNS = [[f"{base}.{n}" for n in range(1, count + 1)] for base, count in SUBTREES.values()]


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def walk_fleet(
    port: int, communities: list[str], devices: int, in_flight: int, backend: Backend = "fast"
) -> tuple[int, float, float]:
    client = SnmpClient(max_in_flight=in_flight, backend=backend)
    targets = [
        client.target(
            "127.0.0.1", port, SnmpCommunityCredential(community=communities[i % len(communities)]), 5.0, 1, 50
        )
        for i in range(devices)
    ]
    gate = asyncio.Semaphore(in_flight)

    async def one(target: object) -> int:
        async with gate:
            total = 0
            for table in COLUMNS:
                walked = await target.walk_columns(table)  # type: ignore[attr-defined]
                total += sum(len(rows) for rows in walked.values())
            return total

    await one(targets[0])  # warm-up: engine, transport, code paths
    cpu0, wall0 = time.process_time(), time.monotonic()
    counts = await asyncio.gather(*(one(t) for t in targets))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    client.close()
    return sum(counts), cpu, wall


async def poll_fleet(port: int, communities: list[str], devices: int, in_flight: int) -> tuple[int, float, float]:
    client = SnmpClient(max_in_flight=in_flight)
    poller = SnmpPoller()
    targets = [
        client.target(
            "127.0.0.1", port, SnmpCommunityCredential(community=communities[i % len(communities)]), 5.0, 1, 50
        )
        for i in range(devices)
    ]
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> int:
        async with gate:
            return (await poller.poll(f"dev{i}", targets[i])).varbinds

    # First poll of every device (learns absent columns, takes the first counter samples),
    # then the measured steady-state poll, which is what every later cycle costs.
    await asyncio.gather(*(one(i) for i in range(devices)))
    cpu0, wall0 = time.process_time(), time.monotonic()
    counts = await asyncio.gather(*(one(i) for i in range(devices)))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    client.close()
    return sum(counts), cpu, wall


def netsnmp_fleet(port: int, communities: list[str], devices: int, env: dict[str, str]) -> tuple[int, float, float]:
    total = 0
    cpu0, wall0 = child_cpu_seconds(), time.monotonic()
    for i in range(devices):
        community = communities[i % len(communities)]
        for base, _ in SUBTREES.values():
            out = subprocess.run(
                ["snmpbulkwalk", "-v2c", "-c", community, "-Cr50", "-On", "-Oq", f"127.0.0.1:{port}", base],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout
            total += sum(1 for line in out.splitlines() if line.startswith("."))
    return total, child_cpu_seconds() - cpu0, time.monotonic() - wall0


def profile_summary(port: int, communities: list[str], devices: int, in_flight: int, backend: Backend) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(walk_fleet(port, communities, devices, in_flight, backend))
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        if "pyasn1" in filename:
            key = "pyasn1 (BER encode/decode, ASN.1 objects)"
        elif "pysnmp" in filename:
            key = "pysnmp (message processing, security, dispatch)"
        elif "asyncio" in filename or "selectors" in filename:
            key = "asyncio event loop and UDP transport"
        elif "fastv2c" in filename:
            key = "vigil lean v2c codec (BER encode/decode)"
        elif "vigil" in filename or "collector" in filename:
            key = "vigil (walk bookkeeping, value conversion)"
        else:
            key = "other (builtins, stdlib)"
        by_package[key] = by_package.get(key, 0.0) + tottime
    lines = [
        f"  {share / total * 100:5.1f}%  {name}" for name, share in sorted(by_package.items(), key=lambda kv: -kv[1])
    ]
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(8)
    top = [line for line in out.getvalue().splitlines() if line.strip() and "{" not in line[:5]][-8:]
    return "\n".join(lines) + "\n  top functions by own time:\n" + "\n".join("    " + t.strip()[:150] for t in top)


def netsnmp_long_walk(port: int, env: dict[str, str], rounds: int) -> tuple[int, float]:
    """The whole agent walked by one snmpbulkwalk per round: net-snmp's per-varbind cost without
    most of the process start-up that dominates a walk of one small table."""
    total = 0
    cpu0 = child_cpu_seconds()
    for _ in range(rounds):
        out = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", "public", "-Cr50", "-On", "-Oq", f"127.0.0.1:{port}", "1.3.6.1"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        total += sum(1 for line in out.splitlines() if line.startswith("."))
    return total, child_cpu_seconds() - cpu0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--netsnmp-devices", type=int, default=40)
    parser.add_argument("--pysnmp-devices", type=int, default=50)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    communities = [f"dev{i:03d}" for i in range(args.communities)]
    agent = start_snmpd(extra_communities=communities)
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(agent.folder / "client")}
    try:
        os.sched_setaffinity(0, {0})  # this process (the client) on one core; snmpd may use the other
        subprocess.run(["taskset", "-pc", "1", str(agent.process.pid)], capture_output=True, check=False)
        port, n = agent.port, args.devices
        fast, fast_cpu, fast_wall = asyncio.run(walk_fleet(port, communities, n, args.in_flight, "fast"))
        slow, slow_cpu, slow_wall = asyncio.run(
            walk_fleet(port, communities, args.pysnmp_devices, args.in_flight, "pysnmp")
        )
        full, full_cpu, full_wall = asyncio.run(poll_fleet(port, communities, n, args.in_flight))
        small, small_cpu, _ = netsnmp_fleet(port, communities, args.netsnmp_devices, env)
        long_vb, long_cpu = netsnmp_long_walk(port, env, 10)
        rate = {
            "fast": fast / fast_cpu,
            "pysnmp": slow / slow_cpu,
            "full": full / full_cpu,
            "netsnmp_tables": small / small_cpu,
            "netsnmp_long": long_vb / long_cpu,
        }
        print(
            f"fleet: {n} devices ({args.communities} communities on one snmpd), ~{fast / n:.0f} varbinds per "
            f"device (IF-MIB + HOST-RESOURCES columns), {args.in_flight} requests in flight, client on 1 core"
        )
        print(
            f"vigil walk, lean v2c backend: {fast} varbinds, {fast_cpu:.2f} CPU-s, {fast_wall:.2f} s wall -> "
            f"{rate['fast']:,.0f} varbinds/CPU-s, {n / fast_wall * 60:,.0f} devices/min"
        )
        print(
            f"vigil walk, pysnmp backend:   {slow} varbinds ({args.pysnmp_devices} devices), {slow_cpu:.2f} CPU-s, "
            f"{slow_wall:.2f} s wall -> {rate['pysnmp']:,.0f} varbinds/CPU-s, "
            f"{args.pysnmp_devices / slow_wall * 60:,.0f} devices/min"
        )
        print(
            f"vigil full poll (profiles, rates, Points; steady state): {full} varbinds, {full_cpu:.2f} CPU-s, "
            f"{full_wall:.2f} s wall -> {rate['full']:,.0f} varbinds/CPU-s, {n / full_wall * 60:,.0f} devices/min"
        )
        print(
            f"net-snmp snmpbulkwalk of the same 5 tables per device ({args.netsnmp_devices} devices, one process "
            f"per table): {small} varbinds, {small_cpu:.2f} CPU-s -> {rate['netsnmp_tables']:,.0f} varbinds/CPU-s"
        )
        print(
            f"net-snmp snmpbulkwalk of the whole agent x10: {long_vb} varbinds, {long_cpu:.2f} CPU-s -> "
            f"{rate['netsnmp_long']:,.0f} varbinds/CPU-s"
        )
        for name in ("fast", "pysnmp", "full"):
            print(
                f"ratio {name} / net-snmp: {rate[name] / rate['netsnmp_tables']:.2f} (same tables), "
                f"{rate[name] / rate['netsnmp_long']:.2f} (long walk)"
            )
        goal = 1000 * 300
        print(
            f"goal 1,000 devices x 300 varbinds per 60 s cycle: lean walk needs {goal / rate['fast']:.1f} CPU-s, "
            f"full poll {goal / rate['full']:.1f} CPU-s, pysnmp {goal / rate['pysnmp']:.1f} CPU-s"
        )
        for backend in ("fast", "pysnmp"):
            print(f"where the client's CPU goes, {backend} backend (cProfile of the walk, 30 devices):")
            print(profile_summary(port, communities, 30, args.in_flight, backend))  # type: ignore[arg-type]
    finally:
        stop_snmpd(agent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
