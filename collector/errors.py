"""The collector's exception tree; library exceptions are translated into it at each boundary.

    CollectorError
    ├── CollectorConfigError        bad configuration, found at start-up
    ├── SnmpError
    │   ├── SnmpTimeout             no answer within the device's timeout and retries
    │   ├── SnmpAuthError           v3 user, keys or protocols refused (fails closed, no fallback)
    │   └── SnmpProtocolError       the agent answered with an SNMP error status
    ├── SshError
    │   ├── SshTimeout              connect or command timed out
    │   ├── SshAuthError            user, password or key refused
    │   ├── SshCommandError         one command failed (non-zero exit, unreadable file); the
    │   │                           rest of the device's commands still run
    │   ├── HostKeyUnknown          the device offered a key we have never pinned
    │   └── HostKeyChanged          the device offered a key other than the pinned one
    └── ParseError                  command output that a parser cannot read

Messages never carry secrets (communities, keys, passwords).
"""

from __future__ import annotations


class CollectorError(Exception):
    """Base of every error the collector raises on purpose."""

    kind = "error"


class CollectorConfigError(CollectorError):
    kind = "config"


class SnmpError(CollectorError):
    kind = "snmp"


class SnmpTimeout(SnmpError):
    kind = "snmp_timeout"


class SnmpAuthError(SnmpError):
    kind = "snmp_auth"


class SnmpProtocolError(SnmpError):
    kind = "snmp_protocol"


class SshError(CollectorError):
    kind = "ssh"


class SshTimeout(SshError):
    kind = "ssh_timeout"


class SshAuthError(SshError):
    kind = "ssh_auth"


class SshCommandError(SshError):
    """One command of a profile failed; the poll goes on with the next command."""

    kind = "ssh_command"


class HostKeyUnknown(SshError):
    """The device's host key is not pinned; it carries the offered key for approval."""

    kind = "ssh_hostkey_unknown"

    def __init__(self, host: str, key_type: str, key_base64: str, fingerprint_sha256: str) -> None:
        super().__init__(
            f"{host}: unknown SSH host key {key_type} {fingerprint_sha256}; "
            "refused until an engineer approves it"
        )
        self.host = host
        self.key_type = key_type
        self.key_base64 = key_base64
        self.fingerprint_sha256 = fingerprint_sha256


class HostKeyChanged(SshError):
    """The device offered a different key from the pinned one: refused and reported."""

    kind = "ssh_hostkey_changed"

    def __init__(self, host: str, key_type: str, key_base64: str, fingerprint_sha256: str) -> None:
        super().__init__(
            f"{host}: SSH host key CHANGED, now {key_type} {fingerprint_sha256}; refused "
            "(possible man-in-the-middle or replaced device)"
        )
        self.host = host
        self.key_type = key_type
        self.key_base64 = key_base64
        self.fingerprint_sha256 = fingerprint_sha256


class ParseError(CollectorError):
    kind = "parse"
