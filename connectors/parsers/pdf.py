"""PDF with pypdf: text per page, page furniture removed, pages without a text layer reported."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

import pypdf
from pypdf.errors import FileNotDecryptedError, PyPdfError

from connectors.document import Block, Document
from connectors.errors import EncryptedDocumentError, ParseError
from connectors.parsers.base import ParseLimits
from connectors.parsers.textnorm import split_lines

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
# Page furniture sits in the first and last few lines of a page (law.go.kr exports: the law name on top,
# "법제처 / N / 국가법령정보센터" at the bottom, which pypdf returns as three lines).
_TOP_LINES = 2
_BOTTOM_LINES = 4
# What pypdf raises on a damaged or hostile file: its own errors (PdfReadError, and LimitReachedError for a
# reference loop or an over-long CMap code), an unknown stream filter (NotImplementedError), and Python errors
# from structures it does not check.
_MALFORMED = (PyPdfError, NotImplementedError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
              OSError)


def parse_pdf(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Read a PDF into one block per text line, each carrying its page number."""
    reader = _open(data, file)
    try:
        pages = [split_lines(page.extract_text() or "") for page in reader.pages]
    except _MALFORMED as exc:
        raise ParseError(file, f"PDF 내용을 읽는 중 오류가 났습니다 ({type(exc).__name__}: {exc})",
                         "PDF를 다시 내보내거나 인쇄(PDF로 저장)한 뒤 올려 주세요") from exc
    warnings = _empty_page_warnings(pages)
    pages = _strip_furniture(pages)
    blocks = [Block(text=line, page=number) for number, lines in enumerate(pages, 1) for line in lines]
    title = blocks[0].text if blocks else None
    return Document(file=file, format="pdf", blocks=blocks, pages=len(pages), title=title, warnings=warnings)


def _open(data: bytes, file: str) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocumentError(file, "암호가 걸린 PDF입니다",
                                         "암호를 해제한 PDF로 다시 저장해 올려 주세요")
        _ = len(reader.pages)  # forces the page tree to load, so a broken tree fails here
    except EncryptedDocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(file, "암호가 걸린 PDF입니다",
                                     "암호를 해제한 PDF로 다시 저장해 올려 주세요") from exc
    except _MALFORMED as exc:
        raise ParseError(file, f"PDF 파일이 손상되었거나 잘렸습니다 ({type(exc).__name__}: {exc})",
                         "원본에서 PDF를 다시 내보낸 뒤 올려 주세요") from exc
    return reader


def _empty_page_warnings(pages: list[list[str]]) -> list[str]:
    empty = [number for number, lines in enumerate(pages, 1) if not lines]
    if not empty:
        return []
    shown = ", ".join(map(str, empty[:10])) + (" 등" if len(empty) > 10 else "")
    return [f"텍스트 레이어가 없는 쪽 {len(empty)}개 (스캔 문서?): {shown}쪽"]


def _furniture_key(line: str) -> str:
    return _DIGITS.sub("#", line)


def _strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove lines that repeat at the top or bottom of most pages (running headers, footers, page numbers)."""
    with_text = [lines for lines in pages if lines]
    if len(with_text) < 3:
        return pages
    counts: Counter[str] = Counter()
    for lines in with_text:
        edge = set(lines[:_TOP_LINES]) | set(lines[-_BOTTOM_LINES:])
        counts.update({_furniture_key(line) for line in edge})
    threshold = max(3, int(0.6 * len(with_text)))
    furniture = {key for key, n in counts.items() if n >= threshold}
    if not furniture:
        return pages
    return [_strip_page(lines, furniture) for lines in pages]


def _strip_page(lines: list[str], furniture: set[str]) -> list[str]:
    # Strip each furniture line at most once per edge, so that a title that repeats the running header
    # (page 1 of a law.go.kr export) stays in the body.
    start, used = 0, set[str]()
    while start < min(_TOP_LINES, len(lines)) and (key := _furniture_key(lines[start])) in furniture - used:
        used.add(key)
        start += 1
    end, used = len(lines), set[str]()
    while end > max(start, len(lines) - _BOTTOM_LINES) and (key := _furniture_key(lines[end - 1])) in furniture - used:
        used.add(key)
        end -= 1
    return lines[start:end]
