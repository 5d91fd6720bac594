"""Every channel against a real peer on loopback: aiosmtpd for e-mail (plain, STARTTLS with
login, implicit TLS), a real HTTP server for the SMS gateway, the robots and the webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from vigil.server.errors import InvalidInput
from vigil.server.notify.base import Message, Outcome
from vigil.server.notify.registry import build_channel, channel_types

from tests.desk.receivers import HttpReceiver, SmtpServers
from tests.services.ports import free_port

MSG = Message("T-1-ack-abc", "工单 T-1 已受理", "We are on it.", recipient="ops@example.com")


def test_registry_finds_every_channel_by_module_name() -> None:
    """The plugin convention: a docstring, a strict config, and a test here against a real peer."""
    assert set(channel_types()) >= {"email", "sms", "wecom", "dingtalk", "feishu", "webhook"}
    this_file = Path(__file__).read_text()
    for name, kind in channel_types().items():
        module = importlib.import_module(f"vigil.server.notify.channels.{name}")
        assert (module.__doc__ or "").strip(), name
        assert kind.config_model.model_config.get("extra") == "forbid", name
        assert f'"type": "{name}"' in this_file, f"channel {name} has no test"


def test_email_starttls_with_login(mailbox: SmtpServers) -> None:
    channel = build_channel(
        "mail",
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": mailbox.starttls_port,
            "security": "starttls",
            "username": "desk",
            "password": "s3cret",
            "from_address": "desk@vigil.example",
            "ca_file": str(mailbox.ca_file),
        },
    )
    result = channel.send(MSG)
    assert result.outcome is Outcome.delivered, result.detail
    [mail] = mailbox.box.to("ops@example.com")
    assert mail.message["Message-ID"] == "<T-1-ack-abc@vigil>"
    assert mail.message["X-Vigil-Idempotency-Key"] == "T-1-ack-abc"
    assert "T-1" in str(mail.message["Subject"])


def test_email_subject_with_a_line_break_is_one_line(mailbox: SmtpServers) -> None:
    channel = build_channel("mail", {"type": "email", "host": "127.0.0.1", "port": mailbox.plain_port,
                                     "security": "none", "from_address": "desk@vigil.example"})
    message = Message("k-nl", "line one\r\nBcc: evil@example.com", "body", recipient="ops@example.com")
    assert channel.send(message).outcome is Outcome.delivered
    [mail] = mailbox.box.to("ops@example.com")
    assert mail.message["Subject"] == "line one Bcc: evil@example.com" and mail.message["Bcc"] is None


def test_email_wrong_password_fails(mailbox: SmtpServers) -> None:
    channel = build_channel(
        "mail",
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": mailbox.starttls_port,
            "username": "desk",
            "password": "wrong",
            "from_address": "desk@vigil.example",
            "ca_file": str(mailbox.ca_file),
        },
    )
    result = channel.send(MSG)
    assert result.outcome is Outcome.failed
    assert "wrong" not in result.detail and not mailbox.box.mails


def test_email_untrusted_certificate_fails(mailbox: SmtpServers) -> None:
    channel = build_channel(
        "mail",
        {"type": "email", "host": "127.0.0.1", "port": mailbox.tls_port, "security": "tls",
         "from_address": "desk@vigil.example"},
    )
    assert channel.send(MSG).outcome is Outcome.failed


def test_email_implicit_tls(mailbox: SmtpServers) -> None:
    channel = build_channel(
        "mail",
        {"type": "email", "host": "127.0.0.1", "port": mailbox.tls_port, "security": "tls",
         "from_address": "desk@vigil.example", "ca_file": str(mailbox.ca_file)},
    )
    assert channel.send(MSG).outcome is Outcome.delivered
    assert len(mailbox.box.to("ops@example.com")) == 1


def test_email_deferred_then_refused(mailbox: SmtpServers) -> None:
    channel = build_channel(
        "mail",
        {"type": "email", "host": "127.0.0.1", "port": mailbox.plain_port, "security": "none",
         "from_address": "desk@vigil.example"},
    )
    mailbox.box.refuse("ops@example.com", "451 4.3.0 try later", "550 5.1.1 no such user")
    assert channel.send(MSG).outcome is Outcome.retryable
    assert channel.send(MSG).outcome is Outcome.failed
    assert channel.send(MSG).outcome is Outcome.delivered


def test_email_server_down_is_retryable() -> None:
    channel = build_channel(
        "mail",
        {"type": "email", "host": "127.0.0.1", "port": free_port(), "security": "none",
         "from_address": "desk@vigil.example", "timeout_seconds": 2},
    )
    assert channel.send(MSG).outcome is Outcome.retryable


def test_sms_template_escapes_and_classifies(http_receiver: HttpReceiver) -> None:
    channel = build_channel(
        "sms",
        {
            "type": "sms",
            "url": f"{http_receiver.url}/sms/send",
            "body_template": '{"mobile": "$phone", "content": "$text", "ref": "$key"}',
            "auth_header": "X-Api-Key",
            "auth_value": "k-123",
            "success_contains": '"code": 0',
        },
    )
    message = Message("k1", 'P1 "core" down', "line\nbreak", recipient="+8613800000000")
    http_receiver.script("/sms", (503, "busy", {}), (400, "bad number", {}))
    assert channel.send(message).outcome is Outcome.retryable
    assert channel.send(message).outcome is Outcome.failed
    assert channel.send(message).outcome is Outcome.delivered
    last = http_receiver.on("/sms")[-1]
    assert last.json() == {"mobile": "+8613800000000", "content": 'P1 "core" down: line\nbreak', "ref": "k1"}
    assert last.headers["x-api-key"] == "k-123"
    assert last.headers["x-idempotency-key"] == "k1"


def test_sms_form_template_and_body_error(http_receiver: HttpReceiver) -> None:
    channel = build_channel(
        "sms",
        {
            "type": "sms",
            "url": f"{http_receiver.url}/sms/form",
            "content_type": "application/x-www-form-urlencoded",
            "body_template": "to=$phone&msg=$text",
            "success_contains": "OK",
        },
    )
    http_receiver.script("/sms/form", (200, "ERR 17 quota", {}), (200, "OK", {}))
    message = Message("k2", "a&b=c", "", recipient="13800000000")
    assert channel.send(message).outcome is Outcome.failed
    assert channel.send(message).outcome is Outcome.delivered
    assert parse_qs(http_receiver.on("/sms/form")[-1].body.decode()) == {"to": ["13800000000"], "msg": ["a&b=c"]}


def test_wecom_robot(http_receiver: HttpReceiver) -> None:
    channel = build_channel("wecom", {"type": "wecom", "webhook_url": f"{http_receiver.url}/wecom?key=SECRETKEY"})
    http_receiver.script("/wecom", (200, '{"errcode": 45009, "errmsg": "api freq out of limit"}', {}))
    first = channel.send(MSG)
    assert first.outcome is Outcome.retryable and "SECRETKEY" not in first.detail
    assert channel.send(MSG).outcome is Outcome.delivered
    body = http_receiver.on("/wecom")[-1].json()
    assert body["msgtype"] == "text" and "T-1" in body["text"]["content"]


def test_dingtalk_robot_is_signed(http_receiver: HttpReceiver) -> None:
    channel = build_channel(
        "ding", {"type": "dingtalk", "webhook_url": f"{http_receiver.url}/ding?access_token=tok", "secret": "SEC"}
    )
    http_receiver.script("/ding", (200, '{"errcode": 310000, "errmsg": "sign not match"}', {}))
    assert channel.send(MSG).outcome is Outcome.failed
    assert channel.send(MSG).outcome is Outcome.delivered
    query = parse_qs(urlsplit(http_receiver.on("/ding")[-1].path).query)
    stamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC", f"{stamp}\nSEC".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected and query["access_token"] == ["tok"]


def test_feishu_robot_is_signed(http_receiver: HttpReceiver) -> None:
    channel = build_channel("fs", {"type": "feishu", "webhook_url": f"{http_receiver.url}/feishu/hook", "secret": "S"})
    http_receiver.script("/feishu", (200, '{"code": 11232, "msg": "frequency limited"}', {}))
    assert channel.send(MSG).outcome is Outcome.retryable
    assert channel.send(MSG).outcome is Outcome.delivered
    body = http_receiver.on("/feishu")[-1].json()
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\nS".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected and body["msg_type"] == "text"


def test_webhook_is_hmac_signed(http_receiver: HttpReceiver) -> None:
    channel = build_channel("hook", {"type": "webhook", "url": f"{http_receiver.url}/hook", "secret": "whsec"})
    http_receiver.script("/hook", (429, "slow down", {"Retry-After": "7"}), (404, "gone", {}))
    first = channel.send(MSG)
    assert first.outcome is Outcome.retryable and first.retry_after_seconds == 7
    assert channel.send(MSG).outcome is Outcome.failed
    assert channel.send(MSG).outcome is Outcome.delivered
    got = http_receiver.on("/hook")[-1]
    stamp = got.headers["x-vigil-timestamp"]
    mac = hmac.new(b"whsec", f"{stamp}.".encode() + got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-vigil-signature"] == f"sha256={mac}"
    assert got.headers["x-vigil-idempotency-key"] == "T-1-ack-abc"
    assert json.loads(got.body)["idempotency_key"] == "T-1-ack-abc"


def test_unreachable_robot_is_retryable_and_hides_the_key() -> None:
    channel = build_channel("w", {"type": "wecom", "webhook_url": f"http://127.0.0.1:{free_port()}/x?key=HIDDEN"})
    result = channel.send(MSG)
    assert result.outcome is Outcome.retryable and "HIDDEN" not in result.detail


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"type": "pigeon"}, "type must be one of"),
        ({"type": "email", "host": "x"}, "from_address"),
        ({"type": "email", "host": "x", "from_address": "a@b.example", "colour": 1}, "colour"),
        ({"type": "sms", "url": "ftp://x"}, "url"),
        ({"type": "sms", "url": "http://x", "body_template": "$phone $secret"}, "unknown placeholders"),
        ({"type": "dingtalk", "webhook_url": "http://x"}, "secret"),
    ],
)
def test_bad_channel_config_is_refused_with_the_key(raw: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        build_channel("c", raw)
