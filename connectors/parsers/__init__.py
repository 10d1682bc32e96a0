"""Parsers: the bytes of one file in, one Document out, the format decided by content."""

from __future__ import annotations

import logging
from collections.abc import Callable

from connectors.document import Document, Format
from connectors.errors import ConnectorError, FileTooLargeError, ParseError
from connectors.parsers.base import ParseLimits, Parser
from connectors.parsers.detect import EXTENSIONS, check_name, detect_format, extension_format, mismatch_warning
from connectors.parsers.docx import parse_docx
from connectors.parsers.html import parse_html
from connectors.parsers.hwp import parse_hwp
from connectors.parsers.hwpx import parse_hwpx
from connectors.parsers.pdf import parse_pdf
from connectors.parsers.text import parse_markdown, parse_text

log = logging.getLogger(__name__)
_MB = 1024 * 1024

PARSERS: dict[Format, Parser] = {
    "pdf": parse_pdf,
    "hwp": parse_hwp,
    "hwpx": parse_hwpx,
    "docx": parse_docx,
    "txt": parse_text,
    "md": parse_markdown,
    "html": parse_html,
}

__all__ = ["EXTENSIONS", "PARSERS", "ParseLimits", "parse_bytes", "supported"]


def supported(file: str) -> bool:
    """True when the file name has an extension we read (folder scans look only at those)."""
    return extension_format(file) is not None


def parse_bytes(data: bytes, file: str, limits: ParseLimits | None = None) -> Document:
    """Parse one file's bytes; every failure is a ConnectorError naming the file and what to do."""
    limits = limits or ParseLimits()
    check_name(file)
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(
            file,
            f"파일이 {len(data) / _MB:.0f}MB로 한도({limits.max_file_bytes / _MB:.0f}MB)를 넘습니다",
            "파일을 나누거나 관리자에게 한도(DEPTBOT_MAX_FILE_MB) 조정을 요청해 주세요",
        )
    fmt = detect_format(data, file, limits)
    parser: Callable[[bytes, str, ParseLimits], Document] = PARSERS[fmt]
    try:
        document = parser(data, file, limits)
    except (ConnectorError, MemoryError):
        raise  # MemoryError: the parse went over its worker's memory limit, which the worker reports as such
    except Exception as exc:
        # One file's unexpected failure (a parser library bug on odd input) must not stop a folder's
        # re-index: it becomes this file's clear error, and the traceback goes to the log.
        log.exception("parse failed file=%s format=%s", file, fmt)
        raise ParseError(file, f"문서 구조가 비정상적이라 읽지 못했습니다 ({type(exc).__name__})",
                         "원본 프로그램에서 다시 저장한 뒤 올려 주세요") from exc
    warning = mismatch_warning(file, fmt)
    if warning:
        document.warnings.insert(0, warning)
    return document
