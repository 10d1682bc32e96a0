"""Logical units: blocks with PDF line wraps joined back into paragraphs, each with its page range."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.chunking.patterns import LETTER_ITEM, LETTERS
from connectors.document import Block, Document


@dataclass(slots=True)
class Unit:
    """A paragraph-like piece of text with the pages it spans and its block kind."""

    text: str
    kind: str
    level: int
    page_start: int | None
    page_end: int | None
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where a later page starts
    lines: int = 1  # PDF lines joined into this unit

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
    letter = ""  # the last 목 letter that opened a unit
    for block in document.blocks:
        opens = _opens(block.text, starts, letter)
        if join and units and not opens and _continues(block, units[-1]) and not closed(units[-1].text):
            last = units[-1]
            if block.page is not None and block.page != last.page_end:
                last.breaks.append((len(last.text) + 1, block.page))
            last.text = f"{last.text} {block.text}"
            last.page_end = block.page if block.page is not None else last.page_end
            last.lines += 1
            continue
        if block.kind == "paragraph" and not has_words(block.text):
            continue  # a rule ("-----", "· · ·") alone is no unit: it would make a chunk of nothing but dashes
        if item := LETTER_ITEM.match(block.text):
            letter = item.group(1)
        units.append(_unit(block))
    return units


def has_words(text: str) -> bool:
    """Whether a text holds any letter or digit (not only rules, dots and dashes)."""
    return any(ch.isalnum() for ch in text)


def _opens(text: str, starts: re.Pattern[str], letter: str) -> bool:
    """Whether a line opens a structural element; a 목 letter other than 가 only right after its predecessor.

    A wrapped sentence can put its last syllable at the start of a line ("바랍" / "다. 각 기관에서는"), which
    reads like item 다 unless item 나 came before.
    """
    if not starts.match(text):
        return False
    item = LETTER_ITEM.match(text)
    return not item or item.group(1) == LETTERS[0] or LETTERS.find(letter) + 1 == LETTERS.find(item.group(1))


def _continues(block: Block, last: Unit) -> bool:
    return block.kind == "paragraph" and last.kind == "paragraph"


def _unit(block: Block) -> Unit:
    return Unit(text=block.text, kind=block.kind, level=block.level, page_start=block.page, page_end=block.page)


def page_range(units: list[Unit]) -> tuple[int | None, int | None]:
    """First and last page of a run of units (None for formats without pages)."""
    pages = [p for u in units for p in (u.page_start, u.page_end) if p is not None]
    return (min(pages), max(pages)) if pages else (None, None)


def page_offsets(units: list[Unit], text: str) -> list[tuple[int, int]]:
    """(offset, page) where each page starts in `text`, the units joined by newlines after any prefix.

    A prefix (a statute part repeats its article header) belongs to the first page.
    """
    starts: list[tuple[int, int]] = []
    position = len(text) - len("\n".join(u.text for u in units))
    for unit in units:
        for offset, page in [(0, unit.page_start), *unit.breaks]:
            if page is not None and (not starts or starts[-1][1] != page):
                starts.append((position + offset, page))
        position += unit.size + 1
    if starts:
        starts[0] = (0, starts[0][1])
    return starts
