"""Poll one device over SSH once: one connection, the platform's parsers, Points out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from vigil.agent.wire import Point
from vigil.collector.config import SshSettings
from vigil.collector.errors import ParseError, SshCommandError
from vigil.collector.field_types import typed_fields
from vigil.collector.ssh.client import OfferedKey, SshConnection
from vigil.collector.ssh.parsers import parsers_for


@dataclass
class SshPollResult:
    points: list[Point]
    learned_key: OfferedKey | None
    parse_errors: list[str]
    duration_seconds: float
    # Commands that failed on the device (non-zero exit, unreadable file): the others still ran.
    command_errors: list[str] = field(default_factory=list)


def poll_ssh(device: str, host: str, settings: SshSettings) -> SshPollResult:
    """Blocking; the runner calls it from a worker thread. Raises SshError subclasses."""
    started = time.monotonic()
    parsers = parsers_for(settings.platform)
    time_ns = time.time_ns()
    points: list[Point] = []
    errors: list[str] = []
    command_errors: list[str] = []
    with SshConnection(host, settings) as connection:
        for parser in parsers:
            try:
                text = (connection.read_file(parser.command) if parser.source == "sftp"
                        else connection.run(parser.command))
            except SshCommandError as exc:
                command_errors.append(f"{parser.name}: {exc}")
                continue
            try:
                readings = parser.parse(text)
            except ParseError as exc:
                errors.append(f"{parser.name}: {exc}")
                continue
            for reading in readings:
                points.append(Point(reading.measurement, {"device": device, **reading.tags},
                                    typed_fields(dict(reading.fields)), time_ns))
        learned = connection.learned_key
    duration = time.monotonic() - started
    points.append(Point("ssh", {"device": device, "platform": settings.platform},
                        {"up": 1, "hostkey_ok": 1, "poll_duration_seconds": round(duration, 6)}, time_ns))
    return SshPollResult(points, learned, errors, duration, command_errors)
