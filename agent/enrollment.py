"""Enrolment: trade a one-time token for this node's credential, and keep it safe on disk.

The credential file is JSON, written atomically and readable by its owner only (0600). It also
records the server URL and the pinned CA, so ``run`` needs nothing else. A pinned CA is copied
beside the credential (``ca.pem``): the agent runs as its own account, which cannot read a file
left in root's home (the unit's ``ProtectHome``), and ``install-service`` hands the state folder,
with both files, to that account.
"""

from __future__ import annotations

import json
import os
import socket

from vigil.agent import __version__
from vigil.agent.record import Record
from vigil.agent.transport import HttpClient, TransportError


class EnrollmentError(RuntimeError):
    """The server refused the token, or could not be reached; the message says which."""


class CredentialError(RuntimeError):
    """No usable credential file; the message says what to do."""


class Credential(Record):
    server_url: str
    node_id: str
    credential: str
    customer: str
    site: str
    name: str
    ca_file: str = ""


CA_FILE_NAME = "ca.pem"


def _write_private(path: str, data: bytes) -> None:
    """Write ``path`` atomically, readable by its owner only (0600); its folder is made 0700."""
    folder = os.path.dirname(path)
    if folder and not os.path.exists(folder):
        os.makedirs(folder, mode=0o700)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def save_credential(path: str | os.PathLike[str], cred: Credential) -> None:
    # str paths: the running agent does without pathlib
    _write_private(os.fspath(path), json.dumps(cred._asdict(), indent=2).encode())


def load_credential(path: str | os.PathLike[str]) -> Credential:
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read())
        return Credential(**raw)
    except FileNotFoundError:
        raise CredentialError(f"{path}: no credential; run `vigil agent enroll --server URL --token T` first") from None
    except PermissionError:
        raise CredentialError(f"{path}: not readable by this user") from None
    except (ValueError, TypeError) as exc:
        raise CredentialError(f"{path}: not a valid credential file ({exc}); enrol again") from None


def enroll(
    server_url: str,
    token: str,
    path: str | os.PathLike[str],
    name: str = "",
    ca_file: str = "",
    timeout_seconds: float = 10.0,
) -> Credential:
    """Enrol this host as an agent and save the credential to ``path`` (0600), and a pinned CA
    beside it."""
    ca_path = os.path.realpath(ca_file) if ca_file else ""
    if ca_path and not server_url.startswith("https://"):
        raise EnrollmentError(f"--ca pins the CA of an https:// server, but {server_url} is not https")
    try:
        client = HttpClient(server_url, ca_path or None, timeout_seconds)
        ca_pem = _read_bytes(ca_path) if ca_path else b""
    except (ValueError, OSError) as exc:
        raise EnrollmentError(str(exc)) from None
    # The token is good once: make sure the credential can be kept before spending it.
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise EnrollmentError(f"{folder} cannot be created: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK):
        raise EnrollmentError(f"{folder} is not writable by this user: the credential could not be kept")
    body = json.dumps(
        {"token": token, "name": name or socket.gethostname(), "kind": "agent", "version": __version__}
    ).encode()
    try:
        reply = client.request("POST", "/api/v1/enroll", body, {"Content-Type": "application/json"})
    except TransportError as exc:
        raise EnrollmentError(f"cannot reach {server_url}: {exc}") from None
    finally:
        client.close()
    if reply.status == 401:
        raise EnrollmentError(f"the server refused the token (expired, used, revoked or unknown): {reply.reason()}")
    if reply.status != 200:
        raise EnrollmentError(f"enrolment failed: HTTP {reply.status}: {reply.reason()}")
    try:
        data = reply.json()
        cred = Credential(
            server_url=server_url.rstrip("/"),
            node_id=str(data["node_id"]),
            credential=str(data["credential"]),
            customer=str(data.get("customer", "")),
            site=str(data.get("site", "")),
            name=str(data.get("name", name)),
            ca_file=ca_path,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrollmentError(f"enrolment answer not understood: {exc}") from None
    try:
        if ca_path:
            kept = os.path.join(folder, CA_FILE_NAME)
            _write_private(kept, ca_pem)
            cred = cred._replace(ca_file=kept)
        save_credential(path, cred)
    except OSError as exc:
        raise EnrollmentError(f"enrolled, but the credential cannot be written to {path}: {exc}") from None
    return cred
