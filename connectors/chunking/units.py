"""Logical units: blocks with PDF line wraps joined back into paragraphs, each with its page range."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from connectors.document import Block, Document


@dataclass(slots=True)
class Unit:
    """A paragraph-like piece of text with the pages it spans and its block kind."""

    text: str
    kind: str
    level: int
    page_start: int | None
    page_end: int | None

    @property
    def size(self) -> int:
        """Length in characters."""
        return len(self.text)


def units_of(document: Document, starts: re.Pattern[str],
             closed: Callable[[str], bool] = lambda _: False) -> list[Unit]:
    """Blocks as units; in PDFs a line that does not open a structural element continues the previous one.

    PDF text comes line by line as laid out, so a paragraph wrapped over three lines is three blocks;
    formats with real paragraphs (DOCX, HWP, HWPX, TXT, HTML) keep one unit per block. A unit for which
    `closed` is true (a heading line) takes no continuation.
    """
    join = document.format == "pdf"
    units: list[Unit] = []
    for block in document.blocks:
        if join and units and _continues(block, units[-1], starts) and not closed(units[-1].text):
            last = units[-1]
            last.text = f"{last.text} {block.text}"
            last.page_end = block.page if block.page is not None else last.page_end
            continue
        units.append(_unit(block))
    return units


def _continues(block: Block, last: Unit, starts: re.Pattern[str]) -> bool:
    return block.kind == "paragraph" and last.kind == "paragraph" and not starts.match(block.text)


def _unit(block: Block) -> Unit:
    return Unit(text=block.text, kind=block.kind, level=block.level, page_start=block.page, page_end=block.page)


def page_range(units: list[Unit]) -> tuple[int | None, int | None]:
    """First and last page of a run of units (None for formats without pages)."""
    pages = [p for u in units for p in (u.page_start, u.page_end) if p is not None]
    return (min(pages), max(pages)) if pages else (None, None)
