"""Reachability: ICMP echo without root where the kernel allows it, and TCP port checks.

ICMP uses an unprivileged datagram socket (``SOCK_DGRAM``/``IPPROTO_ICMP``: Linux allows it for
the groups in ``net.ipv4.ping_group_range``); when the kernel refuses that, a raw socket is
tried (root or CAP_NET_RAW); when both are refused, :class:`PingUnavailable` says how to allow
it and TCP checks still work. Results become ``ping`` points: up, loss, average and worst RTT.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from dataclasses import dataclass

from vigil.agent.wire import Point
from vigil.collector.errors import CollectorError

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0


class PingUnavailable(CollectorError):
    kind = "ping_unavailable"


@dataclass(frozen=True, slots=True)
class PingResult:
    target: str
    method: str  # "icmp" or "tcp:PORT"
    sent: int
    received: int
    rtts_seconds: tuple[float, ...]

    @property
    def up(self) -> bool:
        return self.received > 0

    def point(self, device: str, time_ns: int) -> Point:
        fields: dict[str, float | int] = {
            "up": int(self.up),
            "loss_percent": round((self.sent - self.received) / self.sent * 100.0, 3) if self.sent else 100.0,
        }
        if self.rtts_seconds:
            fields["rtt_seconds"] = round(sum(self.rtts_seconds) / len(self.rtts_seconds), 6)
            fields["rtt_max_seconds"] = round(max(self.rtts_seconds), 6)
        return Point("ping", {"device": device, "target": self.target, "method": self.method}, fields, time_ns)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _icmp_socket() -> tuple[socket.socket, bool]:
    """A socket for ICMP echo, and whether it is raw (replies then carry the IP header)."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except PermissionError:
        pass
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    except PermissionError:
        raise PingUnavailable(
            "ICMP needs net.ipv4.ping_group_range to include the collector's group, or CAP_NET_RAW"
        ) from None


def icmp_ping(host: str, count: int = 3, timeout_seconds: float = 1.0) -> PingResult:
    address = socket.gethostbyname(host)
    sock, raw = _icmp_socket()
    ident = os.getpid() & 0xFFFF
    rtts: list[float] = []
    try:
        sock.settimeout(timeout_seconds)
        for sequence in range(1, count + 1):
            payload = struct.pack("!d", time.monotonic()) + b"vigil-ping"
            header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, sequence)
            packet = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, _checksum(header + payload), ident, sequence)
            sent_at = time.monotonic()
            sock.sendto(packet + payload, (address, 0))
            deadline = sent_at + timeout_seconds
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                sock.settimeout(remaining)
                try:
                    data, source = sock.recvfrom(2048)
                except TimeoutError:
                    break
                if raw:
                    data = data[(data[0] & 0x0F) * 4 :]
                if len(data) < 8 or source[0] != address:
                    continue
                kind, _, _, reply_id, reply_seq = struct.unpack("!BBHHH", data[:8])
                # A datagram socket rewrites the id to its own port: match on sequence there.
                if kind == ICMP_ECHO_REPLY and reply_seq == sequence and (not raw or reply_id == ident):
                    rtts.append(time.monotonic() - sent_at)
                    break
    finally:
        sock.close()
    return PingResult(host, "icmp", count, len(rtts), tuple(rtts))


def tcp_check(host: str, port: int, timeout_seconds: float = 1.0) -> PingResult:
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds):
            rtt = time.monotonic() - started
    except OSError:
        return PingResult(host, f"tcp:{port}", 1, 0, ())
    return PingResult(host, f"tcp:{port}", 1, 1, (rtt,))
