"""Text that comes from devices (sysDescr, ifAlias, command output) is untrusted data.

It is decoded without ever failing: UTF-8 first, then GB18030 (Chinese devices often send GBK
text, e.g. a sysLocation of "中文"), and otherwise UTF-8 with undecodable bytes as U+FFFD. It is
then stripped of control
characters that would break a line, a log or a terminal, and bounded in length.
"""

from __future__ import annotations

TEXT_LIMIT_CHARS = 256
TAG_LIMIT_CHARS = 64

_CONTROL = {c: " " for c in range(32)} | {127: " "}


def device_text(raw: bytes | str, limit: int = TEXT_LIMIT_CHARS) -> str:
    """Decode and bound one device string; never raises."""
    if isinstance(raw, bytes):
        text = _decode(raw[: limit * 4])
    else:
        text = raw[: limit * 4]
    text = text.translate(_CONTROL).strip()
    return text[:limit]


def device_tag(raw: bytes | str) -> str:
    """A device string used as a tag value: shorter, since tags are indexed."""
    return device_text(raw, TAG_LIMIT_CHARS)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")
