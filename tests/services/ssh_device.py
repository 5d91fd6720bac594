"""A network device's SSH server on 127.0.0.1: paramiko's server side, password auth, exec.

Huawei VRP and H3C Comware boxes cannot run here, so this server stands in for them: it speaks
real SSH (key exchange, host key, password authentication, one channel per command) and
answers each command with the captured real output under ``tests/fixtures/<parser>/``; an
unknown command gets the Comware-style "% Unrecognized command" on stderr and exit status 1.
It is an in-process peer, not a fake of vigil's code: the collector's paramiko client, host
key pinning and parsers all run for real against it.
"""

from __future__ import annotations

import secrets
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UNRECOGNIZED = "              ^\r\n % Unrecognized command found at '^' position.\r\n"


def captured_outputs(platform: str) -> dict[str, str]:
    """command -> the first captured output of every parser of ``platform``."""
    from vigil.collector.ssh.parsers import parsers_for

    outputs = {}
    for parser in parsers_for(platform):
        case = sorted((FIXTURES / parser.name).glob("*/input.txt"))[0]
        outputs[parser.command] = case.read_text()
    return outputs


class _Server(paramiko.ServerInterface):
    def __init__(self, device: SshDevice) -> None:
        self.device = device
        self.commands: dict[int, str] = {}
        self.ready = threading.Condition()

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == self.device.user and secrets.compare_digest(password, self.device.password)
        with self.device.lock:
            self.device.auth_attempts.append((username, ok))
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        with self.ready:
            self.commands[channel.get_id()] = command.decode("utf-8", errors="replace")
            self.ready.notify_all()
        return True


@dataclass
class SshDevice:
    """One simulated device: ``responses`` maps a command line to its output."""

    responses: dict[str, str]
    user: str = "netops"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    host_key: paramiko.PKey = field(default_factory=lambda: paramiko.ECDSAKey.generate(bits=256))
    port: int = 0
    auth_attempts: list[tuple[str, bool]] = field(default_factory=list)
    commands_run: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def host_key_line(self) -> str:
        return f"{self.host_key.get_name()} {self.host_key.get_base64()}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.host_key)
        server = _Server(self)
        try:
            transport.start_server(server=server)
            while transport.is_active() and not self._stop.is_set():
                channel = transport.accept(0.5)
                if channel is not None:
                    self._answer(server, channel)
        except (paramiko.SSHException, EOFError, OSError):
            pass
        finally:
            transport.close()

    def _answer(self, server: _Server, channel: paramiko.Channel) -> None:
        with server.ready:
            server.ready.wait_for(lambda: channel.get_id() in server.commands or channel.closed, timeout=5)
            command = server.commands.pop(channel.get_id(), None)
        if command is None:
            channel.close()
            return
        with self.lock:
            self.commands_run.append(command)
        output = self.responses.get(command)
        if output is None:
            channel.sendall_stderr(UNRECOGNIZED.encode())
            channel.send_exit_status(1)
        else:
            channel.sendall(output.encode())
            channel.send_exit_status(0)
        channel.shutdown_write()
        channel.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(2)


def start_ssh_devices() -> dict[str, SshDevice]:
    """A Huawei VRP and an H3C Comware device, each answering its platform's captured outputs."""
    return {platform: SshDevice(captured_outputs(platform)) for platform in ("huawei_vrp", "h3c_comware")}


def stop_ssh_devices(devices: dict[str, SshDevice]) -> None:
    for device in devices.values():
        device.close()
