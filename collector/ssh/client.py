"""An SSH connection to one device with its host key pinned.

paramiko connects over a socket we open ourselves (TCP_NODELAY, or every round trip costs
~40 ms more), never looks for local keys or an agent, and checks the server's key against the
keys the server told us to pin:

* pinned and equal: go on;
* pinned and different: :class:`HostKeyChanged` (refused, reported as an alert);
* not pinned: :class:`HostKeyUnknown` (refused until an engineer approves it), unless the
  device's policy is ``trust_on_first_use`` and no key is pinned yet, in which case the key is
  accepted and handed back in ``learned_key`` for the server to pin.

Passwords and keys come from the device's settings in memory; they never reach a log, an error
message or a process argument.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
from dataclasses import dataclass

import paramiko
from vigil.collector.config import SshSettings
from vigil.collector.device_text import device_text
from vigil.collector.errors import (
    HostKeyChanged,
    HostKeyUnknown,
    SshAuthError,
    SshCommandError,
    SshError,
    SshTimeout,
)

MAX_OUTPUT_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class OfferedKey:
    key_type: str
    key_base64: str

    @property
    def fingerprint_sha256(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.key_base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @property
    def line(self) -> str:
        return f"{self.key_type} {self.key_base64}"


def offered(key: paramiko.PKey) -> OfferedKey:
    return OfferedKey(key.get_name(), key.get_base64())


def parse_known_key(line: str) -> OfferedKey:
    parts = line.split()
    if len(parts) < 2:
        raise SshError(f"a pinned host key must be 'type base64', got {line[:40]!r}")
    return OfferedKey(parts[0], parts[1])


def _load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    errors = []
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(type(exc).__name__)
    raise SshAuthError("the private key could not be read (not an ed25519, ECDSA or RSA key)")


class _PinningPolicy(paramiko.MissingHostKeyPolicy):
    def __init__(self, trust_on_first_use: bool) -> None:
        self.trust_on_first_use = trust_on_first_use
        self.learned: OfferedKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        seen = offered(key)
        if self.trust_on_first_use:
            self.learned = seen
            return
        raise HostKeyUnknown(hostname, seen.key_type, seen.key_base64, seen.fingerprint_sha256)


class SshConnection:
    """One SSH session; use as a context manager. Commands and SFTP reads share it."""

    def __init__(self, host: str, settings: SshSettings) -> None:
        self.host = host
        self.settings = settings
        self.learned_key: OfferedKey | None = None
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def __enter__(self) -> SshConnection:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host_key_name(self) -> str:
        port = self.settings.port
        return self.host if port == 22 else f"[{self.host}]:{port}"

    def connect(self) -> None:
        settings = self.settings
        client = paramiko.SSHClient()
        pinned = [parse_known_key(line) for line in settings.known_host_keys]
        for key in pinned:
            client.get_host_keys().add(
                self._host_key_name(), key.key_type, paramiko.PKey.from_type_string(
                    key.key_type, base64.b64decode(key.key_base64))
            )
        policy = _PinningPolicy(settings.host_key_policy == "trust_on_first_use" and not pinned)
        client.set_missing_host_key_policy(policy)
        timeout = settings.timeout_seconds
        try:
            sock = socket.create_connection((self.host, settings.port), timeout=timeout)
        except TimeoutError:
            raise SshTimeout(f"{self.host}:{settings.port}: TCP connect timed out after {timeout}s") from None
        except OSError as exc:
            raise SshError(f"{self.host}:{settings.port}: cannot connect ({exc.strerror or exc})") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pkey = (_load_private_key(settings.private_key.get_secret_value())
                if settings.private_key else None)
        password = settings.password.get_secret_value() if settings.password else None
        try:
            client.connect(
                self.host, port=settings.port, username=settings.user, password=password, pkey=pkey,
                sock=sock, timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                channel_timeout=timeout, look_for_keys=False, allow_agent=False,
            )
        except (HostKeyUnknown, HostKeyChanged):
            sock.close()
            raise
        except paramiko.BadHostKeyException as exc:
            sock.close()
            seen = offered(exc.key)
            raise HostKeyChanged(self.host, seen.key_type, seen.key_base64, seen.fingerprint_sha256) from None
        except paramiko.AuthenticationException:
            sock.close()
            raise SshAuthError(f"{self.host}:{settings.port}: authentication refused for user "
                               f"{settings.user!r}") from None
        except TimeoutError:
            sock.close()
            raise SshTimeout(f"{self.host}:{settings.port}: SSH handshake timed out after {timeout}s") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            sock.close()
            text = str(exc) or type(exc).__name__
            if any(word in text.lower() for word in ("timed out", "banner", "no existing session")):
                raise SshTimeout(f"{self.host}:{settings.port}: SSH handshake did not complete within "
                                 f"{timeout}s ({text[:120]})") from None
            raise SshError(f"{self.host}:{settings.port}: {text[:200]}") from None
        self.learned_key = policy.learned
        self._client = client

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def read_file(self, path: str) -> str:
        """Read a (small) remote file over SFTP: no shell is involved."""
        assert self._client is not None
        try:
            if self._sftp is None:
                self._sftp = self._client.open_sftp()
                channel = self._sftp.get_channel()
                if channel is not None:
                    channel.settimeout(self.settings.timeout_seconds)
            with self._sftp.open(path, "r") as handle:
                data = handle.read(MAX_OUTPUT_BYTES)
        except (OSError, paramiko.SSHException) as exc:
            raise SshCommandError(f"{self.host}: cannot read {path} over SFTP ({exc})") from None
        return data.decode("utf-8", errors="replace")

    def run(self, command: str) -> str:
        """Run one fixed command from a profile (never text from a device or a user).

        A non-zero exit status with nothing on stdout is a :class:`SshCommandError` carrying the
        command's stderr (device text, bounded): ``systemctl`` on a host without systemd exits
        1 with nothing on stdout, which must not read as "no failed units". Output with a
        non-zero status is kept (``df`` exits 1 when one mount of many is unreadable); devices
        that send no exit status (some network OSes) are taken at their output.
        """
        assert self._client is not None
        timeout = self.settings.timeout_seconds
        try:
            _, stdout, stderr = self._client.exec_command(command, timeout=timeout)
            data = stdout.read(MAX_OUTPUT_BYTES)
            error_text = stderr.read(4096)
            channel = stdout.channel
            status = channel.exit_status if channel.status_event.wait(timeout) else -1
        except TimeoutError:
            raise SshTimeout(f"{self.host}: command timed out after {timeout}s") from None
        except (paramiko.SSHException, OSError) as exc:
            raise SshError(f"{self.host}: command failed ({exc})") from None
        if status > 0 and not data.strip():
            lines = [line.strip() for line in error_text.decode("utf-8", errors="replace").splitlines()]
            said = " / ".join(line for line in lines if line and line != "^")
            raise SshCommandError(f"{self.host}: {command[:60]!r} exited with status {status}"
                                  + (f": {device_text(said, 200)}" if said else ""))
        return data.decode("utf-8", errors="replace")
