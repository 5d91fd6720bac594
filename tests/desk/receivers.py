"""Real peers for the notification tests, on loopback: an SMTP server (aiosmtpd) in plain,
STARTTLS (with login) and implicit-TLS flavours, and an HTTP receiver (a real server in a thread)
standing in for the SMS gateway, the group robots and webhook consumers. Both record what they
got and can be told to answer with failures first.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.services.ports import free_port


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Answers scripted responses (status, body, headers) per path prefix, then 200 + ``ok_body``."""

    url: str
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, deque[tuple[int, str, dict[str, str]]]] = field(default_factory=dict)
    ok_body: str = '{"errcode": 0, "code": 0, "errmsg": "ok"}'
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, path: str, *answers: tuple[int, str, dict[str, str]]) -> None:
        with self.lock:
            self.scripts.setdefault(path, deque()).extend(answers)

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.startswith(path)]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.scripts.clear()

    def answer(self, path: str) -> tuple[int, str, dict[str, str]]:
        with self.lock:
            for prefix, queue in self.scripts.items():
                if path.startswith(prefix) and queue:
                    return queue.popleft()
        return 200, self.ok_body, {}


def start_http_receiver() -> tuple[HttpReceiver, ThreadingHTTPServer]:
    port = free_port()
    receiver = HttpReceiver(url=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, text, headers = receiver.answer(self.path)
            with receiver.lock:
                receiver.received.append(
                    Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_GET = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailBox:
    mails: list[Mail] = field(default_factory=list)
    # recipient -> list of SMTP answers to give before accepting ("451 ...", "550 ...")
    refusals: dict[str, deque[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.rcpt_tos]

    def clear(self) -> None:
        with self.lock:
            self.mails.clear()
            self.refusals.clear()

    def refuse(self, address: str, *answers: str) -> None:
        with self.lock:
            self.refusals.setdefault(address, deque()).extend(answers)


class _Handler:
    def __init__(self, box: MailBox) -> None:
        self.box = box

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self.box.lock:
            queue = self.box.refusals.get(address)
            if queue:
                return queue.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.box.lock:
            self.box.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"desk" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class SmtpServers:
    box: MailBox
    plain_port: int
    starttls_port: int
    tls_port: int
    ca_file: Path


def start_smtp(folder: Path) -> Generator[SmtpServers, None, None]:
    box = MailBox()
    cert, key = make_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    plain = Controller(_Handler(box), hostname="127.0.0.1", port=free_port())
    starttls = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    implicit = Controller(_Handler(box), hostname="127.0.0.1", port=free_port(), ssl_context=context)
    started = []
    try:
        for controller in (plain, starttls, implicit):
            controller.start()
            started.append(controller)
        yield SmtpServers(box, plain.port, starttls.port, implicit.port, cert)
    finally:
        for controller in started:
            controller.stop()
