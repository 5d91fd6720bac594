"""E-mail intake: mail to the support mailbox opens a ticket; a reply threads into its ticket.

A reply is recognised by its In-Reply-To/References (our notices carry Message-IDs of the form
``<T-000123.<digest>@vigil>``) or by the ``[T-000123]`` tag in its subject. A Message-ID already
seen is dropped, so a resent mail is not stored twice. The sender must be a known contact of a
customer (a notice contact or a customer viewer); anything else is refused, not guessed.

The SMTP server (aiosmtpd) runs in the server's lifespan when ``intake.enabled``. Mail text is
untrusted: it is stored as text and always escaped when shown.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.db.base import utcnow
from vigil.server.db.models import Customer, Role, Ticket, TicketStatus, User, UserCustomer
from vigil.server.errors import InvalidInput, VigilError
from vigil.server.tickets import service
from vigil.server.tickets.config import IntakeSettings
from vigil.server.tickets.models import TicketMail

log = logging.getLogger(__name__)

NUMBER = re.compile(r"\bT-\d{6,}\b")
MAX_BODY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class IntakeResult:
    ticket: Ticket | None
    action: str  # opened | threaded | duplicate


def _text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    text = content if isinstance(content, str) else ""
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    # drop the quoted history of a reply
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip()[:MAX_BODY_CHARS]


def customer_of_sender(db: Session, address: str) -> int | None:
    address = address.lower()
    for customer in db.scalars(select(Customer)):
        if address in (c.lower() for c in customer.notice_contacts or []):
            return customer.id
    viewer = db.scalar(select(User).where(User.email == address, User.role == Role.customer_viewer))
    if viewer is not None:
        link = db.scalar(select(UserCustomer.customer_id).where(UserCustomer.user_id == viewer.id))
        return int(link) if link is not None else None
    return None


def _thread_target(db: Session, mail: EmailMessage, customer_id: int) -> Ticket | None:
    refs = " ".join(str(mail.get(h, "")) for h in ("In-Reply-To", "References"))
    for source in (refs, str(mail.get("Subject", ""))):
        for number in NUMBER.findall(source):
            ticket = db.scalar(select(Ticket).where(Ticket.number == number))
            if ticket is not None and ticket.customer_id == customer_id:
                return ticket
    return None


def ingest_mail(db: Session, raw: bytes, now: datetime | None = None) -> IntakeResult:
    """Open or thread one mail; InvalidInput when the sender is unknown or the mail unusable."""
    now = service.moment(now)
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    _, sender = parseaddr(str(mail.get("From", "")))
    if not sender or "@" not in sender:
        raise InvalidInput("the mail has no usable From address")
    message_id = str(mail.get("Message-ID", "")).strip()[:400]
    if message_id and db.get(TicketMail, message_id) is not None:
        return IntakeResult(None, "duplicate")
    customer_id = customer_of_sender(db, sender)
    if customer_id is None:
        raise InvalidInput(f"unknown sender {sender}")
    subject = " ".join(str(mail.get("Subject", "")).split())[:300] or "(no subject)"
    body = _text_of(mail)
    ticket = _thread_target(db, mail, customer_id)
    if ticket is not None and ticket.status is not TicketStatus.closed:
        service.comment(db, ticket, body or subject, actor=f"email:{sender}", public=True, now=now,
                        data={"from": sender, "subject": subject, "message_id": message_id})
        if ticket.status is TicketStatus.waiting_customer:
            service.change_status(db, ticket, TicketStatus.in_progress, actor=f"email:{sender}",
                                  note="the customer replied", now=now)
        action = "threaded"
    else:
        ticket = service.open_ticket(db, customer_id=customer_id, title=subject, source="email",
                                     description=body, reporter_email=sender, actor=f"email:{sender}", now=now)
        action = "opened"
    if message_id:
        db.add(TicketMail(message_id=message_id, ticket_id=ticket.id, direction="in", created_at=now))
        db.flush()
    return IntakeResult(ticket, action)


class _Handler:
    def __init__(self, sessions: sessionmaker[Session], settings: IntakeSettings) -> None:
        self.sessions = sessions
        self.mailboxes = {m.lower() for m in settings.mailboxes}

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self.mailboxes:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if not isinstance(raw, bytes):
            raw = raw.encode()
        try:
            with self.sessions() as db, db.begin():
                result = ingest_mail(db, raw, utcnow())
        except InvalidInput as exc:
            return f"550 5.7.1 {exc.message}"
        except VigilError as exc:
            return f"451 4.3.0 {exc.message}"
        number = result.ticket.number if result.ticket else "-"
        return f"250 OK {result.action} {number}"


def start_intake(sessions: sessionmaker[Session], settings: IntakeSettings) -> Controller:
    controller = Controller(
        _Handler(sessions, settings), hostname=settings.host, port=settings.port,
        data_size_limit=settings.max_message_bytes,
    )
    controller.start()
    return controller


def intake_worker(sessions: sessionmaker[Session], settings: IntakeSettings, stop: threading.Event) -> None:
    controller = start_intake(sessions, settings)
    log.info("mail intake listening on %s:%s", settings.host, settings.port)
    try:
        stop.wait()
    finally:
        controller.stop()
