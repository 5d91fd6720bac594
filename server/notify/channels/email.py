"""E-mail over SMTP: plain (tests, relays on loopback), STARTTLS or implicit TLS, optional login.

The idempotency key becomes the Message-ID (``<key@vigil>``) and an ``X-Vigil-Idempotency-Key``
header, so a receiving system can drop a second copy. SMTP 4xx answers and connection problems
are retryable; 5xx answers (refused recipient, failed login) are failed.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Literal

from pydantic import EmailStr, Field, SecretStr
from vigil.server.notify.base import ChannelConfig, Delivery, Message


class Config(ChannelConfig):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: EmailStr
    from_name: str = "vigil"
    timeout_seconds: float = Field(default=20.0, gt=0)
    # A CA bundle to trust in addition to the system's (a private relay's certificate).
    ca_file: Path | None = None
    verify_tls: bool = True


def message_id(idempotency_key: str) -> str:
    return f"<{idempotency_key}@vigil>"


def _tls_context(config: Config) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    if not config.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def build(config: Config, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"{config.from_name} <{config.from_address}>"
    mail["To"] = message.recipient or ""
    # a header never carries a line break (a ticket title may have one)
    mail["Subject"] = " ".join(message.subject.split())
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(message.idempotency_key)
    mail["X-Vigil-Idempotency-Key"] = message.idempotency_key
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.body)
    # Attachments ride in the outbox row's data (base64), e.g. the approved report's PDF.
    for attachment in message.data.get("attachments", []):
        maintype, _, subtype = str(attachment.get("content_type") or "application/octet-stream").partition("/")
        mail.add_attachment(base64.b64decode(attachment["content_base64"]), maintype=maintype,
                            subtype=subtype or "octet-stream", filename=str(attachment["filename"]))
    return mail


def send(config: Config, message: Message) -> Delivery:
    if not message.recipient:
        return Delivery.failed("e-mail needs a recipient address")
    mail = build(config, message)
    try:
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=_tls_context(config)
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        with smtp:
            if config.security == "starttls":
                smtp.starttls(context=_tls_context(config))
            if config.username and config.password:
                smtp.login(config.username, config.password.get_secret_value())
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            return Delivery.retryable(f"recipient deferred ({codes})")
        return Delivery.failed(f"recipient refused ({codes})")
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            return Delivery.retryable(f"SMTP {exc.smtp_code}")
        return Delivery.failed(f"SMTP {exc.smtp_code}")
    except smtplib.SMTPNotSupportedError:
        return Delivery.failed("the server does not offer STARTTLS or login")
    except ssl.SSLError as exc:
        return Delivery.failed(f"TLS problem ({exc.reason})")
    except (smtplib.SMTPException, OSError) as exc:
        return Delivery.retryable(f"connection problem ({type(exc).__name__})")
    return Delivery.delivered(f"accepted by {config.host}")
