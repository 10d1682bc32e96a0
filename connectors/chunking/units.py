"""Logical units: blocks with PDF line wraps joined back into paragraphs, each with its page range."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.chunking.patterns import LETTER_ITEM, LETTERS
from connectors.document import Block, Document
from connectors.korean import one_word

_SYLLABLE = re.compile(r"[가-힣]")
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")


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
             closed: Callable[[str], bool] = lambda _: False, *, rejoin: bool = False) -> list[Unit]:
    """Blocks as units; in PDFs a line that does not open a structural element continues the previous one.

    PDF text comes line by line as laid out, so a paragraph wrapped over three lines is three blocks;
    formats with real paragraphs (DOCX, HWP, HWPX, TXT, HTML) keep one unit per block. A unit for which
    `closed` is true (a heading line) takes no continuation.
    """
    join = document.format == "pdf"
    # Statutes (law.go.kr) wrap only at spaces: their lines are always joined with one. Other PDFs, often exported
    # from HWP, wrap inside words too (`rejoin`).
    words = _Words(document) if join and rejoin else None
    units: list[Unit] = []
    letter = ""  # the last 목 letter that opened a unit
    line = ""  # the line before this one
    for block in document.blocks:
        opens = _opens(block.text, starts, letter)
        before, line = line, block.text
        if join and units and not opens and _continues(block, units[-1]) and not closed(units[-1].text):
            last = units[-1]
            glue = "" if words is not None and words.cut(before, block.text) else " "
            if block.page is not None and block.page != last.page_end:
                last.breaks.append((len(last.text) + len(glue), block.page))
            last.text = f"{last.text}{glue}{block.text}"
            last.page_end = block.page if block.page is not None else last.page_end
            last.lines += 1
            continue
        if block.kind == "paragraph" and not has_words(block.text):
            continue  # a rule ("-----", "· · ·") alone is no unit: it would make a chunk of nothing but dashes
        if item := LETTER_ITEM.match(block.text):
            letter = item.group(1)
        units.append(_unit(block))
    return units


class _Words:
    """Whether a PDF line break cut a word in two, judged by the words the document itself writes.

    Documents exported from HWP wrap Korean lines between any two syllables ("탄소중" / "립기본계획을"), law.go.kr's
    statutes only at spaces, and the PDF keeps no trace of which. Words inside a line (not first or last on it) are
    certainly whole, so they decide: the break is inside a word when the document writes a word beginning with the
    two sides run together ("탄소중립…"), and one side is never a whole word of its own ("탄소중", "서" of "법률에 /
    서"). "6개월 / 이상의" stays two words even though "6개월이" is a word: both sides are words.

    Most cut words are not written whole elsewhere ("검토하겠" / "습니다.", "카드" / "로", "정" / "합성을"): when the
    right side is never a word of its own, Kiwi's analysis of the two sides run together decides
    (`connectors.korean.one_word`: the seam inside a morpheme it knows, or before a particle, ending or suffix).
    Measured on the eval corpus's non-statute PDFs: it joins 858 more breaks (after a line of running text only: a
    table cell's line of one word, "서식명" / "제출처", is left alone), and in a sample of 40 about 35 read right;
    the wrong ones are text already garbled (a two-column page's crossing). Where the right side is a word of
    its own, its joins went wrong on words that begin like a particle ("부족" / "이커머스"), so those keep their
    space; so does "회계과" / "지출팀" (the seam starts a noun).
    """

    def __init__(self, document: Document) -> None:
        inner: set[str] = set()
        for block in document.blocks:
            inner.update(_bare(word) for word in block.text.split()[1:-1])
        self.whole = inner
        self.sorted = sorted(inner)

    def cut(self, left_text: str, right_text: str) -> bool:
        """Whether the break between a line (`left_text`) and the next (`right_text`) is inside a word."""
        left_raw = left_text.rsplit(None, 1)[-1] if left_text.strip() else ""
        right_raw = right_text.split(None, 1)[0] if right_text.strip() else ""
        if not (left_raw and right_raw and _SYLLABLE.match(left_raw[-1]) and _SYLLABLE.match(right_raw[0])):
            return False  # a sentence or clause ended ("…있음." / "다만"), or a number, bracket or mark is at the break
        left, right = _bare(left_raw), _bare(right_raw)
        if left in self.whole and right in self.whole:
            return False
        probe = left + right[0]
        at = bisect.bisect_left(self.sorted, probe)
        if at < len(self.sorted) and self.sorted[at].startswith(probe):
            return True
        # Only after a line of running text: a line of one word ended by itself (a table cell: "서식명" / "제출처").
        return right not in self.whole and " " in left_text.strip() and one_word(left_raw, right_raw)


def _bare(word: str) -> str:
    """A word without the quotes, brackets and punctuation around it."""
    return _EDGES.sub("", word)


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
