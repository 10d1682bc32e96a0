"""Statute-aware chunking: one chunk per article (조, 조의N), split by 항 only when the article is long.

General chunkers cut statutes by size and lose the article a passage belongs to; a citation such as
「개인정보 보호법」 제39조의2제1항 needs the article and paragraph on every chunk, so we chunk by structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from connectors.chunk import Chunk
from connectors.chunking.options import ChunkOptions
from connectors.chunking.packing import pack
from connectors.chunking.patterns import (
    ADDENDA_HEAD,
    ANNEX_HEAD,
    ARTICLE_HEAD,
    EFFECTIVE,
    ITEM_START,
    PARAGRAPH_START,
    PART_HEAD,
    PART_LEVEL,
    article_key,
    article_label,
    effective_date,
)
from connectors.chunking.units import Unit, page_range, units_of
from connectors.document import Document

SectionKind = Literal["preamble", "article", "addenda", "annex", "gap"]
_STARTS = re.compile("|".join(p.pattern for p in (
    ARTICLE_HEAD, PARAGRAPH_START, ITEM_START, PART_HEAD, ADDENDA_HEAD, ANNEX_HEAD, EFFECTIVE,
)) + r"|^소관부처")
_MAX_HEADING_LINE = 60
# "부칙 <제20152호,2024.1.30>" without the text a PDF line join may have appended to it.
_ADDENDA_LABEL = re.compile(r"^부\s*칙(?:\([^()]*\))?\s*(?:<[^>]*>)?")


@dataclass
class _Section:
    kind: SectionKind
    heading: str = ""
    article: str = ""
    header: str = ""  # "제9조(정의)", repeated on each part of a split article
    units: list[Unit] = field(default_factory=list)


def is_statute(document: Document) -> bool:
    """A statute or ordinance: at least three article headings in increasing order."""
    last, seen = (0, 0), 0
    for block in document.blocks:
        match = ARTICLE_HEAD.match(block.text)
        if match and article_key(match) > last:
            last, seen = article_key(match), seen + 1
            if seen >= 3:
                return True
    return False


def chunk_statute(document: Document, title: str, options: ChunkOptions) -> list[Chunk]:
    """Chunks of a statute: preamble, one per article (or per 항 of a long one), 부칙 and 별표."""
    units = units_of(document, _STARTS)
    effective = next((d for u in units[:8] if (d := effective_date(u.text))), "")
    chunks: list[Chunk] = []
    for section in _sections(units):
        for text, paragraph, part in _parts(section, options):
            start, end = page_range(part)
            chunks.append(Chunk(
                text=text, file=document.file, kind="statute", title=title, heading=section.heading,
                article=section.article, paragraph=paragraph, page_start=start, page_end=end,
                effective_date=effective, ordinal=len(chunks),
            ))
    return chunks


def _sections(units: list[Unit]) -> list[_Section]:
    """Walk the units once, opening a section at each article, 부칙 and 별표 and tracking 편/장/절/관."""
    sections = [_Section("preamble")]
    path: dict[int, str] = {}
    last_key = (0, 0)
    in_addenda = False
    for unit in units:
        text = unit.text
        part = PART_HEAD.match(text)
        article = ARTICLE_HEAD.match(text)
        if part and len(text) <= _MAX_HEADING_LINE and not in_addenda:
            level = PART_LEVEL[part.group(1)]
            path = {lvl: head for lvl, head in path.items() if lvl < level} | {level: text}
            sections.append(_Section("gap"))
        elif ADDENDA_HEAD.match(text):
            in_addenda = True
            head = _ADDENDA_LABEL.match(text)
            label = head.group(0).strip() if head else text
            sections.append(_Section("addenda", heading=label, header=label, units=[unit]))
        elif annex := ANNEX_HEAD.match(text):
            sections.append(_Section("annex", heading=text[:_MAX_HEADING_LINE], header=annex.group(0),
                                     units=[unit]))
        elif article and not in_addenda and sections[-1].kind != "annex" and article_key(article) > last_key:
            last_key = article_key(article)
            heading = " > ".join(path[lvl] for lvl in sorted(path))
            sections.append(_Section("article", heading=heading, article=article_label(article),
                                     header=article.group(0).strip(), units=[unit]))
        else:
            sections[-1].units.append(unit)
    return [s for s in sections if s.units]


def _parts(section: _Section, options: ChunkOptions) -> list[tuple[str, str, list[Unit]]]:
    """(text, paragraph label, units) for each chunk of one section."""
    text = "\n".join(u.text for u in section.units)
    if len(text) <= options.article_split_chars:
        return [(text, "", section.units)]
    parts: list[tuple[str, str, list[Unit]]] = []
    for label, group in _paragraph_groups(section):
        for piece in pack(group, options.article_split_chars, 0):
            body = "\n".join(u.text for u in piece)
            if section.header and not body.startswith(section.header):
                body = f"{section.header}\n{body}"
            parts.append((body, label, piece))
    return parts


def _paragraph_groups(section: _Section) -> list[tuple[str, list[Unit]]]:
    """Units grouped by 항 (① ...); outside articles, or in an article without 항, one unlabelled group."""
    if section.kind != "article":
        return [("", section.units)]
    groups: list[tuple[str, list[Unit]]] = []
    for index, unit in enumerate(section.units):
        text = unit.text[len(section.header):].lstrip() if index == 0 else unit.text
        match = PARAGRAPH_START.match(text)
        if match or not groups:
            groups.append((match.group(1) if match else "", [unit]))
        else:
            groups[-1][1].append(unit)
    return groups
