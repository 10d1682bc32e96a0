"""Our own document model: what every parser returns and every chunker reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["title", "heading", "paragraph", "table"]
Format = Literal["pdf", "hwp", "hwpx", "docx", "txt", "md", "html"]


@dataclass(slots=True)
class Block:
    """One unit of text in reading order: a line or paragraph, a heading, or a whole table.

    `page` is the 1-based page the block starts on (None for formats without pages); `level` is the
    heading level (1 = top) for headings; a table's `rows` keep the cells, and `text` is the table
    rendered as one row per line with cells joined by " | ". `ocr` marks a line read from an embedded picture.
    """

    text: str
    kind: BlockKind = "paragraph"
    page: int | None = None
    level: int = 0
    rows: list[list[str]] | None = None
    ocr: bool = False  # text recognised by OCR in a picture embedded in the document, not read from its text
    picture: str = ""  # a parser's placeholder for an embedded picture (its reference); never left in a Document


@dataclass(slots=True)
class Document:
    """A parsed file: its blocks in reading order plus what the parser learned about it."""

    file: str  # path relative to the department folder, with "/" separators
    format: Format
    blocks: list[Block]
    pages: int | None = None  # page count for paged formats (PDF); None otherwise
    title: str | None = None
    warnings: list[str] = field(default_factory=list)  # Korean, one line each (e.g. pages without text)
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text was recognised by OCR, not read

    @property
    def text(self) -> str:
        """The whole text, blocks joined by newlines."""
        return "\n".join(b.text for b in self.blocks)


def table_block(rows: list[list[str]], page: int | None = None) -> Block:
    """A table block whose text is one row per line, cells joined by ' | ' (empty rows dropped)."""
    clean = [[" ".join(c.split()) for c in row] for row in rows]
    clean = [row for row in clean if any(row)]
    return Block(text="\n".join(" | ".join(row) for row in clean), kind="table", page=page, rows=clean)
