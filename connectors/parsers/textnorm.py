"""Text normalisation shared by the parsers."""

from __future__ import annotations

import re
import unicodedata

# Control characters other than tab and newline; PDF and HWP text sometimes carries them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def normalize_line(text: str) -> str:
    """NFC (never NFKC: it would turn ① into 1), no control characters, single spaces, stripped."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def split_lines(text: str) -> list[str]:
    """Normalised non-empty lines of `text`."""
    lines = (normalize_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [line for line in lines if line]
