"""Packing units into size-bounded groups, with a small overlap, splitting only what cannot fit."""

from __future__ import annotations

import re

from connectors.chunking.units import Unit

_SENTENCE_END = re.compile(r"(?<=[.?!。다요함음임])\s+")


def split_long(unit: Unit, max_chars: int) -> list[Unit]:
    """Split one over-long unit at sentence ends (at spaces, as a last resort) into pieces of at most max_chars.

    A table is split between its rows, and every piece after the first repeats the header row: a row read
    without its column names ("4시간 미만 | 10,000원") cannot say what its numbers are, to the reader or to search.
    """
    if unit.size <= max_chars:
        return [unit]
    if unit.kind == "table":
        return _with_pages(unit, *_table_pieces(unit.text, max_chars))
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
    return _with_pages(unit, pieces, [""] * len(pieces))


def _table_pieces(text: str, max_chars: int) -> tuple[list[str], list[str]]:
    """A table's rows packed into pieces that, with the header line each repeats, hold at most max_chars; and
    that header ("" for the first piece, which holds the header itself). A header too long to leave room for
    rows is not repeated; a row longer than a piece is split at sentence ends like any text."""
    header, *rows = text.split("\n")
    prefix = header if len(header) <= max_chars // 2 else ""
    room = max_chars - (len(prefix) + 1 if prefix else 0)
    pieces: list[str] = []
    current = [header]
    for row in rows:
        for part in [row] if len(row) <= room else _sentences(row, room):
            limit = room if pieces else max_chars
            if current and len("\n".join(current)) + 1 + len(part) > limit:
                pieces.append("\n".join(current))
                current = []
            current.append(part)
    if current:
        pieces.append("\n".join(current))
    return pieces, ["", *[prefix] * (len(pieces) - 1)]


def _with_pages(unit: Unit, pieces: list[str], prefixes: list[str]) -> list[Unit]:
    """Pieces of a unit's text as units (each after its prefix line, if any), with the pages its text lies on."""
    out: list[Unit] = []
    cursor = 0
    for piece, prefix in zip(pieces, prefixes, strict=True):
        found = unit.text.find(piece[:40], cursor)
        start = found if found >= 0 else cursor
        cursor = start + len(piece)
        shift = len(prefix) + 1 if prefix else 0
        page = unit.page_start
        breaks: list[tuple[int, int]] = []
        for offset, number in unit.breaks:
            if offset <= start:
                page = number
            elif offset < cursor:
                breaks.append((offset - start + shift, number))
        end = breaks[-1][1] if breaks else page
        out.append(Unit(f"{prefix}\n{piece}" if prefix else piece, unit.kind, unit.level, page, end, breaks))
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
