"""PDF with pypdf: text per page, page furniture removed, pages without a text layer read by OCR or reported."""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

import pypdf
from pypdf.errors import FileNotDecryptedError, PyPdfError

from connectors.document import Block, Document
from connectors.errors import EncryptedDocumentError, ParseError
from connectors.korean import spacing
from connectors.parsers import ocr
from connectors.parsers.base import ParseLimits
from connectors.parsers.textnorm import normalize_line, split_lines

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
_EDGE_NUMBER = re.compile(r"^[-–—\s]*#[-–—\s]*(?=\S)|(?<=\S)[-–—\s]*#[-–—\s]*$")
# Page furniture sits in the first and last few lines of a page (law.go.kr exports: the law name on top,
# "법제처 / N / 국가법령정보센터" at the bottom, which pypdf returns as three lines).
_TOP_LINES = 2
_BOTTOM_LINES = 4
# What pypdf raises on a damaged or hostile file: its own errors (PdfReadError, and LimitReachedError for a
# reference loop or an over-long CMap code), an unknown stream filter (NotImplementedError), and Python errors
# from structures it does not check.
_MALFORMED = (PyPdfError, NotImplementedError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
              OSError)
# PDFs exported from HWP (bills, minutes, requests for proposals) place each glyph on its own, and pypdf's plain
# extraction drops the narrow gaps between words: "의결하며이에대한법률위반문제가제기되고있음". Its layout mode
# measures the gaps and keeps those spaces, but it also lays a two-column page out line by line across both
# columns, mixing two speakers' sentences, and puts stray spaces in justified lines ("노동개 혁을"). So the page is
# read as before, and only on a page with a run of Hangul longer than Korean words get (12 syllables: statutes'
# longest compound nouns such as "방송미디어통신심의위원회" have 12 and are written that way in both modes) does each
# word of that many syllables take the spaces layout mode finds between the same characters. On the 3,787 PDF pages
# of ../shared/eval/corpus this re-spaces 539 words on 63 pages of the bill, minutes, review report and requests for
# proposals, and 7 words on 6 statute pages, each as the law's own text has it ("지방공무원 징계 및 소청 규정").
_GLUED_SYLLABLES = 12
# On such a page the shorter glued words ("수있음", "한번씩", "4월총선이후첫회의입니다.") take only the spaces layout
# mode and Kiwi's spacing model both put in: layout mode's stray spaces ("누락 이") are not Korean spacing, and
# Kiwi's own spaces in compounds ("요구 사항") are not in the PDF. On the eval corpus's HWP exports this re-spaces
# about 1,150 more words (distinct per page) in 13 files, every one of a sample of 70 as it should read. Not on
# law.go.kr's own pages (their footer "법제처 … 국가법령정보센터"): older laws write "지체없이", "선거일전" in their
# text, and quotes of a law keep it.
_LAW_PORTAL_FOOTER = re.compile(r"법제처\s*\d+\s*국가법령정보센터\s*$")
_GLUED_RUN = re.compile(rf"[가-힣]{{{_GLUED_SYLLABLES},}}")
_TIGHT = re.compile(r" (?=[.,;:?!)\]}”’」』〉》])|(?<=[(\[{“‘「『〈《]) ")


def parse_pdf(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Read a PDF into one block per text line, each carrying its page number."""
    reader = _open(data, file)
    try:
        pages = [split_lines(_page_text(page)) for page in reader.pages]
    except _MALFORMED as exc:
        raise ParseError(file, f"PDF 내용을 읽는 중 오류가 났습니다 ({type(exc).__name__}: {exc})",
                         "PDF를 다시 내보내거나 인쇄(PDF로 저장)한 뒤 올려 주세요") from exc
    recognised, warnings = _recognise(reader, data, pages, limits.ocr)
    warnings = _empty_page_warnings(pages) + warnings
    pages = _strip_furniture(pages)
    blocks = [Block(text=line, page=number) for number, lines in enumerate(pages, 1) for line in lines]
    title = _title(reader, pages, file, recognised)
    return Document(file=file, format="pdf", blocks=blocks, pages=len(pages), title=title, warnings=warnings,
                    ocr_pages=recognised)


def _page_text(page: pypdf.PageObject) -> str:
    """A page's text, with the PDF's spaces put back into runs of Hangul that plain extraction glued together."""
    text = page.extract_text() or ""
    if not _GLUED_RUN.search(text):
        return text
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # the spaces are a bonus: whatever layout mode trips on, the plain text stands
        log.debug("layout reading failed; the page keeps its plain text", exc_info=True)
        return text
    # Each layout line without its spaces, and where each of its remaining characters stands in it: computed once
    # for the page, searched for every glued word.
    lines = []
    for line in layout.splitlines():
        kept = [i for i, ch in enumerate(line) if not ch.isspace()]
        lines.append((line, kept, "".join(line[i] for i in kept)))
    # On such a page, every word holding that many syllables, brackets and quotes included
    # ("“탄소중립위원회”라함)를두도록하고있음."), is replaced where it stands as a whole word: never inside another,
    # so the result does not depend on the order the words are handled in.
    spaced: dict[str, str] = {}
    law_portal = bool(_LAW_PORTAL_FOOTER.search(text))  # a page of law.go.kr's own PDF

    def respace(match: re.Match[str]) -> str:
        word = match.group()
        syllables = len(_HANGUL.findall(word))
        if syllables < (_GLUED_SYLLABLES if law_portal else 2):
            return word
        if word not in spaced:
            found = _spaced(word, lines)
            if found and syllables < _GLUED_SYLLABLES:
                found = _agreed(word, found)
            spaced[word] = found or word
        return spaced[word]

    return re.sub(r"\S+", respace, text)


def _spaced(run: str, lines: list[tuple[str, list[int], str]]) -> str:
    """The run as the first layout line holding its characters in a row spaces it ("" when none does)."""
    for line, kept, compact in lines:
        found = compact.find(run)
        if found >= 0:
            spaced = " ".join(line[kept[found]: kept[found + len(run) - 1] + 1].split())
            # Layout mode also parts punctuation from its word ("표합니다 .", "대표발의 )"): never a space there.
            spaced = _TIGHT.sub("", spaced)
            return spaced if spaced != run and spaced.replace(" ", "") == run else ""
    return ""


def _agreed(word: str, laid_out: str) -> str:
    """The word with only the spaces both layout mode (`laid_out`) and Kiwi's spacing put in ("" when none)."""
    both = _gaps(laid_out) & _gaps(spacing(word))
    return "".join((" " if at in both else "") + char for at, char in enumerate(word)) if both else ""


def _gaps(text: str) -> set[int]:
    """Where a text has spaces, as positions in the text without them."""
    gaps: set[int] = set()
    seen = 0
    for char in text:
        if char == " ":
            gaps.add(seen)
        else:
            seen += 1
    return gaps


def _recognise(reader: pypdf.PdfReader, data: bytes, pages: list[list[str]],
               options: ocr.OcrOptions) -> tuple[list[int], list[str]]:
    """Read pages without text by OCR, in place; the pages read, and warnings (what failed, or why OCR could not
    run). Pages with text are never rendered."""
    wanted = [number for number, lines in enumerate(pages, 1) if not lines and ocr.needs_ocr(reader.pages[number - 1])]
    if not wanted:
        return [], []
    reason = ocr.unavailable(options)
    if reason:
        return [], [reason]
    result = ocr.read_pages(data, wanted, options)
    read: list[int] = []
    for number, text in sorted(result.pages.items()):
        if lines := split_lines(text):
            pages[number - 1] = lines
            read.append(number)
    if read:
        shown = ", ".join(map(str, read[:10])) + (" 등" if len(read) > 10 else "")
        result.warnings.insert(0, f"OCR로 읽은 쪽 {len(read)}개 (원문과 대조해 확인하세요): {shown}쪽")
    return read, result.warnings


def _open(data: bytes, file: str) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocumentError(file, "암호가 걸린 PDF입니다",
                                         "암호를 해제한 PDF로 다시 저장해 올려 주세요")
        _ = len(reader.pages)  # forces the page tree to load, so a broken tree fails here
    except EncryptedDocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(file, "암호가 걸린 PDF입니다",
                                     "암호를 해제한 PDF로 다시 저장해 올려 주세요") from exc
    except _MALFORMED as exc:
        raise ParseError(file, f"PDF 파일이 손상되었거나 잘렸습니다 ({type(exc).__name__}: {exc})",
                         "원본에서 PDF를 다시 내보낸 뒤 올려 주세요") from exc
    return reader


def _empty_page_warnings(pages: list[list[str]]) -> list[str]:
    # After OCR: the pages still empty (blank, OCR off or unavailable, or nothing recognised).
    empty = [number for number, lines in enumerate(pages, 1) if not lines]
    if not empty:
        return []
    shown = ", ".join(map(str, empty[:10])) + (" 등" if len(empty) > 10 else "")
    return [f"텍스트 레이어가 없는 쪽 {len(empty)}개 (스캔 문서?): {shown}쪽"]


def _furniture_key(line: str) -> str:
    # Page numbers vary, and books put them on the outer edge: "2 제414회-환경노동제1차" on even pages and
    # "제414회-환경노동제1차 3" on odd ones are one running header.
    return _EDGE_NUMBER.sub("", _DIGITS.sub("#", line)) or "#"


def _strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove lines that repeat at the top or bottom of most pages (running headers, footers, page numbers)."""
    with_text = [lines for lines in pages if lines]
    if len(with_text) < 3:
        return pages
    counts: Counter[str] = Counter()
    for lines in with_text:
        edge = set(lines[:_TOP_LINES]) | set(lines[-_BOTTOM_LINES:])
        counts.update({_furniture_key(line) for line in edge})
    threshold = max(3, int(0.6 * len(with_text)))
    furniture = {key for key, n in counts.items() if n >= threshold}
    if not furniture:
        return pages
    return [_strip_page(lines, furniture) for lines in pages]


def _strip_page(lines: list[str], furniture: set[str]) -> list[str]:
    # Strip each furniture line at most once per edge, so that a title that repeats the running header
    # (page 1 of a law.go.kr export) stays in the body.
    start, used = 0, set[str]()
    while start < min(_TOP_LINES, len(lines)) and (key := _furniture_key(lines[start])) in furniture - used:
        used.add(key)
        start += 1
    end, used = len(lines), set[str]()
    while end > max(start, len(lines) - _BOTTOM_LINES) and (key := _furniture_key(lines[end - 1])) in furniture - used:
        used.add(key)
        end -= 1
    return lines[start:end]


# Titles a converter or template writes when the author set none: file names, "untitled", HWP and Word defaults.
_FILE_LIKE = re.compile(r"\.(pdf|hwpx?|hwt|docx?|dotx?|pptx?|xlsx?|txt)$|[\\/]", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(untitled|제목\s*없음|무제|제목|문서\s*\d*|새\s*문서|한글\s*문서|hwp\s*문서"
                          r"|document\s*\d*)$|^microsoft\s+\w+\s*-|양식|서식|템플릿|template", re.IGNORECASE)
# A cover line such as "별첨", "붙임", "첨부" or "Ⅱ": one short word, never the document's name.
_COVER_WORD_CHARS = 4
# A line set this much larger than the page's body text is its title (HWP exports carry no structure).
_TITLE_TYPE_RATIO = 1.1
_MAX_TITLE_CHARS = 120
_SHORT_LINE = 20  # a title wrapped over two lines: both parts short
_HANGUL = re.compile(r"[가-힣]")
_KOREAN_WORD = re.compile(r"[가-힣]+")
_NAME_WORDS = 3  # a file name of this many Korean words says what the document is
_LETTER_SPACED = re.compile(r"(?<!\S)[가-힣](?: [가-힣](?!\S)){2,}")  # "특 허 법 원" -> "특허법원"


def _title(reader: pypdf.PdfReader, pages: list[list[str]], file: str, recognised: list[int]) -> str | None:
    """The document's title: its metadata title when real, else its largest type on the first page, else its
    first line that is not a cover word (a page read by OCR has no type sizes)."""
    first = next((number for number, lines in enumerate(pages) if lines), None)
    if first is None:
        return _metadata_title(reader, file)
    sized = None if first + 1 in recognised else _largest_type(reader.pages[first], pages[first])
    return _metadata_title(reader, file) or _named_better(sized or _first_line(pages[first]), file)


def _named_better(found: str | None, file: str) -> str | None:
    """The file's name instead of a first-page title that has nothing in common with it, when the name says what
    the document is in Korean words of its own.

    A first page's largest type is not always the document's title: a ministry's slogan ("다시 대한민국!"), the
    speaker of a forum booklet's opening address ("더불어민주당 국회의원"), a magazine's masthead ("Special
    Report"). Staff name their files for what they hold ("한-호주 퇴직연금 포럼_책자(최종)"); a name of at least
    three Korean words that shares not one pair of syllables with the title found is the better title. A coded name
    ("국회_의안원문_2125318", "PRP008") or one sharing words with the title ("지방은행 시중은행 전환 가이드" for
    "지방은행의 시중은행 전환시 인가방식 및 절차") leaves the title found.
    """
    name = " ".join(re.sub(r"[_+]", " ", PurePosixPath(file).stem).split())
    if len(_KOREAN_WORD.findall(name)) < _NAME_WORDS or (found and _syllable_pairs(found) & _syllable_pairs(name)):
        return found
    return name[:_MAX_TITLE_CHARS]


def _syllable_pairs(text: str) -> set[str]:
    return {pair for word in _KOREAN_WORD.findall(text) for pair in map("".join, itertools.pairwise(word))}


def _metadata_title(reader: pypdf.PdfReader, file: str) -> str | None:
    try:
        title = normalize_line(str(reader.metadata.title or "")) if reader.metadata else ""
    except _MALFORMED:
        return None
    name = PurePosixPath(file)
    if (not title or len(title) > _MAX_TITLE_CHARS or _FILE_LIKE.search(title) or _PLACEHOLDER.search(title)
            or title.casefold() in (name.stem.casefold(), name.name.casefold())
            or not any(ch.isalpha() for ch in title)):
        return None
    return title


def _largest_type(page: Any, lines: list[str]) -> str | None:
    """The first-page lines set in its largest type, when that type stands out from the body text."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if compact := _compact(text):
            runs.append((round(size * _scale(tm) * _scale(cm), 1), compact))

    try:
        page.extract_text(visitor_text=visit)
    except _MALFORMED:
        return None
    chars: Counter[float] = Counter()
    for size, text in runs:
        chars[size] += len(text)
    if not chars or max(chars) < _TITLE_TYPE_RATIO * chars.most_common(1)[0][0]:
        return None
    big = "".join(text for size, text in runs if size >= 0.95 * max(chars))
    picked: list[str] = []
    for line in lines:
        compact = _compact(line)
        if compact and compact in big:
            picked.append(line)
        elif compact and big in compact and not picked:
            picked.append(_trimmed(line, big))
            break
        elif picked:
            break
    title = _untangled(" ".join(picked))
    return title if 2 * len(_compact(title)) >= len(big) and len(title) <= _MAX_TITLE_CHARS else None


def _first_line(lines: list[str]) -> str | None:
    """The first line that is not a cover word, with its second line when a short Korean title wraps."""
    rest = [line for line in lines[:8] if any(ch.isalpha() for ch in line)]
    for _ in range(2):
        if len(rest) > 1 and " " not in rest[0] and len(rest[0]) <= _COVER_WORD_CHARS:
            rest.pop(0)
    if not rest:
        return None
    rest = [_LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line) for line in rest[:2]]
    title = rest[0]
    if (len(rest) > 1 and len(title) <= _SHORT_LINE and len(rest[1]) <= _SHORT_LINE and title[-1].isalnum()
            and _HANGUL.search(title) and _HANGUL.match(rest[1])):
        title = f"{title} {rest[1]}"
    return title[:_MAX_TITLE_CHARS]


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _scale(matrix: list[float]) -> float:
    return abs(matrix[3]) or abs(matrix[0]) or 1.0


def _trimmed(line: str, big: str) -> str:
    """The line without its trailing words in smaller type: "환경노동위원회회의록 제 1 호" -> "환경노동위원회회의록"."""
    words = line.split()
    while len(words) > 1 and big in _compact(" ".join(words[:-1])):
        words.pop()
    return " ".join(words)


def _untangled(title: str) -> str:
    """Letter-spaced type joined ("제 안 요 청 서"), a title drawn twice (a shadow effect) said once."""
    words = title.split()
    if len(words) > 1 and all(len(word) == 1 for word in words):
        return "".join(words)
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    return title
