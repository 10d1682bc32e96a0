"""A small law portal for tests, answering as the national law information center's Open API does (law.go.kr DRF).

`GET /DRF/lawSearch.do?OC=…&target=law&type=XML&query=…` lists the laws whose names contain the query
(`<LawSearch><totalCnt/><law id="n"><법령일련번호/><현행연혁코드/><법령명한글/><법령ID/><공포일자/><공포번호/>
<제개정구분명/><법령구분명/><시행일자/><법령상세링크/></law>…`); `GET /DRF/lawService.do?…&MST=…` (or `ID=…`)
answers a law's text (`<법령><기본정보>…</기본정보><조문><조문단위>…</조문단위></조문><부칙>…</부칙></법령>`), or
`<Law>일치하는 법령이 없습니다…</Law>`. A request with the key "bad-key" gets the portal's refusal
(`<Response><result>사용자 정보 검증에 실패하였습니다.</result>…`), with "html-key" an HTML error page, and so does
the text of a law in `broken` (with HTTP 500). Laws are
plain data that a test may amend while the server runs; every request's query is recorded.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# An article: ("heading", "제1장 총칙") or (number, title, text, paragraphs); a paragraph: (number, text, items);
# an item: (text, [sub-item texts]).
Item = tuple[str, list[str]]
Paragraph = tuple[str, str, list[Item]]


@dataclass
class PortalLaw:
    """One law as the portal holds it (its current version)."""

    law_id: str
    mst: str
    name: str
    effective: str
    promulgated: str
    number: str
    articles: list[tuple[Any, ...]]
    addenda: list[tuple[str, str, str]] = field(default_factory=list)  # (date, number, text)
    annexes: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (번호, 가지번호, 구분, 제목, 내용)
    kind: str = "법률"
    change: str = "일부개정"
    current: str = "현행"


@dataclass
class Portal:
    """The laws the server answers with, and the queries it was sent."""

    laws: list[PortalLaw]
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    broken: set[str] = field(default_factory=set)  # law IDs whose text requests get an HTML error page

    def law(self, name: str) -> PortalLaw:
        return next(law for law in self.laws if law.name == name)


def search_xml(portal: Portal, query: str) -> bytes:
    root = ET.Element("LawSearch")
    found = [law for law in portal.laws if query.replace(" ", "") in law.name.replace(" ", "")]
    for tag, value in (("target", "law"), ("키워드", query), ("section", "lawNm"), ("totalCnt", str(len(found))),
                       ("page", "1")):
        ET.SubElement(root, tag).text = value
    for n, law in enumerate(found, 1):
        item = ET.SubElement(root, "law", id=str(n))
        for tag, value in (("법령일련번호", law.mst), ("현행연혁코드", law.current), ("법령명한글", law.name),
                           ("법령약칭명", ""), ("법령ID", law.law_id), ("공포일자", law.promulgated),
                           ("공포번호", law.number.zfill(5)), ("제개정구분명", law.change),
                           ("소관부처명", "행정안전부"),
                           ("법령구분명", law.kind), ("시행일자", law.effective),
                           ("법령상세링크", f"/DRF/lawService.do?OC=test&target=law&MST={law.mst}&type=HTML")):
            ET.SubElement(item, tag).text = value
    return _document(root)


def law_xml(law: PortalLaw) -> bytes:
    root = ET.Element("법령", 법령키=law.law_id + law.promulgated)
    info = ET.SubElement(root, "기본정보")
    for tag, value in (("법령ID", law.law_id), ("공포일자", law.promulgated), ("공포번호", law.number),
                       ("언어", "한글"), ("법종구분", law.kind), ("법령명_한글", law.name), ("시행일자", law.effective),
                       ("제개정구분", law.change), ("소관부처", "행정안전부")):
        ET.SubElement(info, tag).text = value
    body = ET.SubElement(root, "조문")
    for position, article in enumerate(law.articles):
        _article(ET.SubElement(body, "조문단위", 조문키=f"{position:07d}"), article)
    addenda = ET.SubElement(root, "부칙")
    for date, number, text in law.addenda:
        unit = ET.SubElement(addenda, "부칙단위", 부칙키=date + number)
        ET.SubElement(unit, "부칙공포일자").text = date
        ET.SubElement(unit, "부칙공포번호").text = number
        ET.SubElement(unit, "부칙내용").text = text
    annexes = ET.SubElement(root, "별표")
    for number, branch, kind, title, text in law.annexes:
        unit = ET.SubElement(annexes, "별표단위", 별표키=number + branch + ("E" if kind == "별표" else "F"))
        for tag, value in (("별표번호", number), ("별표가지번호", branch), ("별표구분", kind), ("별표제목", title),
                           ("별표내용", text)):
            ET.SubElement(unit, tag).text = value
    return _document(root)


def _article(unit: ET.Element, article: tuple[Any, ...]) -> None:
    if article[0] == "heading":
        ET.SubElement(unit, "조문번호").text = "0"
        ET.SubElement(unit, "조문여부").text = "전문"
        ET.SubElement(unit, "조문내용").text = article[1]
        return
    number, title, text, paragraphs = article
    ET.SubElement(unit, "조문번호").text = number
    ET.SubElement(unit, "조문여부").text = "조문"
    ET.SubElement(unit, "조문제목").text = title
    ET.SubElement(unit, "조문내용").text = text
    for mark, paragraph, items in paragraphs:
        element = ET.SubElement(unit, "항")
        if mark:
            ET.SubElement(element, "항번호").text = mark
            ET.SubElement(element, "항내용").text = paragraph
        for item_text, subitems in items:
            item = ET.SubElement(element, "호")
            ET.SubElement(item, "호번호").text = item_text.split(" ", 1)[0]
            ET.SubElement(item, "호내용").text = item_text
            for sub in subitems:
                sub_element = ET.SubElement(item, "목")
                ET.SubElement(sub_element, "목번호").text = sub.split(" ", 1)[0]
                ET.SubElement(sub_element, "목내용").text = sub


def _document(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


_REFUSED = ("<Response><result>사용자 정보 검증에 실패하였습니다.</result><msg>OPEN API 호출 시 사용자 검증을 위하여 "
            "정확한 서버장비의 IP주소 및 도메인주소를 등록해 주세요.</msg></Response>").encode()
_HTML = "<!DOCTYPE html><html><body><h1>페이지 접속에 실패하였습니다.</h1></body></html>".encode()
_NOT_FOUND = "<Law>일치하는 법령이 없습니다. 법령명을 확인하여 주십시오.</Law>".encode()


def _answer(portal: Portal, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
    """(status, content type, body) for one request."""
    if query.get("OC") == "bad-key":
        return 200, "application/xml", _REFUSED
    if query.get("OC") == "html-key":
        return 200, "text/html", _HTML
    if path.endswith("/lawSearch.do"):
        return 200, "application/xml", search_xml(portal, query.get("query", ""))
    if path.endswith("/lawService.do"):
        if query.get("ID") in portal.broken or any(law.mst == query.get("MST") and law.law_id in portal.broken
                                                   for law in portal.laws):
            return 500, "text/html", _HTML
        law = next((law for law in portal.laws if (query.get("MST") and law.mst == query["MST"])
                    or (query.get("ID") and law.law_id == query["ID"])), None)
        return 200, "application/xml", law_xml(law) if law else _NOT_FOUND
    return 404, "text/html", _HTML


@contextmanager
def law_portal(laws: list[PortalLaw]) -> Iterator[Portal]:
    """The portal serving `laws` on a free loopback port; its `url` is the DRF base URL."""
    portal = Portal(laws)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            address = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(address.query).items()}
            portal.requests.append({"path": address.path, **query})
            status, content_type, body = _answer(portal, address.path, query)
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type};charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    portal.url = f"http://127.0.0.1:{server.server_address[1]}/DRF"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
