"""Manual-aware chunking: sections by headings, sized for the embedder with a small overlap.

Korean administrative manuals mark structure with numbered headings (Ⅰ. / 1. / 1.1 / 가.) and with □ ○ -
markers; a generic splitter ignores both, so the heading path a staff member would cite is lost.
"""

from __future__ import annotations

import re

from connectors.chunk import Chunk
from connectors.chunking.options import ChunkOptions
from connectors.chunking.packing import pack
from connectors.chunking.patterns import (
    ADDENDA_HEAD,
    BOX_MARK,
    BULLET_MARK,
    DOTTED_HEAD,
    LETTER_HEAD,
    LETTERS,
    NUMBER_HEAD,
    ROMAN_HEAD,
)
from connectors.chunking.units import Unit, has_words, page_offsets, page_range, units_of
from connectors.document import Document

# Textual heading patterns and the level each stands at; style-based headings (DOCX, HWPX) use their own level.
# □ ○ - lines are content (a □ line is a statement, not a title): they start units, so chunks break between
# items and never inside one, but they do not enter the heading path.
_TEXT_HEADINGS = ((ROMAN_HEAD, 1), (DOTTED_HEAD, 3), (NUMBER_HEAD, 2), (LETTER_HEAD, 4))
# A line that is only "부 칙" (a bill's or a rule's addenda, in a document read as a manual) starts its own unit.
_STARTS = re.compile("|".join(p.pattern for p in (ROMAN_HEAD, DOTTED_HEAD, NUMBER_HEAD, LETTER_HEAD, BOX_MARK,
                                                  BULLET_MARK, ADDENDA_HEAD)))
_MAX_HEADING_CHARS = 60
_SENTENCE_END = re.compile(r"(다\.?|[.?!])$")
# A PDF page break closes a chunk once it holds this much, so that citations point at one page.
_PAGE_FLUSH_CHARS = 300
_MIN_SECTION_CHARS = 80
# A PDF heading line is shorter than a wrapped body line (about 45 Korean characters on A4).
_PDF_HEADING_CHARS = 30
# A table-of-contents line: "1. 개요 ········ 1" (a dot leader, then the page).
_TOC_LINE = re.compile(r"[·.…ㆍ]{4,}\s*\d*$")
_ITEM_WRAP_CHARS = 80


def chunk_manual(document: Document, title: str, options: ChunkOptions) -> list[Chunk]:
    """Chunks of a manual, guideline or other non-statute document, each with its heading path."""
    chunks: list[Chunk] = []
    units = units_of(document, _STARTS, closed=_heading_line, rejoin=True)
    for heading, section in _sections(units, pdf=document.format == "pdf"):
        for group in pack(section, options.max_chars, options.overlap_chars):
            start, end = page_range(group)
            text = "\n".join(u.text for u in group)
            if not has_words(text):
                continue
            chunks.append(Chunk(
                text=text, file=document.file, kind="manual", title=title, heading=heading, page_start=start,
                page_end=end, ordinal=len(chunks), page_offsets=page_offsets(group, text),
            ))
    return chunks


def heading_level(unit: Unit) -> int:
    """The heading level of a unit (1 = top), or 0 when it is body text."""
    if unit.kind == "heading":
        return max(unit.level, 1)
    if unit.kind != "paragraph" or len(unit.text) > _MAX_HEADING_CHARS:
        return 0
    for pattern, level in _TEXT_HEADINGS:
        if pattern.match(unit.text):
            # "1. 신청서를 받는다." is a list item, not a heading: headings do not end a sentence.
            return 0 if _SENTENCE_END.search(unit.text) else level
    return 0


def _heading_line(text: str) -> bool:
    """A short numbered line that does not end a sentence: a heading a PDF line must not be joined to."""
    short = len(text) <= _PDF_HEADING_CHARS and not _SENTENCE_END.search(text)
    return short and any(pattern.match(text) for pattern, _ in _TEXT_HEADINGS)


def _sections(units: list[Unit], pdf: bool = False) -> list[tuple[str, list[Unit]]]:
    """(heading path, units) per section; heading lines stay in their section's text."""
    sections: list[tuple[str, list[Unit]]] = []
    path: dict[int, str] = {}
    current: list[Unit] = []
    body = 0  # characters of non-heading text in `current`
    items = _list_items(units, pdf)
    for index, unit in enumerate(units):
        level = 0 if index in items else heading_level(unit)
        page_break = current and unit.page_start != current[-1].page_end and body >= _PAGE_FLUSH_CHARS
        if (level and body) or page_break:
            sections.append((_path(path), current))
            current, body = [], 0
        if level:
            path = {lvl: head for lvl, head in path.items() if lvl < level} | {level: unit.text}
        elif unit.kind != "title":  # the document title opens the first chunk but is not its body
            body += unit.size
        current.append(unit)
    if current:
        sections.append((_path(path), current))
    return _merge_small(sections)


def _list_items(units: list[Unit], pdf: bool) -> set[int]:
    """Indexes of numbered units that are items of a list or a table of contents, not headings.

    A heading is one line and has a body: numbered siblings ("1." then "2.") form a list when one of them wraps
    onto the next line, or, in a PDF, when what separates them is one short line (an item's wrap kept apart
    because its first line was short enough to be a heading).
    """
    items = {index for index, unit in enumerate(units) if _TOC_LINE.search(unit.text)}
    runs: list[list[int]] = []
    gaps: list[bool] = []  # whether each run had a line between siblings
    last: tuple[int, re.Pattern[str], int] | None = None
    for index, unit in enumerate(units):
        found = _list_number(unit)
        if found is None:
            continue
        pattern, number = found
        gap = units[last[0] + 1:index] if last else []
        sibling = last is not None and last[1] is pattern and last[2] + 1 == number
        if sibling and (not gap or (pdf and len(gap) == 1 and gap[0].size <= _ITEM_WRAP_CHARS)):
            runs[-1].append(index)
            gaps[-1] = gaps[-1] or bool(gap)
        else:
            runs.append([index])
            gaps.append(False)
        last = (index, pattern, number)
    for run, gapped in zip(runs, gaps, strict=True):
        if gapped or any(units[i].lines > 1 for i in run):
            items.update(run)
    return items


def _list_number(unit: Unit) -> tuple[re.Pattern[str], int] | None:
    """The list pattern and the number (1, 2, ... or 가 = 0, 나 = 1, ...) of a numbered paragraph unit."""
    if unit.kind != "paragraph":
        return None
    if NUMBER_HEAD.match(unit.text):
        return NUMBER_HEAD, int(unit.text.split(".", 1)[0])
    if LETTER_HEAD.match(unit.text):
        return LETTER_HEAD, LETTERS.index(unit.text[0])
    return None


def _merge_small(sections: list[tuple[str, list[Unit]]]) -> list[tuple[str, list[Unit]]]:
    """A section too small to answer anything (a cover: title, date, department) joins the next one."""
    merged: list[tuple[str, list[Unit]]] = []
    carry: list[Unit] = []
    for heading, units in sections:
        units = carry + units
        if sum(u.size for u in units) < _MIN_SECTION_CHARS and heading == "" and units is not sections[-1][1]:
            carry = units
            continue
        carry = []
        merged.append((heading, units))
    if carry:
        merged.append(("", carry))
    return merged


def _path(path: dict[int, str]) -> str:
    return " > ".join(path[lvl] for lvl in sorted(path))
