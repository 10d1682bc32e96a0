"""The law portal's XML turned into our types: the search list (lawSearch.do) and a law's text (lawService.do).

Element names follow the Open API guide of the national law information center (open.law.go.kr, "현행법령 목록
조회" lsNwListGuide and "현행법령 본문 조회" lsNwInfoGuide; also data.go.kr 15000115): the search answers
`<LawSearch><totalCnt/><law id="1"><법령일련번호/><현행연혁코드/><법령명한글/><법령ID/><공포일자/><공포번호/>
<제개정구분명/><법령구분명/><시행일자/><법령상세링크/></law>…`, the text `<법령><기본정보><법령ID/><법령명_한글/>
<공포일자/><공포번호/><법종구분/><시행일자/><제개정구분/></기본정보><조문><조문단위><조문번호/><조문가지번호/>
<조문여부/><조문제목/><조문내용/><항><항번호/><항내용/><호><호번호/><호내용/><목><목번호/><목내용/></목></호></항>
</조문단위></조문><부칙><부칙단위><부칙공포일자/><부칙공포번호/><부칙내용/></부칙단위></부칙><별표><별표단위>
<별표번호/><별표가지번호/><별표구분/><별표제목/><별표내용/></별표단위></별표></법령>` (별표구분 별표 or 서식; a form has
no 별표내용, only links to its HWP and PDF files). Public
clients confirmed what the guide leaves out: `조문여부` "전문" marks a 편/장/절/관 heading, not an article; an
article's 조문내용 is its heading line when its text is in 항; 항내용, 호내용 and 목내용 begin with their own
number (①, 1., 가.); a refused key gets `<Response><result>사용자 정보 검증에 실패하였습니다.</result><msg>…`, and
some failures an HTML page (e.g. github.com/chrisryugj/korean-law-mcp issues 45, 153).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from connectors.errors import LawNotFoundError, LawPortalError

# 제개정구분 values that end a law (the guide's rrClsCd list: 폐지, 일괄폐지, 타법폐지); "폐지제정" enacts a new one.
REPEALING = frozenset({"폐지", "일괄폐지", "타법폐지"})
_KEY_ACTION = ("DEPTBOT_LAW__KEY(Open API 인증값 OC)가 맞는지, 이 서버의 IP·도메인이 Open API 사용 신청에 "
               "등록되었는지, DEPTBOT_LAW__URL이 서비스 주소(예: https://www.law.go.kr/DRF)인지 확인해 주세요")


@dataclass(frozen=True, slots=True)
class LawVersion:
    """One version of a law as the portal lists it; dates are YYYYMMDD, the number has no leading zeros."""

    law_id: str
    name: str
    mst: str = ""  # 법령일련번호: this version
    kind: str = ""  # 법률, 대통령령, 행정안전부령, …
    effective: str = ""
    promulgated: str = ""
    number: str = ""
    change: str = ""  # 제정, 일부개정, 폐지, …
    current: str = ""  # 현행연혁코드 of a search result: 현행 or 연혁

    @property
    def repealed(self) -> bool:
        """True when this version repeals the law."""
        return self.change in REPEALING


@dataclass(slots=True)
class Item:
    """A 호 ("1. …") with its 목 ("가. …")."""

    text: str
    subitems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Paragraph:
    """A 항 ("① …"; "" when the article's items follow its own text) with its 호."""

    text: str
    items: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Article:
    """An article (조), or a 편/장/절/관 heading when `heading`."""

    text: str
    heading: bool = False
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass(slots=True)
class Annex:
    """A 별표 with text: its label ("별표 1", "별표 1의2"), title and lines (tables drawn in box characters)."""

    label: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LawText:
    """A law's text: its version, articles, addenda (부칙, each its lines) and annexes (별표 with text)."""

    version: LawVersion
    articles: list[Article] = field(default_factory=list)
    addenda: list[list[str]] = field(default_factory=list)
    annexes: list[Annex] = field(default_factory=list)


def parse_search(body: bytes, law: str) -> list[LawVersion]:
    """The laws a search lists."""
    root = _root(body, law, "LawSearch")
    return [LawVersion(law_id=_text(item, "법령ID"), name=_text(item, "법령명한글"), mst=_text(item, "법령일련번호"),
                       kind=_text(item, "법령구분명"), effective=_text(item, "시행일자"),
                       promulgated=_text(item, "공포일자"), number=_number(_text(item, "공포번호")),
                       change=_text(item, "제개정구분명"), current=_text(item, "현행연혁코드"))
            for item in root.iter("law")]


def parse_law(body: bytes, law: str, mst: str = "") -> LawText:
    """A law's text."""
    root = _root(body, law, "법령")
    info = root.find("기본정보")
    if info is None or not _text(info, "법령명_한글"):
        raise LawNotFoundError(law, "법령 포털에 이 법령의 본문이 없습니다", "법령명이나 법령ID를 확인해 주세요")
    version = LawVersion(law_id=_text(info, "법령ID"), name=_text(info, "법령명_한글"), mst=mst,
                         kind=_text(info, "법종구분"), effective=_text(info, "시행일자"),
                         promulgated=_text(info, "공포일자"), number=_number(_text(info, "공포번호")),
                         change=_text(info, "제개정구분"))
    articles = [_article(unit) for unit in root.iterfind("조문/조문단위")]
    addenda = [lines for unit in root.iterfind("부칙/부칙단위") if (lines := _lines(unit.findtext("부칙내용")))]
    annexes = [annex for unit in root.iterfind("별표/별표단위") if (annex := _annex(unit))]
    return LawText(version, [a for a in articles if a.text or a.paragraphs], addenda, annexes)


def _root(body: bytes, law: str, expected: str) -> ET.Element:
    """The document's root element, or the error the portal sent instead."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise LawPortalError(law, "법령 포털이 법령 대신 오류 페이지(HTML)를 보냈습니다", _KEY_ACTION)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise LawPortalError(law, f"법령 포털의 응답을 XML로 읽을 수 없습니다 ({exc})", _KEY_ACTION) from exc
    if root.tag == expected:
        return root
    said = " ".join(t.strip() for t in root.itertext() if t.strip())[:200]
    if root.tag == "Law" and expected == "법령":  # the text service's "no such law": <Law>일치하는 법령이 없습니다…
        raise LawNotFoundError(law, f"법령 포털에 이 법령이 없습니다 ({said})", "법령ID를 확인해 주세요")
    raise LawPortalError(law, f"법령 포털이 오류를 알렸습니다: {said or root.tag}", _KEY_ACTION)


def _article(unit: ET.Element) -> Article:
    text = "\n".join(_lines(unit.findtext("조문내용")))
    if _text(unit, "조문여부") == "전문":
        return Article(text, heading=True)
    return Article(text, paragraphs=[_paragraph(p) for p in unit.iterfind("항")])


def _paragraph(element: ET.Element) -> Paragraph:
    text = _numbered(_text(element, "항번호"), "\n".join(_lines(element.findtext("항내용"))))
    return Paragraph(text, [_item(i) for i in element.iterfind("호")])


def _item(element: ET.Element) -> Item:
    text = _numbered(_text(element, "호번호"), "\n".join(_lines(element.findtext("호내용"))))
    subitems = [_numbered(_text(s, "목번호"), "\n".join(_lines(s.findtext("목내용")))) for s in element.iterfind("목")]
    return Item(text, [s for s in subitems if s])


def _annex(unit: ET.Element) -> Annex | None:
    """A 별표 with its text; None for a form (서식) or a 별표 the portal gives only as a file."""
    lines = _lines(unit.findtext("별표내용"))
    if _text(unit, "별표구분") not in ("", "별표") or not lines:
        return None
    number, branch = _number(_text(unit, "별표번호")), _number(_text(unit, "별표가지번호"))
    label = f"별표 {number}" + (f"의{branch}" if branch.strip("0") else "")
    return Annex(label, _text(unit, "별표제목"), lines)


def _numbered(number: str, text: str) -> str:
    """The text with its number in front, as the chunker reads it (the portal usually has it there already)."""
    if not number or not text or text.startswith(number):
        return text
    return f"{number} {text}"


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _number(text: str) -> str:
    return text.lstrip("0") or text
