"""Plain text and Markdown: UTF-8 or the legacy Korean encodings (CP949/EUC-KR), never mojibake."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from connectors.document import Block, Document, Format, table_block
from connectors.errors import ParseError
from connectors.parsers.base import ParseLimits
from connectors.parsers.textnorm import normalize_line

# The closing "#"s are stripped in code: "(.*?)\s*#*\s*$" backtracks cubically on a long run of spaces or "#".
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode bytes as UTF-8, else CP949 (a superset of EUC-KR), else the best guess; return (text, encoding)."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ParseError(file, "텍스트 인코딩을 알아낼 수 없습니다",
                         "메모장 등에서 UTF-8로 다시 저장한 뒤 올려 주세요")
    return str(best), best.encoding


def parse_text(data: bytes, file: str, limits: ParseLimits, fmt: Format = "txt") -> Document:
    """One block per non-empty line; for Markdown, `#` headings and `|` tables are recognised."""
    text, encoding = decode_text(data, file)
    warnings = [] if encoding in ("utf-8-sig", "utf-8", "ascii") else [f"{encoding.upper()} 인코딩으로 읽었습니다"]
    blocks = _markdown_blocks(text) if fmt == "md" else _text_blocks(text)
    title = blocks[0].text if blocks else None
    return Document(file=file, format=fmt, blocks=blocks, title=title, warnings=warnings)


def parse_markdown(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Markdown: like text, with headings and tables."""
    return parse_text(data, file, limits, fmt="md")


def _text_blocks(text: str) -> list[Block]:
    lines = (normalize_line(line) for line in text.splitlines())
    return [Block(text=line) for line in lines if line]


def _markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    table: list[list[str]] = []
    for raw in text.splitlines():
        line = normalize_line(raw)
        if line.startswith("|") and line.endswith("|"):
            if not _MD_TABLE_RULE.match(line):
                table.append([cell.strip() for cell in line.strip("|").split("|")])
            continue
        if table:
            blocks.append(table_block(table))
            table = []
        if not line:
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            text = heading.group(2).rstrip().rstrip("#").rstrip()
            blocks.append(Block(text=text, kind="title" if level == 1 and not blocks else "heading", level=level))
        else:
            blocks.append(Block(text=line))
    if table:
        blocks.append(table_block(table))
    return blocks
