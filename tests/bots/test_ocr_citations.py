"""A scanned notice (an image-only PDF printed from Korean type here) indexed through the real ingest, in parsing
workers, into a real Chroma: a question is answered from its page, and the citation names the page and says
'OCR로 읽은 쪽'; the same for a picture of the notice pasted into a DOCX or an HWP ('OCR로 읽은 그림')."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.shared import Inches

from bots.answer import Answer, BotProfile
from connectors.ingest import FileResult
from tests.conftest import make_services
from tests.support.hwp_file import BinItem, HwpFile
from tests.support.hwp_file import paragraph as hwp_paragraph
from tests.support.hwp_file import picture as hwp_picture
from tests.support.scans import FILLER, FIRST_PAGE, NOTICE, images_pdf, needs_tesseract, text_page
from ui.wiring import build_answerer

LEAD = "정보통신과 게시판에 붙인 공지를 스캔하여 아래에 넣었습니다."


def _indexed_and_asked(folder: Path, data: Path, limit: float) -> tuple[FileResult, Answer]:
    """The folder's one file indexed in parsing workers within `limit` seconds a file (its OCR takes longer: each
    page or picture brings its own limit), and the notice's question asked of it."""
    services = make_services(data, isolate_parsing=True, parse_timeout_seconds=limit)
    with services.reindexer:
        report = services.reindexer.reindex(folder, "정보통신과")
    [result] = report.files
    assert result.status == "indexed", result.error
    assert sum(report.timings.get(stage, 0) for stage in ("parse", "chunk", "tokenize")) > limit  # over the limit
    answer = build_answerer(services, BotProfile(departments=["정보통신과"])).ask(
        "공공 와이파이가 끊기면 어디에 신고하나요?")
    assert not answer.refused, answer.text
    assert "유지보수 담당" in answer.text, answer.text
    return result, answer


@needs_tesseract
def test_a_question_is_answered_from_a_scanned_page_and_its_citation_says_ocr(tmp_path: Path) -> None:
    folder = tmp_path / "정보통신과"
    folder.mkdir()
    # Two full pages: their OCR takes several times the file's limit (2 s), and each page brings its own limit.
    (folder / "와이파이 안내(스캔).pdf").write_bytes(images_pdf([text_page(FIRST_PAGE + FILLER, 300),
                                                            text_page(NOTICE + FILLER, 300)], 300))
    result, answer = _indexed_and_asked(folder, tmp_path / "data", 2.0)
    assert result.warnings == ["OCR로 읽은 쪽 2개 (원문과 대조해 확인하세요): 1, 2쪽"]
    labels = [citation.label for citation in answer.citations]
    assert any(label.endswith("와이파이 안내(스캔).pdf 2쪽 (OCR로 읽은 쪽)") for label in labels), labels
    assert all(citation.ocr for citation in answer.citations)
    assert answer.citations[0].to_dict()["ocr"] is True  # what the API and `ask --json` send


@needs_tesseract
def test_with_tesseract_missing_a_scan_fails_saying_how_to_enable_ocr(tmp_path: Path) -> None:
    folder = tmp_path / "정보통신과"
    folder.mkdir()
    (folder / "스캔.pdf").write_bytes(images_pdf([text_page(NOTICE)], 200))
    services = make_services(tmp_path / "data", ocr={"tesseract_cmd": str(tmp_path / "no-tesseract")})
    with services.reindexer:
        [result] = services.reindexer.reindex(folder, "정보통신과").files
    assert result.status == "failed"
    assert "텍스트 레이어가 없는 쪽 1개" in result.error and "apt-get install tesseract-ocr" in result.error, \
        result.error


@needs_tesseract
def test_with_ocr_off_in_settings_a_scan_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "정보통신과"
    folder.mkdir()
    (folder / "스캔.pdf").write_bytes(images_pdf([text_page(NOTICE)], 200))
    services = make_services(tmp_path / "data", ocr={"enabled": False})
    with services.reindexer:
        [result] = services.reindexer.reindex(folder, "정보통신과").files
    assert result.status == "failed"
    assert "OCR이 꺼져 있습니다" in result.error, result.error


def _docx_with(picture: bytes) -> bytes:
    document = docx.Document()
    document.add_paragraph(LEAD)
    document.add_picture(io.BytesIO(picture), width=Inches(6))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _hwp_with(picture: bytes) -> bytes:
    return HwpFile(hwp_paragraph(LEAD) + hwp_paragraph("", controls=[hwp_picture(1, 0)]),
                   [BinItem(picture)]).build()


@needs_tesseract
@pytest.mark.parametrize(("name", "build", "stored"), [("와이파이 안내.docx", _docx_with, "image1.png"),
                                                        ("와이파이 안내.hwp", _hwp_with, "BIN0001.png")])
def test_a_question_is_answered_from_a_picture_in_a_document_and_its_citation_says_ocr(
        tmp_path: Path, name: str, build: Callable[[bytes], bytes], stored: str) -> None:
    folder = tmp_path / "정보통신과"
    folder.mkdir()
    picture = io.BytesIO()
    text_page(NOTICE + FILLER, 300).save(picture, "PNG")  # a full page: its OCR takes longer than the file's limit
    (folder / name).write_bytes(build(picture.getvalue()))
    result, answer = _indexed_and_asked(folder, tmp_path / "data", 1.0)
    assert result.warnings == [f"OCR로 읽은 그림 1개 (원문과 대조해 확인하세요): {stored}"]
    [citation] = [citation for citation in answer.citations if "유지보수 담당" in citation.quote]
    assert citation.label.endswith(f"{name} (OCR로 읽은 그림)"), citation.label
    assert citation.to_dict()["ocr"] is True
