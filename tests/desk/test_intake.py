"""E-mail intake through a real SMTP exchange on loopback (the desk's aiosmtpd intake server, fed
by smtplib): a new mail opens a ticket, a reply threads into it by In-Reply-To or by the subject
tag, a resent mail is dropped, and unknown senders and mailboxes are refused."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from vigil.server.context import AppContext
from vigil.server.db.models import Ticket, TicketEvent, TicketSource, TicketStatus
from vigil.server.tickets import service
from vigil.server.tickets.config import IntakeSettings
from vigil.server.tickets.intake import start_intake

from tests.desk.world import DeskWorld
from tests.services.ports import free_port

MAILBOX = "support@vigil.example"


@pytest.fixture()
def intake(ctx: AppContext, desk: DeskWorld) -> Iterator[int]:
    settings = IntakeSettings(enabled=True, port=free_port(), mailboxes=[MAILBOX])
    controller = start_intake(ctx.sessions, settings)
    try:
        yield settings.port
    finally:
        controller.stop()


def send(port: int, sender: str, subject: str, body: str, message_id: str, **headers: str) -> None:
    mail = EmailMessage()
    mail["From"] = f"Customer <{sender}>"
    mail["To"] = MAILBOX
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(mail)


def tickets(ctx: AppContext) -> list[Ticket]:
    with ctx.sessions() as db:
        return list(db.scalars(select(Ticket).order_by(Ticket.id)))


def comments(ctx: AppContext, ticket_id: int) -> list[str | None]:
    with ctx.sessions() as db:
        return [e.note for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                                     TicketEvent.action == "comment"))]


def test_mail_opens_and_replies_thread(ctx: AppContext, desk: DeskWorld, intake: int) -> None:
    send(intake, "it@acme.example", "打印服务器无法访问", "从今天早上开始无法打印。", "<m1@acme.example>")
    [ticket] = tickets(ctx)
    assert ticket.source is TicketSource.email and ticket.title == "打印服务器无法访问"
    assert ticket.customer_id == desk.seed.a.customer_id and "无法打印" in ticket.description
    with ctx.sessions() as db, db.begin():
        row = db.get(Ticket, ticket.id)
        assert row is not None
        service.change_status(db, row, "waiting_customer", actor="user:1")
    # a reply to our acknowledgement (its Message-ID names the ticket), quoting the old text
    send(intake, "it@acme.example", f"Re: [{ticket.number}] 工单已受理", "日志见附件\n> 旧内容", "<m2@acme.example>",
         In_Reply_To=f"<{ticket.number}.0123456789abcdef@vigil>")
    # a reply that only keeps the subject tag
    send(intake, "it@acme.example", f"RE: [{ticket.number}] update", "已重启", "<m3@acme.example>")
    # the same mail again (a resend) is dropped
    send(intake, "it@acme.example", f"RE: [{ticket.number}] update", "已重启", "<m3@acme.example>")
    assert len(tickets(ctx)) == 1
    assert comments(ctx, ticket.id) == ["日志见附件", "已重启"]
    with ctx.sessions() as db:
        row = db.get(Ticket, ticket.id)
        assert row is not None and row.status is TicketStatus.in_progress  # the customer answered


def test_unknown_sender_and_mailbox_are_refused(ctx: AppContext, desk: DeskWorld, intake: int) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(intake, "stranger@elsewhere.example", "hello", "spam", "<s1@elsewhere.example>")
    assert refused.value.smtp_code == 550
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        with smtplib.SMTP("127.0.0.1", intake, timeout=10) as smtp:
            smtp.sendmail("it@acme.example", ["nobody@vigil.example"], b"Subject: x\r\n\r\nx")
    assert tickets(ctx) == []


def test_reply_tag_of_another_customer_opens_a_new_ticket(ctx: AppContext, desk: DeskWorld, intake: int) -> None:
    send(intake, "ops@bravo.example", "Disk full", "on the file server", "<b1@bravo.example>")
    [theirs] = tickets(ctx)
    send(intake, "it@acme.example", f"Re: [{theirs.number}] Disk full", "is this ours?", "<a1@acme.example>")
    assert len(tickets(ctx)) == 2
    assert comments(ctx, theirs.id) == []
