"""OCR of PDF pages without a text layer: a page scanned from Korean type we print ourselves is read and marked;
OCR off, Tesseract missing and a page over its time limit are reported; pages with text are never rendered."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest

from connectors.chunk import Chunk
from connectors.chunking import chunk_document
from connectors.parsers import ParseLimits, ocr, parse_bytes
from connectors.parsers.ocr import OcrOptions
from tests.support.pdfs import korean_pdf
from tests.support.scans import NOTICE, cer, images_pdf, needs_tesseract, text_page

NO_TEXT = "텍스트 레이어가 없는 쪽 1개 (스캔 문서?): 1쪽"


def _scan(*pages: list[str]) -> bytes:
    return images_pdf([text_page(lines, dpi=300) for lines in pages], dpi=300)


@needs_tesseract
def test_a_scanned_page_is_read_by_ocr_and_marked_on_its_chunks() -> None:
    document = parse_bytes(_scan(NOTICE), "스캔공문.pdf")
    assert document.ocr_pages == [1]
    assert cer("".join(NOTICE), document.text) < 0.05, document.text
    assert document.warnings == ["OCR로 읽은 쪽 1개 (원문과 대조해 확인하세요): 1쪽"]
    chunks = chunk_document(document)
    assert [chunk.ocr_pages for chunk in chunks] == [[1]]
    stored = chunks[0].to_metadata()
    assert stored["ocr_pages"] == "1"
    assert Chunk.from_record("x", chunks[0].text, stored).ocr_pages == [1]


@needs_tesseract
def test_only_the_scanned_pages_of_a_mixed_pdf_are_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = pypdf.PdfWriter()
    for data in (korean_pdf([["첫 쪽은 글자가 있는 쪽입니다", "둘째 줄"]]), _scan(NOTICE),
                 korean_pdf([["셋째 쪽도 글자가 있습니다"]])):
        writer.append(pypdf.PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    asked: list[list[int]] = []
    real = ocr.read_pages

    def spy(data: bytes, numbers: list[int], options: OcrOptions) -> Any:
        asked.append(numbers)
        return real(data, numbers, options)

    monkeypatch.setattr(ocr, "read_pages", spy)
    document = parse_bytes(buffer.getvalue(), "섞인문서.pdf")
    assert asked == [[2]]
    assert document.ocr_pages == [2]
    pages = {block.page for block in document.blocks if "와이파이" in block.text}
    assert pages == {2}
    marked = {page for chunk in chunk_document(document) for page in chunk.ocr_pages}
    assert marked == {2}


def test_a_pdf_with_text_never_reaches_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("OCR ran on a PDF whose pages have text")

    monkeypatch.setattr(ocr, "read_pages", refuse)
    monkeypatch.setattr(ocr, "unavailable", refuse)
    document = parse_bytes(korean_pdf([["글자가 있는 쪽"], ["둘째 쪽"]]), "문서.pdf")
    assert document.ocr_pages == []
    assert document.warnings == []


def test_ocr_off_reports_the_pages_as_without_text() -> None:
    limits = ParseLimits(ocr=OcrOptions(enabled=False))
    document = parse_bytes(_scan(NOTICE), "스캔공문.pdf", limits)
    assert document.blocks == [] and document.ocr_pages == []
    assert document.warnings == [NO_TEXT, "OCR이 꺼져 있습니다 (DEPTBOT_OCR__ENABLED=false)"]


def test_without_tesseract_the_pages_are_reported_with_how_to_install_it() -> None:
    limits = ParseLimits(ocr=OcrOptions(tesseract_cmd="/nonexistent/tesseract"))
    document = parse_bytes(_scan(NOTICE), "스캔공문.pdf", limits)
    assert document.blocks == []
    assert document.warnings[0] == NO_TEXT
    hint = document.warnings[1]
    assert "OCR을 하지 못했습니다" in hint and "apt-get install tesseract-ocr tesseract-ocr-kor" in hint, hint


@needs_tesseract
def test_without_the_korean_model_the_pages_are_reported() -> None:
    limits = ParseLimits(ocr=OcrOptions(languages="kor+zzz"))
    document = parse_bytes(_scan(NOTICE), "스캔공문.pdf", limits)
    assert document.blocks == []
    assert document.warnings[1].startswith("Tesseract 언어 모델 zzz가 없어 OCR을 하지 못했습니다")


@needs_tesseract
def test_a_page_over_its_time_limit_is_reported_unread() -> None:
    limits = ParseLimits(ocr=OcrOptions(timeout=0.01))
    document = parse_bytes(_scan(NOTICE), "스캔공문.pdf", limits)
    assert document.blocks == []
    assert document.warnings == [NO_TEXT, "OCR로 읽지 못한 쪽 1개: 1쪽(시간 초과) — 한도 조정은 관리자에게: "
                                 "DEPTBOT_OCR__TIMEOUT (0.01초)"]


def test_a_blank_page_is_not_sent_to_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "unavailable", lambda options: pytest.fail("a blank page went to OCR"))
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert parse_bytes(buffer.getvalue(), "빈쪽.pdf").warnings == [NO_TEXT]


@needs_tesseract
def test_pages_past_the_per_file_bound_are_reported_unread() -> None:
    limits = ParseLimits(ocr=OcrOptions(max_pages=1))
    document = parse_bytes(_scan(NOTICE, ["둘째 쪽은 읽지 않습니다"]), "두쪽스캔.pdf", limits)
    assert document.ocr_pages == [1]
    assert "와이파이" in document.text and "둘째" not in document.text
    assert document.warnings == ["텍스트 레이어가 없는 쪽 1개 (스캔 문서?): 2쪽",
                                 "OCR로 읽은 쪽 1개 (원문과 대조해 확인하세요): 1쪽",
                                 "OCR은 파일마다 1쪽까지만 읽습니다: 2쪽부터 1개 쪽은 읽지 않았습니다 "
                                 "(DEPTBOT_OCR__MAX_PAGES)"]


@needs_tesseract
def test_words_tesseract_is_unsure_of_are_dropped_and_the_text_is_kept() -> None:
    # A table of contents over a notice: Tesseract reads each dot leader as a run of syllables ("이이이이…") it is
    # unsure of. The default confidence floor drops those; 0 keeps every word, as before.
    contents = ["목 차", "1. 일반 사항 " + "·" * 40 + " 3", "2. 요구 사항 정의 " + "·" * 36 + " 7"]
    image = text_page(contents + NOTICE, dpi=200).crop((0, 0, 1654, 1000))
    kept_all = ocr.read_image(image, OcrOptions(min_confidence=0))
    assert "이이이이" in kept_all, kept_all
    read = ocr.read_image(image, OcrOptions())
    assert "이이이" not in read, read
    notice = read.split("공공 와이파이 고장 신고 안내", 1)[1]
    assert cer("".join(NOTICE[1:]), notice) < 0.05, read


def test_a_line_whose_words_do_not_match_tesseract_s_table_is_kept_whole() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [f"5\t1\t1\t1\t1\t{n}\t0\t0\t9\t9\t{conf}\t{word}"
            for n, (word, conf) in enumerate([("신고", 95), ("합", 91), ("니다", 90), ("이이이", 12)], 1)]
    rows += ["5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t30\t다른"]
    tsv = "\n".join([header, *rows])
    # Korean words come in pieces in the table: each token of the text is scored on its own characters.
    assert ocr.confident_text("신고합니다 이이이\n다른 줄", tsv, 40) == "신고합니다\n다른 줄"
    assert ocr.confident_text("신고합니다 이이이\n다른", tsv, 40) == "신고합니다"
    assert ocr.confident_text("신고합니다 이이이\n\n다른", tsv, 20) == "신고합니다\n다른"
