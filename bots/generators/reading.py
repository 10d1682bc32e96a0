"""How the extractive answerer reads a source: the lines it may quote, as statutes and manuals are written.

A table row is read with its column names ("구분: a, 처리기한: b") and knows its table's heading and caption; a
proviso ("다만, …", "이 경우 …") stays with the sentence it qualifies; a parenthesis ("(… 포함한다. 이하 "신고서"라
한다)") is not cut at its inner full stop; a rule line ("-----", "| --- |") is no line at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bots.citations import TABLE_CELL, split_sentences
from connectors.chunking.patterns import LETTERS
from connectors.chunking.units import has_words

# A short line without a sentence ending is a heading or caption ("Ⅱ. 여권 민원 처리기한"), not an answer.
SENTENCE_END = re.compile(r"(다|요|음|함|됨|임|것|[.?!)])\s*$")
_ITEM = re.compile(rf"^(?:\d{{1,2}}(?:의\d{{1,2}})?[.)]|[{LETTERS}][.)]|[○◦·•\-–]|\(\d{{1,2}}\))\s*")
_NOTE = re.compile(r"^[<\[(※*]")  # an amendment note or a remark
_SUB_ITEM = re.compile(rf"^[{LETTERS}][.)]\s*")  # 목 (가.) under a 호 (1.)
# "다음의 경우에는 …할 수 없다.", "다음 각 호의 어느 하나에 해당하는 자는 …", "다음 서류를 모두 확인한다.": a
# sentence announcing a list (its items must follow it, see items_after); not "다음 날까지", "다음 근무일까지" (time).
ANNOUNCES_LIST = re.compile(r"다음(?:의|과 같| 각| (?!(?:날|달|해|주|번|회|년|분기|학기|근무일|영업일|차례)"
                            r"(?![가-힣]))[가-힣]+(?:을|를|은|는|에|에는|이|가|과|와|의)(?![가-힣]))")
_LIST_ITEMS = 6

# A proviso or a second sentence of a paragraph that only means something after the sentence before it.
_QUALIFIER = re.compile(r"^(?:다만|단\s?,|이\s?경우|이\s?때|따라서)")
_LONE_ITEM = re.compile(rf"^(?:[{LETTERS}]|\d{{1,2}})[.)]$")  # "가." cut from its text at its full stop


@dataclass(slots=True)
class Line:
    """A line as quoted: a sentence with its provisos, or a table row read with its column names."""

    text: str
    main: int  # characters of the sentence itself (its provisos follow it)
    row: bool = False  # a table row (header or body)
    header: bool = False  # the header row: column names, said with every row, never alone
    subject: str = ""  # what a table row is about: its table's heading and caption


def read_lines(text: str, heading: str) -> list[Line]:
    """The lines of a source as they are quoted: sentences with their provisos, table rows with column names.

    Parsers write a table as one line per row with " | " between cells (Markdown adds outer bars), the first row
    being the header; a row is read "구분: a, 처리기한: b" and is about its table's heading.
    """
    lines: list[Line] = []
    header: list[str] | None = None
    subject = heading
    for piece in _sentences(text):
        if not has_words(piece):
            # A rule ("-----", "───", "| --- | --- |"), the ruling of a table or of a 신·구조문대비표: never quoted,
            # and the header above it stays in force.
            continue
        if TABLE_CELL in piece:
            cells = [cell.strip() for cell in piece.strip().strip("|").split("|")]
            if header is None:
                header = cells
                # A short line without a sentence end just before the table is its caption ("1. 관내 출장 여비").
                caption = lines[-1].text if lines and not lines[-1].row and not SENTENCE_END.search(
                    lines[-1].text) else ""
                subject = " ".join(dict.fromkeys(part for part in (heading, caption) if part))
                lines.append(Line(" | ".join(cells), len(piece), row=True, header=True))  # keeps positions
            elif len(cells) == len(header):
                row = ", ".join(f"{name}: {value}" for name, value in zip(header, cells, strict=True)
                                if value and value != "-")
                lines.append(Line(row, len(row), row=True, subject=subject))
            else:
                lines.append(Line(piece, len(piece), row=True, subject=subject))
            continue
        header = None
        if _QUALIFIER.match(piece):
            # "다만, …" and "이 경우 …" go with the sentence they qualify, the one before; alone, they are left out.
            if lines:
                lines[-1].text += " " + piece
            continue
        lines.append(Line(piece, len(piece)))
    return lines


def _sentences(text: str) -> list[str]:
    """Sentences line by line, rejoined where the split cut a parenthesis ("(… 포함한다. 이하 "신고서"라 한다)")
    or an item number from its text ("가." alone)."""
    out: list[str] = []
    for line in text.splitlines():
        joined: list[str] = []
        for piece in split_sentences(line):
            if joined and (_LONE_ITEM.match(joined[-1]) or joined[-1].count("(") > joined[-1].count(")")):
                joined[-1] += " " + piece
            else:
                joined.append(piece)
        out += joined
    return out


def is_item(line: str) -> bool:
    """Whether a line is an item of a list ("1. …", "가. …", "- …")."""
    return bool(_ITEM.match(line))


def lead_of(lines: list[str], position: int) -> int | None:
    """The position of the sentence announcing the list the item at `position` belongs to, or None when the
    source does not hold it: "① 다음 각 호의 어느 하나에 해당하는 자는 … 처한다." above "3. …", and
    "6. "불이익조치"란 다음 각 목의 …" above "가. …" (a 목's list is announced by its 호)."""
    sub = bool(_SUB_ITEM.match(lines[position]))
    passed = False  # one sentence or note may stand between the sentence and its items, as in items_after
    for at in range(position - 1, -1, -1):
        line = lines[at]
        if line.startswith(("다만", "단,")) or (_SUB_ITEM.match(line) if sub else _ITEM.match(line)):
            continue  # an item before it in the same list (or the proviso of one)
        if ANNOUNCES_LIST.search(line):
            return at
        if passed or not _between(line) or _ITEM.match(lines[at + 1]) is None:
            return None
        passed = True
    return None


def _between(line: str) -> bool:
    """Whether a line may stand between a sentence announcing a list and its items: a sentence of the same
    paragraph ("불가피하게 쓴 경우에는 … 제출한다.") or a note ("<개정 2017.10.31>"), not a PDF's table flattened
    into a line ("구분 월 사용 한도 실·국·본부 500만원 …"): that is the list itself."""
    return bool(_NOTE.match(line) or SENTENCE_END.search(line))


def items_after(lines: list[str], position: int) -> tuple[tuple[str, ...], bool]:
    """The item lines that follow a sentence announcing a list (one sentence or note may come first, see
    `_between`; after a flattened table the next bullet is a rule of its own, not the list's first item), at most
    `_LIST_ITEMS` of them, and whether the list goes on past them."""
    items: list[str] = []
    passed = 0
    for line in lines[position + 1: position + 2 + 2 * _LIST_ITEMS]:
        if _ITEM.match(line):
            items.append(line)
        elif items and line.startswith(("다만", "단,")):
            items[-1] += " " + line  # the proviso of the item before
        elif items or passed or not _between(line):
            break
        else:
            passed += 1
    return tuple(items[:_LIST_ITEMS]), len(items) > _LIST_ITEMS
