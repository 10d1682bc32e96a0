"""Packing units into size-bounded groups, with a small overlap, splitting only what cannot fit."""

from __future__ import annotations

import re

from connectors.chunking.units import Unit

_SENTENCE_END = re.compile(r"(?<=[.?!。다요함음임])\s+")


def split_long(unit: Unit, max_chars: int) -> list[Unit]:
    """Split one over-long unit at sentence ends (at spaces, as a last resort) into pieces of at most max_chars."""
    if unit.size <= max_chars:
        return [unit]
    pieces: list[str] = []
    current = ""
    for sentence in _sentences(unit.text, max_chars):
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return _with_pages(unit, pieces)


def _with_pages(unit: Unit, pieces: list[str]) -> list[Unit]:
    """Pieces of a unit's text as units, each with the pages its text lies on."""
    out: list[Unit] = []
    cursor = 0
    for piece in pieces:
        found = unit.text.find(piece[:40], cursor)
        start = found if found >= 0 else cursor
        cursor = start + len(piece)
        page = unit.page_start
        breaks: list[tuple[int, int]] = []
        for offset, number in unit.breaks:
            if offset <= start:
                page = number
            elif offset < cursor:
                breaks.append((offset - start, number))
        end = breaks[-1][1] if breaks else page
        out.append(Unit(piece, unit.kind, unit.level, page, end, breaks))
    return out


def _sentences(text: str, max_chars: int) -> list[str]:
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            out.append(sentence)
    return out


def pack(units: list[Unit], max_chars: int, overlap_chars: int = 0) -> list[list[Unit]]:
    """Consecutive groups of at most max_chars; each new group repeats trailing units up to overlap_chars."""
    pieces = [piece for unit in units for piece in split_long(unit, max_chars)]
    groups: list[list[Unit]] = []
    current: list[Unit] = []
    size = 0
    for piece in pieces:
        if current and size + piece.size + 1 > max_chars:
            groups.append(current)
            current = _overlap(current, overlap_chars, max_chars - piece.size)
            size = sum(u.size + 1 for u in current)
        current.append(piece)
        size += piece.size + 1
    if current:
        groups.append(current)
    return groups


def _overlap(group: list[Unit], overlap_chars: int, room: int) -> list[Unit]:
    """The trailing units of `group` that fit in the overlap budget (and in the room left for the next piece)."""
    tail: list[Unit] = []
    size = 0
    for unit in reversed(group[1:]):
        if size + unit.size > min(overlap_chars, room):
            break
        tail.insert(0, unit)
        size += unit.size + 1
    return tail
