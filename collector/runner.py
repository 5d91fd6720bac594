"""The collector's cycle: every interval, poll every device once by SNMP, SSH and ping.

:class:`Collector` owns one event loop (in the thread that calls ``run``), the process's one
SNMP client, a thread pool for SSH and ICMP (both blocking), and the per-device state that
survives between cycles (counter samples, absent columns). Points go to ``sink`` (the spool's
batcher when enrolled, a list in ``vigil collector test`` and in tests). One slow or failing
device never stalls a cycle: SNMP is bounded by requests in flight and per-device timeouts,
and every device has a deadline of 90% of the interval.

Host-key refusals and keys learned on first use go to ``on_host_key`` so the server can keep
them pending for an engineer (and alert on a changed key).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from vigil.agent.wire import Point
from vigil.collector.config import CollectorConfig, DeviceConfig
from vigil.collector.errors import CollectorError, HostKeyChanged, HostKeyUnknown
from vigil.collector.field_types import typed_point
from vigil.collector.ping import PingResult, icmp_ping, tcp_check
from vigil.collector.snmp.client import SnmpClient, Target
from vigil.collector.snmp.poller import SnmpPoller
from vigil.collector.ssh.poller import poll_ssh

log = logging.getLogger("vigil.collector")

Sink = Callable[[list[Point]], None]


@dataclass(frozen=True, slots=True)
class HostKeyEvent:
    device: str
    status: str  # "unknown", "changed" or "learned"
    key_type: str
    key_base64: str
    fingerprint_sha256: str


HostKeyReporter = Callable[[HostKeyEvent], None]


@dataclass
class CycleReport:
    duration_seconds: float = 0.0
    devices: int = 0
    late: int = 0
    varbinds: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    profiles: dict[str, str] = field(default_factory=dict)  # device -> vendor profile or "standard"
    error_messages: dict[str, str] = field(default_factory=dict)
    # Commands that failed while the rest of the device's poll went on: "device: parser: reason".
    command_errors: list[str] = field(default_factory=list)


class Collector:
    def __init__(self, config: CollectorConfig, sink: Sink, on_host_key: HostKeyReporter | None = None) -> None:
        self.config = config
        self._sink = sink
        self.on_host_key = on_host_key
        self.poller = SnmpPoller()
        self._targets: dict[str, Target] = {}
        self._client: SnmpClient | None = None
        self._pool = ThreadPoolExecutor(max_workers=config.ssh_workers, thread_name_prefix="vigil-collector")
        self.last_report: CycleReport | None = None
        self.cycles = 0

    def sink(self, points: list[Point]) -> None:
        """Every point leaves with its fields in their one type each (see field_types)."""
        self._sink([typed_point(p) for p in points])

    def set_devices(self, devices: tuple[DeviceConfig, ...]) -> None:
        """Replace the device list (fetched again from the server); state of kept devices stays."""
        self.config = self.config.model_copy(update={"devices": devices})
        names = {d.name for d in devices}
        for name in [n for n in self._targets if n not in names]:
            del self._targets[name]
            self.poller.rates.forget_device(name)

    def run(self, stop: threading.Event, before_cycle: Callable[[], None] | None = None,
            after_cycle: Callable[[CycleReport], None] | None = None,
            side_work: Callable[[SnmpClient], Awaitable[None]] | None = None) -> None:
        """Poll every interval until ``stop`` is set (blocking; one event loop in this thread).

        ``side_work`` runs in the loop before each cycle with the SNMP client (discovery sweeps
        the server asked for)."""
        asyncio.run(self._run(stop, before_cycle, after_cycle, side_work))

    async def _run(self, stop: threading.Event, before_cycle: Callable[[], None] | None,
                   after_cycle: Callable[[CycleReport], None] | None,
                   side_work: Callable[[SnmpClient], Awaitable[None]] | None) -> None:
        self._client = SnmpClient(self.config.max_in_flight)
        try:
            while not stop.is_set():
                started = time.monotonic()
                if before_cycle is not None:
                    try:
                        before_cycle()
                    except CollectorError as exc:
                        log.warning("device list not refreshed: %s", exc)
                if side_work is not None:
                    try:
                        await side_work(self._client)
                    except CollectorError as exc:
                        log.warning("discovery: %s", exc)
                report = await self.cycle()
                if after_cycle is not None:
                    after_cycle(report)
                remaining = self.config.interval_seconds - (time.monotonic() - started)
                while remaining > 0 and not stop.is_set():
                    await asyncio.sleep(min(0.2, remaining))
                    remaining = self.config.interval_seconds - (time.monotonic() - started)
        finally:
            self._client.close()
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def run_once(self) -> CycleReport:
        """One cycle inside the caller's event loop (``vigil collector test``, tests)."""
        if self._client is None:
            self._client = SnmpClient(self.config.max_in_flight)
        return await self.cycle()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def cycle(self) -> CycleReport:
        started = time.monotonic()
        report = CycleReport(devices=len(self.config.devices))
        deadline = self.config.interval_seconds * 0.9
        gate = asyncio.Semaphore(self.config.max_devices_concurrent)

        async def one(device: DeviceConfig) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(self._poll_device(device, report), timeout=deadline)
                except TimeoutError:
                    report.late += 1
                    report.errors["late"] += 1

        await asyncio.gather(*(one(d) for d in self.config.devices))
        report.duration_seconds = time.monotonic() - started
        self.sink([self._health_point(report)])
        self.last_report = report
        self.cycles += 1
        return report

    def _health_point(self, report: CycleReport) -> Point:
        fields: dict[str, float | int] = {
            "heartbeat": 1,
            "cycle_duration_seconds": round(report.duration_seconds, 6),
            "devices_count": report.devices,
            "devices_late_count": report.late,
            "errors_count": sum(report.errors.values()),
            "errors_snmp_timeout_count": report.errors["snmp_timeout"],
            "errors_snmp_auth_count": report.errors["snmp_auth"],
            "errors_ssh_count": sum(v for k, v in report.errors.items() if k.startswith("ssh")),
            "errors_hostkey_count": report.errors["ssh_hostkey_unknown"] + report.errors["ssh_hostkey_changed"],
            "varbinds_count": report.varbinds,
        }
        return Point("collector", {}, fields, time.time_ns())

    async def _poll_device(self, device: DeviceConfig, report: CycleReport) -> None:
        tasks = []
        if device.snmp is not None:
            tasks.append(self._poll_snmp(device, report))
        if device.ssh is not None:
            tasks.append(self._poll_ssh(device, report))
        if device.ping is not None:
            tasks.append(self._poll_ping(device, report))
        await asyncio.gather(*tasks)

    def _target(self, device: DeviceConfig) -> Target:
        assert device.snmp is not None and self._client is not None
        target = self._targets.get(device.name)
        if target is None or target.host != device.address or target.cred != device.snmp.credential:
            snmp = device.snmp
            target = self._client.target(device.address, snmp.port, snmp.credential, snmp.timeout_seconds,
                                         snmp.retries, snmp.max_repetitions)
            self._targets[device.name] = target
        return target

    async def _poll_snmp(self, device: DeviceConfig, report: CycleReport) -> None:
        assert device.snmp is not None
        try:
            result = await self.poller.poll(device.name, self._target(device), device.snmp.profile)
        except CollectorError as exc:
            report.errors[exc.kind] += 1
            report.error_messages[device.name] = str(exc)
            log.warning("%s: %s", device.name, exc)
            self.sink([Point("snmp", {"device": device.name}, {"up": 0}, time.time_ns())])
            return
        report.varbinds += result.varbinds
        report.profiles[device.name] = result.vendor_profile or "standard"
        status: dict[str, float | int | bool | str] = {
            "up": 1, "poll_duration_seconds": round(result.duration_seconds, 6), "varbinds_count": result.varbinds}
        points = []
        for point in result.points:
            if point.measurement == "snmp":  # sysUpTime from the profile joins the poll status
                status = {**point.fields, **status}
            else:
                points.append(point)
        points.append(Point("snmp", {"device": device.name}, status, time.time_ns()))
        self.sink(points)

    async def _poll_ssh(self, device: DeviceConfig, report: CycleReport) -> None:
        assert device.ssh is not None
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._pool, poll_ssh, device.name, device.address, device.ssh)
        except (HostKeyUnknown, HostKeyChanged) as exc:
            report.errors[exc.kind] += 1
            report.error_messages[device.name] = str(exc)
            status = "changed" if isinstance(exc, HostKeyChanged) else "unknown"
            self._report_key(HostKeyEvent(device.name, status, exc.key_type, exc.key_base64,
                                          exc.fingerprint_sha256))
            self.sink([Point("ssh", {"device": device.name, "platform": device.ssh.platform},
                             {"up": 0, "hostkey_ok": 0}, time.time_ns())])
            return
        except (CollectorError, KeyError) as exc:
            kind = exc.kind if isinstance(exc, CollectorError) else "config"
            report.errors[kind] += 1
            report.error_messages[device.name] = str(exc)
            log.warning("%s: %s", device.name, exc)
            self.sink([Point("ssh", {"device": device.name, "platform": device.ssh.platform}, {"up": 0},
                             time.time_ns())])
            return
        if result.learned_key is not None:
            key = result.learned_key
            self._report_key(HostKeyEvent(device.name, "learned", key.key_type, key.key_base64,
                                          key.fingerprint_sha256))
        for message in result.parse_errors:
            report.errors["parse"] += 1
            log.warning("%s: %s", device.name, message)
        for message in result.command_errors:
            report.errors["ssh_command"] += 1
            report.command_errors.append(f"{device.name}: {message}")
            log.warning("%s: %s", device.name, message)
        self.sink(result.points)

    def _report_key(self, event: HostKeyEvent) -> None:
        log.warning("%s: SSH host key %s %s", event.device, event.status, event.fingerprint_sha256)
        if self.on_host_key is not None:
            try:
                self.on_host_key(event)
            except CollectorError as exc:
                log.warning("%s: host key report failed: %s", event.device, exc)

    async def _poll_ping(self, device: DeviceConfig, report: CycleReport) -> None:
        assert device.ping is not None
        settings = device.ping
        loop = asyncio.get_running_loop()
        results: list[PingResult] = []
        if settings.icmp:
            try:
                results.append(await loop.run_in_executor(
                    self._pool, icmp_ping, device.address, settings.count, settings.timeout_seconds))
            except CollectorError as exc:
                report.errors[exc.kind] += 1
            except OSError as exc:
                report.errors["ping"] += 1
                report.error_messages[device.name] = f"ping: {exc}"
        for port in settings.tcp_ports:
            results.append(await loop.run_in_executor(
                self._pool, tcp_check, device.address, port, settings.timeout_seconds))
        now = time.time_ns()
        self.sink([r.point(device.name, now) for r in results])
