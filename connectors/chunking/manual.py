"""Manual-aware chunking: sections by headings, sized for the embedder with a small overlap.

Korean administrative manuals mark structure with numbered headings (Ⅰ. / 1. / 1.1 / 가.) and with □ ○ -
markers; a generic splitter ignores both, so the heading path a staff member would cite is lost.
"""

from __future__ import annotations

import re

from connectors.chunk import Chunk
from connectors.chunking.options import ChunkOptions
from connectors.chunking.packing import pack
from connectors.chunking.patterns import BOX_MARK, BULLET_MARK, DOTTED_HEAD, LETTER_HEAD, NUMBER_HEAD, ROMAN_HEAD
from connectors.chunking.units import Unit, page_offsets, page_range, units_of
from connectors.document import Document

# Textual heading patterns and the level each stands at; style-based headings (DOCX, HWPX) use their own level.
# □ ○ - lines are content (a □ line is a statement, not a title): they start units, so chunks break between
# items and never inside one, but they do not enter the heading path.
_TEXT_HEADINGS = ((ROMAN_HEAD, 1), (DOTTED_HEAD, 3), (NUMBER_HEAD, 2), (LETTER_HEAD, 4))
_STARTS = re.compile("|".join(p.pattern for p in (ROMAN_HEAD, DOTTED_HEAD, NUMBER_HEAD, LETTER_HEAD, BOX_MARK,
                                                  BULLET_MARK)))
_MAX_HEADING_CHARS = 60
_SENTENCE_END = re.compile(r"(다\.?|[.?!])$")
# A PDF page break closes a chunk once it holds this much, so that citations point at one page.
_PAGE_FLUSH_CHARS = 300
_MIN_SECTION_CHARS = 80
# A PDF heading line is shorter than a wrapped body line (about 45 Korean characters on A4).
_PDF_HEADING_CHARS = 30


def chunk_manual(document: Document, title: str, options: ChunkOptions) -> list[Chunk]:
    """Chunks of a manual, guideline or other non-statute document, each with its heading path."""
    chunks: list[Chunk] = []
    for heading, units in _sections(units_of(document, _STARTS, closed=_heading_line)):
        for group in pack(units, options.max_chars, options.overlap_chars):
            start, end = page_range(group)
            text = "\n".join(u.text for u in group)
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


def _sections(units: list[Unit]) -> list[tuple[str, list[Unit]]]:
    """(heading path, units) per section; heading lines stay in their section's text."""
    sections: list[tuple[str, list[Unit]]] = []
    path: dict[int, str] = {}
    current: list[Unit] = []
    body = 0  # characters of non-heading text in `current`
    for unit in units:
        level = heading_level(unit)
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
