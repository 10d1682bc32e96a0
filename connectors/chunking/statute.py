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
    file_version,
    promulgation,
)
from connectors.chunking.units import Unit, has_words, page_offsets, page_range, units_of
from connectors.document import Document

SectionKind = Literal["preamble", "article", "addenda", "annex", "gap"]
_STARTS = re.compile("|".join(p.pattern for p in (
    ARTICLE_HEAD, PARAGRAPH_START, ITEM_START, PART_HEAD, ADDENDA_HEAD, ANNEX_HEAD, EFFECTIVE,
)) + r"|^소관부처")
_MAX_HEADING_LINE = 60
_MAX_JUMP = 10  # article numbers rarely jump further (deleted articles stay as "제N조 삭제")
_JUMP_COST = 5.0
_WINDOW = 80  # candidates looked back at; the previous real article is rarely further
# "부칙 <제20152호,2024.1.30>" without the text a PDF line join may have appended to it.
_ADDENDA_LABEL = re.compile(r"^부\s*칙(?:\([^()]*\))?\s*(?:<[^>]*>)?")


@dataclass
class _Section:
    kind: SectionKind
    heading: str = ""
    article: str = ""
    header: str = ""  # "제9조(정의)", repeated on each part of a split article
    title: str = ""  # "정의"
    units: list[Unit] = field(default_factory=list)


def is_statute(document: Document) -> bool:
    """A statute or ordinance: at least three article headings in a plausible sequence, and the articles are most
    of the document (from the first article on). A request for proposals or a report with a contract template or
    a quoted law in its annex is not a statute: read as one, its other pages became article-less "statute" chunks
    of up to 1,500 characters (two RFPs of ../shared/eval: 6-7% of their text from the first article on; every
    statute there: over 90%)."""
    texts = [block.text for block in document.blocks]
    starts = article_starts(texts)
    if len(starts) < 3:
        return False
    total = sum(len(text) for text in texts)
    return sum(len(text) for text in texts[min(starts):]) * 2 >= total


def article_starts(texts: list[str]) -> set[int]:
    """Indexes of the texts that open an article of the main body (before the first 부칙).

    A line can start with a cross-reference ("제253조(…) 및 …" after a PDF line wrap), so the headings taken
    are the best increasing chain: each article counts one, a jump of more than _MAX_JUMP numbers costs
    _JUMP_COST (a real gap is rare; a run of cross-references jumps), and an untitled heading ("제10조 모든
    국민은 …", old laws) may only be the next number.
    """
    candidates: list[tuple[int, tuple[int, int], bool]] = []
    for index, text in enumerate(texts):
        if ADDENDA_HEAD.match(text):
            break
        if match := ARTICLE_HEAD.match(text):
            candidates.append((index, article_key(match), match.group(3) is not None or "삭제" in text[:20]))
    score: list[float] = []
    back: list[int] = []
    for j, (_, key, titled) in enumerate(candidates):
        best, link = _step((0, 0), key, titled), -1
        for i in range(max(0, j - _WINDOW), j):
            gain = _step(candidates[i][1], key, titled)
            if gain is not None and score[i] + gain > (best if best is not None else float("-inf")):
                best, link = score[i] + gain, i
        score.append(best if best is not None else float("-inf"))
        back.append(link)
    starts: set[int] = set()
    j = max(range(len(score)), key=score.__getitem__, default=-1)
    while j >= 0 and score[j] > float("-inf"):
        starts.add(candidates[j][0])
        j = back[j]
    return starts


def _step(last: tuple[int, int], key: tuple[int, int], titled: bool) -> float | None:
    """The score of going from article `last` to `key`, or None when that cannot be the next heading."""
    if key <= last:
        return None
    if not titled:
        return 1.0 if key in ((last[0], last[1] + 1), (last[0] + 1, 0), (last[0] + 2, 0)) else None
    return 1.0 if key[0] <= last[0] + _MAX_JUMP else 1.0 - _JUMP_COST


def chunk_statute(document: Document, title: str, options: ChunkOptions) -> list[Chunk]:
    """Chunks of a statute: preamble, one per article (or per 항 of a long one), 부칙 and 별표."""
    units = units_of(document, _STARTS)
    # Which version of the law this is: its "[시행 …] [법률 제N호, …]" line, else the law portal's file name
    # ("고용보험법(법률)(제21473호)(20280101).pdf"); answers say when an article is not yet in force.
    named_effective, named_number = file_version(document.file)
    effective = next((d for u in units[:8] if (d := effective_date(u.text))), "") or named_effective
    number = next((n for u in units[:8] if (n := promulgation(u.text))), "") or named_number
    chunks: list[Chunk] = []
    for section in _sections(units):
        for text, paragraph, part in _parts(section, options):
            if not has_words(text):
                continue
            start, end = page_range(part)
            chunks.append(Chunk(
                text=text, file=document.file, kind="statute", title=title, heading=section.heading,
                article=section.article, article_title=section.title, paragraph=paragraph, page_start=start,
                page_end=end, effective_date=effective, promulgation=number, ordinal=len(chunks),
                page_offsets=page_offsets(part, text),
            ))
    return chunks


def _sections(units: list[Unit]) -> list[_Section]:
    """Walk the units once, opening a section at each article, 부칙 and 별표 and tracking 편/장/절/관."""
    sections = [_Section("preamble")]
    path: dict[int, str] = {}
    starts = article_starts([u.text for u in units])
    in_addenda = False
    for position, unit in enumerate(units):
        text = unit.text
        part = PART_HEAD.match(text)
        article = ARTICLE_HEAD.match(text) if position in starts else None
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
        elif article and sections[-1].kind != "annex":
            heading = " > ".join(path[lvl] for lvl in sorted(path))
            sections.append(_Section("article", heading=heading, article=article_label(article),
                                     header=article.group(0).strip(), title=(article.group(3) or "").strip(),
                                     units=[unit]))
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
