"""The law portal connector against a test server answering in the Open API's XML: parsing, the text it writes
(read back by the statute chunker), the list file, and the errors a lead or operator would meet."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.chunking import chunk_document
from connectors.errors import LawNotFoundError, LawPortalError
from connectors.ingest import scan_folder
from connectors.laws.client import LawPortal
from connectors.laws.listing import LAW_LIST_FILE, read_law_list, write_law_list
from connectors.laws.parse import LawText, LawVersion, parse_law
from connectors.laws.render import render_law
from connectors.laws.sync import fetch_entry, find_law
from connectors.parsers import parse_bytes
from tests.support.law_portal import Portal, law_portal
from tests.support.law_samples import FUTURE, FUTURE_ID, PARTICIPATION, REPEALED, SAFETY, sample_laws


@pytest.fixture
def portal() -> Iterator[Portal]:
    with law_portal(sample_laws()) as running:
        yield running


def test_the_written_law_reads_as_a_statute_with_its_version(portal: Portal) -> None:
    client = LawPortal(portal.url, "my-oc")
    text = render_law(client.law_text(SAFETY, mst=find_law(client, SAFETY).mst))
    assert text.splitlines()[:2] == [SAFETY, "[시행 2025. 7. 1.] [법률 제20001호, 2025. 1. 7., 일부개정]"]
    chunks = chunk_document(parse_bytes(text.encode("utf-8"), f"{SAFETY}.txt"))
    by_article = {c.article: c for c in chunks if c.article}
    assert list(by_article) == ["제1조", "제2조", "제5조", "제6조", "제7조"]
    assert all(c.kind == "statute" and c.title == SAFETY and c.effective_date == "2025-07-01"
               and c.promulgation == "법률 제20001호, 2025. 1. 7." for c in chunks)
    assert by_article["제5조"].heading == "제2장 안전점검"
    assert "② 어린이놀이시설의 정기안전점검은 매월 1회 이상" in by_article["제5조"].text
    definition = by_article["제2조"].text.splitlines()  # 호 and 목 each on a line of their own
    assert definition[1].startswith("1. \"공공시설\"") and definition[2] == "가. 도로·교량 및 터널"
    assert any(c.heading.startswith("부칙") and "2025년 7월 1일부터 시행" in c.text for c in chunks)
    annexes = [c for c in chunks if c.heading.startswith("[별표")]  # each 별표 with text, the form left out
    assert [c.heading for c in annexes] == ["[별표 1] 과태료의 부과기준(제10조 관련)",
                                            "[별표 1의2] 안전점검 기관의 등록기준(제8조 관련)"]
    assert "정기안전점검을 실시하지 않은 경우 │ 200만원" in annexes[0].text
    assert "안전점검 결과 보고서" not in text
    sent = portal.requests[-1]
    assert sent == {"path": "/DRF/lawService.do", "OC": "my-oc", "target": "law", "type": "XML", "MST": "200001"}


def test_search_takes_the_exact_name_not_a_longer_one(portal: Portal) -> None:
    client = LawPortal(portal.url)
    assert [v.name for v in client.search(SAFETY)] == [SAFETY, f"{SAFETY} 시행령"]
    assert find_law(client, SAFETY.replace(" ", "")).law_id == "009001"  # spacing does not make another law
    with pytest.raises(LawNotFoundError, match="공공시설 안전: 법령 포털에서 이 이름의 법령을 찾지 못했습니다"):
        find_law(client, "공공시설 안전")


def test_a_law_id_a_repealed_law_and_an_unknown_id(portal: Portal) -> None:
    client = LawPortal(portal.url)
    future = fetch_entry(client, FUTURE_ID)
    assert isinstance(future, LawText) and future.version.name == FUTURE and future.version.effective == "20280101"
    before = len(portal.requests)
    repealed = fetch_entry(client, REPEALED)
    assert isinstance(repealed, LawVersion) and repealed.repealed and repealed.change == "폐지"
    assert [r["path"] for r in portal.requests[before:]] == ["/DRF/lawSearch.do"]  # no text for a repealed law
    with pytest.raises(LawNotFoundError, match="999999: 법령 포털에 이 법령이 없습니다"):
        fetch_entry(client, "999999")


@pytest.mark.parametrize(("key", "said"), [
    ("bad-key", "법령 포털이 오류를 알렸습니다: 사용자 정보 검증에 실패하였습니다."),
    ("html-key", "법령 포털이 법령 대신 오류 페이지(HTML)를 보냈습니다"),
])
def test_an_error_page_is_a_clear_error_naming_the_law_and_the_key(portal: Portal, key: str, said: str) -> None:
    with pytest.raises(LawPortalError) as caught:
        fetch_entry(LawPortal(portal.url, key), PARTICIPATION)
    assert caught.value.message.startswith(f"{PARTICIPATION}: {said}")
    assert "DEPTBOT_LAW__KEY" in caught.value.message


def test_a_refused_connection_and_a_silent_server_are_network_errors() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    refused = rf"{SAFETY}: 법령 포털\(http://127.0.0.1:{port}/DRF\)에 연결할 수 없습니다"
    with pytest.raises(LawPortalError, match=refused):
        find_law(LawPortal(f"http://127.0.0.1:{port}/DRF"), SAFETY)
    with socket.socket() as silent:  # accepts, never answers: the timeout ends the wait
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(LawPortalError, match=r"연결할 수 없습니다 .*timed out"):
            find_law(LawPortal(f"http://127.0.0.1:{silent.getsockname()[1]}/DRF", timeout=0.5), SAFETY)


def test_xml_that_is_not_a_law_is_refused() -> None:
    with pytest.raises(LawPortalError, match="XML로 읽을 수 없습니다"):
        parse_law("<?xml version='1.0'?><법령><기본정보>".encode(), SAFETY)


def test_the_list_file_round_trip_and_it_is_never_indexed(tmp_path: Path) -> None:
    (tmp_path / LAW_LIST_FILE).write_text(f"# 우리 부서 법령\n{SAFETY}   # 안전점검\n\n{FUTURE_ID}\n{SAFETY}\n"
                                          "주민참여   활성화법\n", encoding="utf-8")
    assert read_law_list(tmp_path) == [SAFETY, FUTURE_ID, PARTICIPATION]
    assert write_law_list(tmp_path, [" 도시공원 특례법 ", "# 주석", FUTURE_ID]) == [REPEALED, FUTURE_ID]
    assert read_law_list(tmp_path) == [REPEALED, FUTURE_ID]
    (tmp_path / "매뉴얼.txt").write_text("안내", encoding="utf-8")
    (tmp_path / "하위").mkdir()
    (tmp_path / "하위" / LAW_LIST_FILE).write_text("하위 폴더의 같은 이름은 문서입니다", encoding="utf-8")
    assert scan_folder(tmp_path) == ["매뉴얼.txt", f"하위/{LAW_LIST_FILE}"]
    assert read_law_list(tmp_path / "없는 폴더") == []
