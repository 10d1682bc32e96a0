"""Statute-aware and manual-aware chunking on the sample documents, and the golden chunk files."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

import pytest

from connectors.chunk import Chunk
from connectors.chunking import ChunkOptions, chunk_document, document_title
from connectors.document import Block, Document, table_block
from connectors.parsers import parse_bytes
from tests.conftest import SAMPLES, sample, shared_path
from tests.support.pdfs import korean_pdf

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "chunks"


def chunks_of(path: Path) -> list[Chunk]:
    return chunk_document(parse_bytes(path.read_bytes(), path.name))


def by_article(chunks: list[Chunk], article: str) -> list[Chunk]:
    return [c for c in chunks if c.article == article]


def test_pdf_ordinance_one_chunk_per_article_with_title_path_pages_and_date() -> None:
    chunks = chunks_of(sample("민원여권과", ".pdf"))
    article = by_article(chunks, "제10조")
    assert len(article) == 1
    chunk = article[0]
    assert chunk.kind == "statute" and chunk.title == "한빛시 민원 처리에 관한 조례"
    assert chunk.heading == "제2장 민원의 신청 및 접수"
    assert chunk.text.startswith("제10조(민원의 이송) ① ")
    assert "8근무시간 이내" in chunk.text
    assert chunk.effective_date == "2025-07-01"
    assert (chunk.page_start, chunk.page_end) == (2, 2)
    # 제N조의2 is an article of its own; a chapter and a section make a two-level heading path.
    assert by_article(chunks, "제10조의2")[0].text.startswith("제10조의2(처리주관부서의 재지정)")
    assert by_article(chunks, "제11조")[0].heading == "제3장 민원의 처리 > 제1절 처리기간"


def test_article_across_a_page_break_is_joined_and_keeps_its_page_range() -> None:
    chunks = chunks_of(sample("총무과", ".pdf"))
    parts = by_article(chunks, "제6조")
    assert parts[0].page_start == 1 and parts[-1].page_end == 2
    joined = "\n".join(p.text for p in parts)
    assert "자치법규" not in joined and "한빛시청" not in joined


def test_long_article_is_split_by_paragraph_with_the_heading_repeated() -> None:
    chunks = chunks_of(sample("민원여권과", ".pdf"))
    parts = by_article(chunks, "제16조")
    labels = [p.paragraph for p in parts]
    assert labels == list("①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭")
    assert all(p.text.startswith("제16조(여권 민원실의 운영)") for p in parts)
    fourth = parts[3]
    assert "매주 목요일" in fourth.text and "오후 8시" in fourth.text
    assert (fourth.page_start, fourth.page_end) == (3, 3)
    assert parts[7].page_start == 4


def test_short_articles_are_not_split() -> None:
    chunks = chunks_of(sample("민원여권과", ".pdf"))
    assert [c.paragraph for c in by_article(chunks, "제17조")] == [""]


def test_deleted_article_addenda_and_annex_are_chunks_of_their_own() -> None:
    chunks = chunks_of(sample("민원여권과", ".pdf"))
    assert by_article(chunks, "제7조")[0].text == "제7조 삭제 <2024. 3. 1.>"
    addenda = [c for c in chunks if c.heading.startswith("부칙")]
    assert [c.heading for c in addenda] == ["부칙 <제987호, 2019. 12. 30.>", "부칙 <제1234호, 2025. 6. 20.>"]
    assert not any(c.article for c in addenda), "부칙's own 제1조 must not pose as the ordinance's 제1조"
    annex = [c for c in chunks if c.heading.startswith("[별표 1]")]
    assert len(annex) == 1 and "옥외광고물 표시 허가" in annex[0].text and annex[0].page_start == 7
    assert len(by_article(chunks, "제1조")) == 1


def test_hwpx_ordinance_is_statute_aware_too() -> None:
    chunks = chunks_of(sample("정보보호담당관", ".hwpx", "조례"))
    parts = by_article(chunks, "제16조")
    assert len(parts) == 14 and parts[4].paragraph == "⑤"
    assert "30일" in parts[4].text
    assert all(c.page_start is None for c in chunks)


def test_docx_rule_headings_from_styles() -> None:
    chunks = chunks_of(sample("회계과", ".docx"))
    assert chunks[1].article == "제1조"
    assert chunks[1].heading.startswith("제1장")
    assert chunks[0].title == "한빛시 계약 사무 처리 규칙"


def test_manual_chunks_follow_numbered_headings_and_keep_tables() -> None:
    chunks = chunks_of(sample("민원여권과", ".hwpx"))
    assert all(c.kind == "manual" and not c.article for c in chunks)
    deadline = next(c for c in chunks if c.heading == "Ⅱ. 여권 민원 처리기한 > 1. 유형별 처리기한")
    assert "재발급" in deadline.text and "4일" in deadline.text and " | " in deadline.text
    paths = [c.heading for c in chunks]
    assert "Ⅲ. 여권 발급 업무 절차 > 1. 접수 > 1.2 본인 확인" in paths


def test_manual_chunks_respect_size_and_overlap() -> None:
    options = ChunkOptions(max_chars=300, overlap_chars=80)
    lines = [f"○ 항목 {n}: 담당자는 서류를 확인하고 결과를 시스템에 등록한다." for n in range(40)]
    document = Document(file="긴지침.txt", format="txt",
                        blocks=[Block("□ 점검 절차", kind="paragraph")] + [Block(t) for t in lines])
    chunks = chunk_document(document, options)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        shared = [line for line in after.text.splitlines() if line in before.text.splitlines()]
        assert shared and before.text.endswith("\n".join(shared)), "the next chunk repeats the previous one's tail"
        assert len("\n".join(shared)) <= 80
    covered = {line for c in chunks for line in c.text.splitlines()}
    assert set(lines) <= covered


def test_a_line_item_is_not_mistaken_for_a_heading() -> None:
    document = Document(file="a.txt", format="txt", blocks=[
        Block("1. 개요"), Block("본문입니다."), Block("2. 신청서를 접수한다."), Block("3. 절차"), Block("내용")])
    headings = [c.heading for c in chunk_document(document)]
    assert headings == ["1. 개요", "3. 절차"]


def test_title_falls_back_to_the_law_go_kr_file_name() -> None:
    document = Document(file="건축법(법률)(제21065호)(20251001).txt", format="txt",
                        blocks=[Block("[시행 2025. 10. 1.]")])
    assert document_title(document) == "건축법"


def _golden_cases() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*/*") if p.is_file())


@pytest.mark.parametrize("path", _golden_cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_chunks(path: Path) -> None:
    """Chunk boundaries are reviewed like code: UPDATE_GOLDEN=1 rewrites the files, git diff shows the change."""
    rows = [{"article": c.article, "paragraph": c.paragraph, "heading": c.heading, "pages": [c.page_start, c.page_end],
             "text": c.text} for c in chunks_of(path)]
    golden = GOLDEN / path.parent.name / f"{path.name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file for {path.name}: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert rows == json.loads(golden.read_text(encoding="utf-8"))


def test_paragraph_numbers_past_twenty_split_a_long_article() -> None:
    circled = [chr(0x2460 + n) for n in range(20)] + [chr(0x3251 + n) for n in range(5)]  # ①..⑳, ㉑..㉕
    lines = ["제1조(목적) 이 규칙은 목적을 정한다.", "제2조(정의) 용어의 뜻은 다음과 같다."]
    body = "위원회의 운영 사항을 정한다. " * 5
    lines += [f"제3조(위원회) {circled[0]} 위원회를 둔다."] + [f"{c} {body}" for c in circled[1:]]
    lines += ["제4조(시행) 이 규칙은 공포한 날부터 시행한다."]
    document = Document(file="규칙.txt", format="txt", blocks=[Block(t) for t in lines])
    parts = [c for c in chunk_document(document) if c.article == "제3조"]
    assert [p.paragraph for p in parts] == circled
    assert parts[-1].text.startswith("제3조(위원회)\n㉕ ")


def _real_pdf_chunks(name: str) -> list[Chunk]:
    path = shared_path("eval", "pdfs", "ko", name)
    return chunk_document(parse_bytes(path.read_bytes(), name))


@pytest.mark.parametrize("name", ["국회_의안원문_2125318.pdf", "국회회의록_21대_414회_1차_환경노동위원회.pdf",
                                  "제안요청서_수정_230524.pdf"])
def test_real_pdf_chunks_hold_words_and_list_items_are_not_headings(name: str) -> None:
    chunks = _real_pdf_chunks(name)
    assert all(any(ch.isalnum() for ch in c.text) for c in chunks)
    assert not [line for c in chunks for line in c.text.splitlines() if not any(ch.isalnum() for ch in line)]
    numbered = [c.heading for c in chunks if re.match(r"\d+\. ", c.heading.split(" > ")[-1])]
    if name.startswith("제안요청서"):
        # A request for proposals is a manual: its numbered sections are headings under its chapters (Ⅱ., Ⅴ.),
        # short titles, never a sentence.
        assert numbered and all(h.startswith(("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")) and len(h.split(" > ")[-1]) <= 40
                                for h in numbered), numbered
    else:
        # An agenda or amendment item ("1. 아동ㆍ청년ㆍ여성을 … 단체", "94. 최저임금법 …") is no section heading.
        assert not numbered


def test_the_minutes_lose_their_running_header_on_odd_and_even_pages() -> None:
    chunks = _real_pdf_chunks("국회회의록_21대_414회_1차_환경노동위원회.pdf")
    assert not [c.ordinal for c in chunks if "환경노동제1차(2024년5월7일)" in c.text]


def test_pdf_list_items_wrapped_lines_and_rules() -> None:
    lines = ["업무 안내", "1. 신청 자격",
             "신청하는 사람은 다음 각 호의 요건을 모두 갖추어야 하며, 담당자는 이를 확인해 주시기 바랍",
             "다. 확인한 서류는 돌려준다.",
             "1. 관내에 주소를 둔 사람으로서 신청일 현재 만 19세 이상이고 소득 기준을",
             "충족하는 사람", "2. 다른 지원을 받지 아니하는 사람", "-----------------", "2. 신청 방법",
             "신청서는 주민센터에 낸다."]
    chunks = chunk_document(parse_bytes(korean_pdf([lines]), "안내.pdf"))
    assert [c.heading for c in chunks] == ["1. 신청 자격", "2. 신청 방법"]
    # "다." ends the wrapped sentence (an ending cut off at the line end, read with its word): it is no item 다.
    assert "주시기 바랍다. 확인한 서류는 돌려준다." in chunks[0].text
    assert "-----" not in "".join(c.text for c in chunks)


@pytest.mark.parametrize("name", ["국회_의안원문_2125318.pdf", "제안요청서_수정_230524.pdf"])
def test_every_page_start_recorded_in_a_chunk_opens_a_line_of_that_page(name: str) -> None:
    path = shared_path("eval", "pdfs", "ko", name)
    document = parse_bytes(path.read_bytes(), name)
    lines: dict[int | None, list[str]] = {}
    for block in document.blocks:
        lines.setdefault(block.page, []).append(block.text)
    spanning = [c for c in chunk_document(document) if c.page_start != c.page_end]
    assert spanning
    for chunk in spanning:
        assert chunk.page_offsets[0] == (0, chunk.page_start) and chunk.page_offsets[-1][1] == chunk.page_end
        for offset, page in chunk.page_offsets[1:]:
            head = chunk.text[offset:offset + 15]
            assert any(line.startswith(head) or head.startswith(line) for line in lines[page]), (offset, page)


CONTRACT = """[별지] 개인정보 처리업무 위탁 계약서
제1조(목적) 이 계약은 갑이 개인정보 처리업무를 을에게 위탁하는 데 필요한 사항을 정한다.
제2조(용어의 정의) 이 계약에서 정하지 아니한 용어는 개인정보 보호법에서 정한 바에 따른다.
제3조(위탁업무의 범위) 을은 계약이 정하는 바에 따라 개인정보 처리업무를 수행한다.
"""


def test_a_proposal_request_with_a_contract_in_its_annex_is_a_manual_not_a_statute() -> None:
    """Three articles of a contract template at the end of a long request for proposals do not make it a law:
    it is chunked as a manual (sections within the size limit), while the contract alone reads as articles."""
    body = "".join(f"{n}. 사업 개요\n이 사업은 온나라 문서 편집기를 새로 도입하여 보고서 작성을 돕는 사업이다. "
                   f"제안사는 요구사항 {n}을 모두 충족하는 제품을 납품하여야 한다.\n" for n in range(1, 40))
    proposal = parse_bytes(("제안요청서\n" + body + CONTRACT).encode("utf-8"), "제안요청서.txt")
    chunks = chunk_document(proposal)
    assert {c.kind for c in chunks} == {"manual"}
    assert max(len(c.text) for c in chunks) <= ChunkOptions().max_chars
    contract = chunk_document(parse_bytes(CONTRACT.encode("utf-8"), "위탁 계약서.txt"))
    assert {c.kind for c in contract} == {"statute"}
    assert [c.article for c in contract if c.article] == ["제1조", "제2조", "제3조"]


def test_the_real_proposal_requests_are_manuals() -> None:
    for name in ("제안요청서_수정_230524.pdf", "제안요청서_생성형AI_구축_및_학습_용역.pdf"):
        path = shared_path("eval", "pdfs", "ko", name)
        chunks = chunk_document(parse_bytes(path.read_bytes(), name))
        assert {c.kind for c in chunks} == {"manual"}, name


def _long_table() -> tuple[str, list[str]]:
    header = "민원 종류 | 처리기한 | 담당 부서"
    rows = [f"민원 {n}호 증명서 발급 | {n}일 | 민원{n % 4 + 1}팀" for n in range(1, 61)]
    return header, rows


def test_a_table_split_over_chunks_repeats_its_header_row_in_each() -> None:
    header, rows = _long_table()
    document = Document(file="처리기한.docx", format="docx", blocks=[
        Block("□ 민원 처리기한표"), table_block([cell.split(" | ") for cell in [header, *rows]])])
    chunks = chunk_document(document, ChunkOptions(max_chars=400, overlap_chars=0))
    assert len(chunks) > 3
    assert all(len(c.text) <= 400 for c in chunks)
    for chunk in chunks:
        lines = [line for line in chunk.text.splitlines() if " | " in line]
        assert lines[0] == header, chunk.text  # a row is never read without its column names
        assert all(len(line.split(" | ")) == 3 for line in lines), chunk.text  # rows never glued or cut
    quoted = [line for c in chunks for line in c.text.splitlines() if line in rows]
    assert sorted(quoted, key=rows.index) == rows  # every row once, in order


def test_a_statute_s_long_table_keeps_its_header_in_each_part() -> None:
    header, rows = _long_table()
    document = Document(file="규칙.docx", format="docx", blocks=[
        Block("제1조(목적) 이 규칙은 민원 처리기한을 정한다."),
        Block("제2조(처리기한) 민원의 처리기한은 다음 표와 같다."),
        table_block([cell.split(" | ") for cell in [header, *rows]]),
        Block("제3조(시행) 이 규칙은 공포한 날부터 시행한다.")])
    parts = [c for c in chunk_document(document, ChunkOptions(article_split_chars=500)) if c.article == "제2조"]
    tables = [part for part in parts if " | " in part.text]
    assert len(tables) > 2
    for part in tables:  # each part: the article's header line, then the table's
        assert part.text.splitlines()[:2] == ["제2조(처리기한)", header], part.text


def test_a_pdf_line_wrapped_inside_a_word_is_joined_without_a_space() -> None:
    """HWP exports wrap Korean between any two syllables; a wrap between two words keeps its space."""
    lines = ["업무 안내", "1. 기본계획", "이 계획은 탄소중립기본계획을 따르며 그 기간은 6개월 이상의 기간으로 한다.",
             "위원회는 매년 제2기 탄소중", "립기본계획을 심의한다. 심의 기간은 6개월",
             "이상의 기간으로 정한다."]
    text = "\n".join(c.text for c in chunk_document(parse_bytes(korean_pdf([lines]), "계획.pdf")))
    assert "제2기 탄소중립기본계획을 심의한다." in text, text
    assert "6개월 이상의 기간으로 정한다." in text, text  # both sides are words of their own


def test_real_hwp_export_lines_wrapped_inside_words_read_whole() -> None:
    chunks = _real_pdf_chunks("국회_의안원문_2125318.pdf")
    text = "\n".join(c.text for c in chunks)
    assert "제2기 탄소중립위원회가 출범했지만" in text
    assert "탄소중립위원 회가" not in text


def test_a_statute_s_lines_are_joined_with_a_space_as_law_go_kr_wraps_them() -> None:
    """Statutes wrap only between words, so their lines are never run together, even where a manual's would be."""
    lines = ["제1조(목적) 이 법은 관할세무서장의 업무를 정한다.", "제2조(신고) 신고는 관할",
             "세무서장에게 한다.", "제3조(위임) 관할세무서장은 업무를 위임할 수 있다."]
    chunks = chunk_document(parse_bytes(korean_pdf([lines]), "세무법(법률)(제1호)(20250101).pdf"))
    assert chunks[0].kind == "statute"
    assert "신고는 관할 세무서장에게 한다." in "\n".join(c.text for c in chunks)


def test_a_cut_word_the_document_never_writes_whole_is_joined_when_it_reads_as_one_word() -> None:
    """Endings and particles cut off at a line end ("하겠" / "습니다.") are joined when the right side is never a
    word of its own and Kiwi reads the two as one word; a line ending at a word's end keeps its space: before a
    word of its own ("배터리의" / "임피던스가") or before a noun ("회계과" / "지출팀")."""
    lines = ["회의록", "1. 질의",
             "위원님 말씀대로 검토하겠", "습니다. 그리고 카드", "로 결제한 금액은 정", "합성을 따져 봅니다.",
             "측정 결과 배터리의", "임피던스가 높았고 다시 임피던스가 낮아졌습니다. 영수증은 회계과",
             "지출팀에 냅니다."]
    text = "\n".join(c.text for c in chunk_document(parse_bytes(korean_pdf([lines]), "회의록.pdf")))
    assert "검토하겠습니다." in text and "카드로 결제한" in text and "정합성을" in text, text
    assert "배터리의 임피던스가 높았고" in text and "회계과 지출팀에" in text, text
