"""Texts of the mails and messages the desk sends, in Chinese and English.

Customer notices use the customer's language; reminders to staff use the recipient's. Every
subject carries the ticket number in brackets, which is how e-mail replies thread back.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "ack": {
        "zh": ("[{number}] 工单已受理：{title}", "您好，\n\n我们已收到并受理您的故障报告"
               "（工单号 {number}，优先级 {priority}）。\n"
               "我们将在 {response_due} 之前响应。回复本邮件即可补充信息。\n\n服务台"),
        "en": ("[{number}] Ticket received: {title}", "Hello,\n\nWe have received your report (ticket {number}, "
               "priority {priority}).\nWe will respond by {response_due}. Reply to this mail to add "
               "information.\n\nService desk"),
    },
    "resolved": {
        "zh": ("[{number}] 工单已解决：{title}", "您好，\n\n工单 {number} 已解决。\n处理说明：{note}\n\n"
               "如问题仍然存在，请直接回复本邮件。\n\n服务台"),
        "en": ("[{number}] Ticket resolved: {title}", "Hello,\n\nTicket {number} has been resolved.\nResolution: "
               "{note}\n\nIf the problem persists, reply to this mail.\n\nService desk"),
    },
    "survey": {
        "zh": ("[{number}] 服务满意度调查", "您好，\n\n工单 {number} 已关闭。请花一分钟为本次服务评分：\n{link}\n"
               "链接 {valid_days} 天内有效，仅可使用一次。\n\n服务台"),
        "en": ("[{number}] How did we do?", "Hello,\n\nTicket {number} is closed. Please rate our service "
               "(one minute):\n{link}\nThe link works once and expires in {valid_days} days.\n\nService desk"),
    },
    "reminder": {
        "zh": ("[{number}] {priority} {clock_zh}时限已用 {percent}%：{title}", "工单 {number}（{customer}）"
               "{clock_zh}时限已用 {percent}%，截止 {due}。处理人：{assignee}。"),
        "en": ("[{number}] {priority} {clock} target {percent}% used: {title}", "Ticket {number} ({customer}): "
               "{percent}% of the {clock} target used, due {due}. Assignee: {assignee}."),
    },
    "breach": {
        "zh": ("[{number}] {priority} {clock_zh}已超时：{title}", "工单 {number}（{customer}）{clock_zh}已于 {due} "
               "超时。处理人：{assignee}。"),
        "en": ("[{number}] {priority} {clock} target BREACHED: {title}", "Ticket {number} ({customer}): the "
               "{clock} target was breached at {due}. Assignee: {assignee}."),
    },
    "assigned": {
        "zh": ("[{number}] {priority} 工单已分派给您：{title}", "工单 {number}（{customer}）已分派给您。"),
        "en": ("[{number}] {priority} ticket assigned to you: {title}", "Ticket {number} ({customer}) is yours."),
    },
    "part_late": {
        "zh": ("[{number}] 备件逾期：{part}", "工单 {number} 的备件 {part} x{quantity} 承诺 {promised} 到货，已逾期。"),
        "en": ("[{number}] Spare part late: {part}", "Ticket {number}: {part} x{quantity} was promised for "
               "{promised} and has not arrived."),
    },
}

CLOCK_ZH = {"response": "响应", "resolution": "解决", "vendor": "厂商期限"}


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str


def render(kind: str, language: str, **values: object) -> Text:
    table = TEXTS[kind]
    subject, body = table.get(language) or table["en"]
    clock = values.get("clock")
    if isinstance(clock, str):
        values.setdefault("clock_zh", CLOCK_ZH.get(clock, clock))
    return Text(subject.format(**values), body.format(**values))
