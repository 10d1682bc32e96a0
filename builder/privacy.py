"""Masking of personal data (resident registration numbers, phone numbers, e-mail addresses) in logs and traces."""

from __future__ import annotations

import re

_RRN = re.compile(r"(?<!\d)(\d{6})\s?-\s?([1-4])\d{6}(?!\d)")
_PHONE = re.compile(r"(?<!\d)(0\d{1,2})[-.\s]?(\d{3,4})[-.\s]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask(text: str) -> str:
    """The text with 주민등록번호 (`900101-1******`), phone numbers (`010-****-5678`) and e-mails masked."""
    text = _RRN.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}-****-{m.group(3)}", text)
    return _EMAIL.sub(lambda m: "***@" + m.group(0).split("@", 1)[1], text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """The text with control characters shown as escapes (`\\n`, `\\x1b`, `\\u202e`), for logs and terminal output:
    a user name or file name must not forge a log line, move the cursor or reverse what follows it."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
