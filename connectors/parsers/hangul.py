"""Pieces shared by the HWP and HWPX readers: outline heading levels, table grids, paragraph assembly around the
objects a paragraph anchors, text cleaning and the title guess.

Split from hwpx.py (past the 400-line rule), where they lived and whence hwp.py imported them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.document import Block
from connectors.parsers.textnorm import split_lines

_OUTLINE_STYLE = re.compile(r"^(?:개요|outline|heading|제목)\s*(\d{1,2})$", re.IGNORECASE)
_MAX_GRID_CELLS = 200_000  # a crafted cell address must not make us allocate a huge grid


def outline_level(style_name: str) -> int:
    """Heading level (1..10) for an outline style name such as "개요 2" or "Heading 3", else 0."""
    match = _OUTLINE_STYLE.match(" ".join(style_name.split()))
    if not match:
        return 0
    level = int(match.group(1))
    return level if 1 <= level <= 10 else 0


@dataclass(slots=True)
class TableCell:
    """One table cell in reading order; row/col are its top-left grid address (-1 when unknown)."""

    text: str
    row: int = -1
    col: int = -1


def grid_rows(groups: list[list[TableCell]], n_rows: int = 0, n_cols: int = 0) -> list[list[str]]:
    """Rows of cell text: placed by address (spanned positions left empty), else in the given row groups."""
    cells = [cell for group in groups for cell in group]
    addresses = {(c.row, c.col) for c in cells}
    valid = bool(cells) and len(addresses) == len(cells) and all(c.row >= 0 and c.col >= 0 for c in cells)
    if valid:
        rows = max(n_rows, max(c.row for c in cells) + 1)
        cols = max(n_cols, max(c.col for c in cells) + 1)
        if rows * cols <= _MAX_GRID_CELLS:
            grid = [[""] * cols for _ in range(rows)]
            for cell in cells:
                grid[cell.row][cell.col] = cell.text
            return grid
    # Addresses missing, clashing or absurd: keep the reading order the file gave us, each cell once.
    return [[cell.text for cell in group] for group in groups if group]


def cell_text(block: Block) -> str:
    """A block's text as it goes into a table cell: a nested table becomes its non-empty cells in order."""
    if block.kind == "table" and block.rows is not None:
        return " ".join(cell for row in block.rows for cell in row if cell)
    return block.text


def assemble_blocks(pieces: list[str | list[Block]], level: int) -> list[Block]:
    """Join text pieces into paragraph (or heading) blocks, cut wherever an object's blocks sit."""
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        text = clean_text("".join(buffer))
        buffer.clear()
        if text:
            blocks.append(Block(text=text, kind="heading", level=level) if level else Block(text=text))

    for piece in pieces:
        if isinstance(piece, str):
            buffer.append(piece)
        elif piece:
            flush()
            blocks.extend(piece)
    flush()
    return blocks


def clean_text(text: str) -> str:
    """Normalised non-empty lines (NFC, no control characters, single spaces), joined by newlines."""
    return "\n".join(split_lines(text))


def guess_title(blocks: list[Block]) -> str | None:
    """The first non-empty non-table line, as a best-effort title."""
    for block in blocks:
        if block.kind != "table" and block.text.strip():
            return block.text.strip().split("\n")[0][:200]
    return None
