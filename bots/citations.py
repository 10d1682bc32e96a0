"""The citation contract: sources numbered by code, `[n]` markers parsed, invalid ones dropped and counted.

A citation is `{n, file, page, article, paragraph, heading, quote}` (`page`: the page the quote is on) and reads like
`「개인정보 보호법」 제39조의2제1항 — 개인정보보호법.pdf 12쪽`. Numbers are given to sources here, in the order the
sources are shown to the generator; a model never invents them. After generation, the markers in the text are
checked against the sources: a marker pointing at no source is removed from the text and counted, and the answer
lists only the sources it cites. The markers a reader sees are renumbered 1, 2, 3 in the order the text first
cites them (`FirstCited`), as the text streams, so the text streamed to a user while it is generated reads the same
as the final answer and its source list.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.chunk import Chunk

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕㉖㉗㉘㉙㉚㉛㉜㉝㉞㉟㊱㊲㊳㊴㊵㊶㊷㊸㊹㊺㊻㊼㊽㊾㊿"
# "[3]", "[1, 2]", "[1][2]", "[ 2 ]", full-width brackets too; not "[별표 1]" or "[시행 2026. 9. 11.]".
MARKER = re.compile(r"[\[［]\s*(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\s*[\]］]")
_QUOTE_CHARS = 300
OCR_MARK = "OCR로 읽은 쪽"  # said on a citation whose page was recognised from a scan, not read from text
OCR_PICTURE_MARK = "OCR로 읽은 그림"  # the same for a passage holding text read from a picture in a DOCX or HWPX
_NUMBER = re.compile(r"\d[\d,.]*\s*[가-힣%]?")


@dataclass(slots=True)
class Source:
    """A retrieved passage as shown to the generator, numbered from 1."""

    n: int
    chunk: Chunk
    text: str  # what the generator sees: the hit chunk and, for statutes, its neighbouring paragraphs
    score: float = 0.0
    parts: list[Chunk] = field(default_factory=list)  # the chunks `text` was made of (default: the chunk)


@dataclass(slots=True)
class Citation:
    """One cited source, as the answer lists it."""

    n: int
    file: str
    page: int | None
    article: str
    paragraph: str
    heading: str
    quote: str
    title: str = ""
    department: str = ""
    source: int = 0  # the source number the generator used (before renumbering)
    effective_date: str = ""  # a statute's version: "2026-09-11" ([시행 2026. 9. 11.])
    promulgation: str = ""  # "법률 제21512호, 2026. 3. 31."
    ocr: bool = False  # the quote's page was read by OCR from a scan: staff should check the original
    # When the quote is a row of a table ("토지대장 (47호 서식) | 6일 | 600원"), the table's header row ("민원 종류 |
    # 처리기간 | 수수료"): the quote stays verbatim (its page is found by it), the reader still sees what each cell is.
    columns: str = ""

    @property
    def label(self) -> str:
        """`「개인정보 보호법」 제39조의2제1항 — 개인정보보호법.pdf 12쪽`."""
        return render(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with the rendered line as `label`."""
        data = asdict(self)
        data["label"] = self.label
        return data


@dataclass(slots=True)
class Resolved:
    """Generated text with its markers checked: the text, the citations it makes, and what was dropped."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # marker numbers that pointed at no source


def paragraph_number(paragraph: str) -> int:
    """"②" -> 2; 0 when not a circled number."""
    return _CIRCLED.index(paragraph) + 1 if paragraph and paragraph in _CIRCLED else 0


def korean_date(iso: str) -> str:
    """'2026. 9. 11.' of '2026-09-11' (the way statutes write dates); other text as it is."""
    parts = iso.split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return iso
    return f"{int(parts[0])}. {int(parts[1])}. {int(parts[2])}."


def render(citation: Citation) -> str:
    """The citation line: law or document name, article and paragraph (or heading), file and page."""
    where = citation.article
    number = paragraph_number(citation.paragraph)
    if where and number:
        where += f"제{number}항"
    if not where:
        where = citation.heading.split(" > ")[-1] if citation.heading else ""
    name = f"「{citation.title}」" if citation.title else ""
    version = f"(시행 {korean_date(citation.effective_date)})" if citation.effective_date else ""
    head = " ".join(part for part in (name, where, version) if part)
    file = citation.file.rsplit("/", 1)[-1]
    tail = f"{file} {citation.page}쪽" if citation.page else file
    if citation.ocr:
        tail += f" ({OCR_MARK if citation.page else OCR_PICTURE_MARK})"
    return f"{head} — {tail}" if head else tail


def number_sources(items: Sequence[tuple[Chunk, str, float, list[Chunk]]]) -> list[Source]:
    """Number passages (hit chunk, text shown, score, chunks of the text) 1..n in the order they will be shown."""
    return [Source(n, chunk, text, score, parts) for n, (chunk, text, score, parts) in enumerate(items, 1)]


def markers(text: str) -> list[int]:
    """Every marker number in a text, in order (with repeats)."""
    return [int(number) for match in MARKER.finditer(text) for number in re.split(r"\s*[,，]\s*", match.group(1))]


def resolve(text: str, sources: Sequence[Source]) -> Resolved:
    """Check the markers of generated text against the sources; keep the valid ones, drop and count the rest."""
    by_number = {source.n: source for source in sources}
    cited: list[int] = []
    dropped: list[int] = []

    def replace(match: re.Match[str]) -> str:
        kept: list[int] = []
        for number in (int(n) for n in re.split(r"\s*[,，]\s*", match.group(1))):
            if number not in by_number:
                dropped.append(number)
            elif number not in kept:
                kept.append(number)
        cited.extend(n for n in kept if n not in cited)
        return "".join(f"[{n}]" for n in kept)

    cleaned = MARKER.sub(replace, text)
    cleaned = re.sub(r"[ \t]+([.,。])", r"\1", cleaned)  # a dropped marker leaves no space before punctuation
    citations = [citation_of(by_number[number], number, _sentence_before(cleaned, number)) for number in sorted(cited)]
    return Resolved(cleaned.strip(), citations, dropped)


class MarkerFilter:
    """Checks markers in streamed text as it arrives: valid ones pass, invalid ones are dropped and counted.

    A piece ending inside a possible marker ("[1", "[1, ") is held back until the marker is complete.
    """

    _PARTIAL = re.compile(r"[\[［][\s\d,，]*$")

    def __init__(self, valid: Sequence[int]) -> None:
        self.valid = set(valid)
        self.text = ""
        self.dropped: list[int] = []
        self._pending = ""

    def feed(self, piece: str) -> str:
        """The part of the text so far that can be shown."""
        self._pending += piece
        out: list[str] = []
        while self._pending:
            at = min((i for i in (self._pending.find("["), self._pending.find("［")) if i >= 0), default=-1)
            if at < 0:
                out.append(self._pending)
                self._pending = ""
                break
            out.append(self._pending[:at])
            rest = self._pending[at:]
            match = MARKER.match(rest)
            if match:
                numbers = [int(n) for n in re.split(r"\s*[,，]\s*", match.group(1))]
                self.dropped += [n for n in numbers if n not in self.valid]
                out.append("".join(f"[{n}]" for n in dict.fromkeys(numbers) if n in self.valid))
                self._pending = rest[match.end():]
            elif self._PARTIAL.match(rest) and len(rest) < 24:
                self._pending = rest
                break
            else:
                out.append(rest[0])
                self._pending = rest[1:]
        shown = "".join(out)
        self.text += shown
        return shown

    def flush(self) -> str:
        """Whatever was held back at the end (an unfinished marker is dropped)."""
        shown, self._pending = self._pending, ""
        if self._PARTIAL.match(shown):
            shown = ""
        self.text += shown
        return shown


def citation_of(source: Source, n: int, claim: str = "") -> Citation:
    """The citation of a source: its metadata, the paragraph and page holding the quote, and the quote itself."""
    quote = best_quote(source.text, claim)
    # The page and paragraph are those of the quote: a source may hold several paragraphs of an article, each its
    # own chunk with its own pages, and a chunk may span pages.
    key = quote.rstrip("…")[:40]
    chunk = next((part for part in source.parts if key and key in part.text), source.chunk)
    paragraph = paragraph_at(chunk.text, quote) or chunk.paragraph
    statute = chunk.kind == "statute"
    page = page_of(chunk, quote)
    return Citation(n=n, file=chunk.file, page=page, article=chunk.article, paragraph=paragraph,
                    heading=chunk.heading, quote=quote, title=chunk.title, department=chunk.department,
                    source=source.n, effective_date=chunk.effective_date if statute else "",
                    promulgation=chunk.promulgation if statute else "",
                    ocr=page in chunk.ocr_pages or (page is None and chunk.ocr_picture),
                    columns=table_columns(source.text, quote))


TABLE_CELL = " | "  # parsers write a table row per line, its cells joined by this (Markdown adds outer bars)


def table_columns(text: str, quote: str) -> str:
    """The header row of the table whose row the quote is ("" when the quote is not a table row, or is the header).

    Parsers write a table as one line per row, the header first, and a table longer than a chunk repeats its
    header on every part; a rule line ("| --- | --- |") may stand between header and rows.
    """
    at = text.find(quote.rstrip("…")[:40]) if quote else -1
    if at < 0:
        return ""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    if TABLE_CELL not in text[start: end if end >= 0 else len(text)]:
        return ""
    header = ""
    for line in reversed(text[:start].split("\n")[:-1]):
        if TABLE_CELL not in line:
            break
        if any(ch.isalnum() for ch in line):
            header = line
    return TABLE_CELL.join(cell.strip() for cell in header.strip().strip("|").split("|")) if header else ""


def _table_headers(text: str) -> set[str]:
    """The header rows of the tables in a text: a row line whose line before is not one, with a row after it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return {line for before, line, after in zip(["", *lines[:-1]], lines, [*lines[1:], ""], strict=True)
            if TABLE_CELL in line and TABLE_CELL not in before and TABLE_CELL in after}


def page_of(chunk: Chunk, quote: str) -> int | None:
    """The page holding most of the quote in the chunk (the chunk's first page when the quote is not found in it).

    A sentence running over a page break is cited where most of it is: a page's last words glued in front of the
    next page's sentence (a running title, a chart's numbers: "개정세법 국민·기업 납세자용 (조특법) 조합 등 출자금
    …", all but its first word on p. 11) do not send staff to the page before. An even split keeps the first page.
    """
    said = quote.rstrip("…")
    at = chunk.text.find(said[:40]) if said else -1
    if at < 0:
        return chunk.page_start
    end = min(len(chunk.text), at + len(said))
    edges = [at, *(start for start, _ in chunk.page_offsets if at < start < end), end]
    held: dict[int | None, int] = {}
    for a, b in itertools.pairwise(edges):
        page = chunk.page_at(a)
        held[page] = held.get(page, 0) + len(chunk.text[a:b].strip())
    return max(held, key=lambda page: held[page])


def paragraph_at(text: str, quote: str) -> str:
    """The circled paragraph number in force where the quote starts in the text ("" if none or not found)."""
    at = text.find(quote[:40]) if quote else -1
    if at < 0:
        return ""
    before = [ch for ch in text[:at + 1] if ch in _CIRCLED]
    return before[-1] if before else ""


def best_quote(text: str, claim: str) -> str:
    """The sentence of the source that best supports the claim, shortened.

    Shared character pairs decide, with the claim's numbers ("4일", "72시간", "60,000원") counting most: a table
    row stating another number is the wrong quote however many words it shares.
    """
    sentences = split_sentences(text)
    # A table's header row names the columns and states no fact: never the quote while the text has other lines
    # (an answer reading a row names its columns, and a long column name outvoted the row's own values).
    headers = _table_headers(text)
    sentences = [sentence for sentence in sentences if sentence not in headers] or sentences
    if not sentences:
        return ""
    if claim:
        wanted = _bigrams(claim)
        numbers = set(_NUMBER.findall(claim))

        def support(sentence: str) -> float:
            shared = len(wanted & _bigrams(sentence)) + 8 * len(numbers & set(_NUMBER.findall(sentence)))
            return shared / (1 + len(sentence) ** 0.5 / 4)

        best = max(sentences, key=support)
    else:
        best = sentences[0]
    return best if len(best) <= _QUOTE_CHARS else best[: _QUOTE_CHARS - 1] + "…"


_SENTENCE_END = re.compile(r"(?<=[가-힣)][.?!])\s+|(?<=[.?!]\))\s+|\s+(?=[①-⑳])")
_OPENING, _CLOSING = "(（「『[〔", ")）」』]〕"


def split_sentences(text: str) -> list[str]:
    """Sentences of Korean document text: split at line breaks, sentence ends and circled paragraph starts.

    Never inside brackets: statutes put whole sentences in parentheses and quotes ("…한다(다만, 긴급한 때에는 그러하지
    아니하다. 이 경우 …)."), and a cut there quoted half a proviso and left the rest dangling.
    """
    parts: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        # Split after a sentence end followed by a space (not inside "1. " item numbers), and before a circled
        # paragraph number, where no bracket is open.
        start = 0
        for match in _SENTENCE_END.finditer(line):
            # Inside brackets: one opened before this point closes after it (one never closed on this line, as
            # in the text layer of a scanned table, is no bracket to keep together).
            if _open_brackets(line[start:]) < _open_brackets(line[start:match.start()]):
                continue
            piece = line[start:match.start()].strip()
            if piece:
                parts.append(piece)
            start = match.end()
        piece = line[start:].strip()
        if piece:
            parts.append(piece)
    return parts


def _open_brackets(text: str) -> int:
    """How many brackets are still open at the end of the text (a stray closing one counts for nothing)."""
    depth = 0
    for char in text:
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING and depth:
            depth -= 1
    return depth


def _sentence_before(text: str, number: int) -> str:
    """The sentence a marker closes: the text between the previous sentence end or marker and the marker."""
    for match in MARKER.finditer(text):
        numbers = [int(n) for n in re.split(r"\s*[,，]\s*", match.group(1))]
        if number in numbers:
            before = MARKER.sub("", text[: match.start()])
            pieces = re.split(r"(?<=[.?!다])\s+|\n", before.rstrip())
            return pieces[-1] if pieces else ""
    return ""


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i:i + 2] for i in range(len(compact) - 1)}


class FirstCited:
    """Renumbers checked markers 1, 2, 3 in the order the text first cites them, as the text streams.

    Fed the output of `MarkerFilter` (whole markers only), so a marker is never split between pieces; the final
    answer goes through `renumbered` with the same numbering, and the citations keep the generator's number as
    `source`.
    """

    def __init__(self) -> None:
        self.numbers: dict[int, int] = {}  # source number -> number shown

    def feed(self, text: str) -> str:
        """The text with its markers renumbered (new sources numbered as they first appear)."""
        def renumber(match: re.Match[str]) -> str:
            numbers = (int(n) for n in re.split(r"\s*[,，]\s*", match.group(1)))
            return "".join(f"[{self.numbers.setdefault(n, len(self.numbers) + 1)}]" for n in numbers)

        return MARKER.sub(renumber, text)

    def renumbered(self, resolved: Resolved) -> Resolved:
        """The resolved answer as the reader saw it stream: its text renumbered, its citations in that order."""
        text = self.feed(resolved.text)
        for citation in resolved.citations:
            citation.n = self.numbers[citation.source]
        return Resolved(text, sorted(resolved.citations, key=lambda c: c.n), resolved.dropped)
