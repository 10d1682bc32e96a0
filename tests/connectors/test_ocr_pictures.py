"""OCR of pictures embedded in DOCX and HWPX files (HWP: test_ocr_hwp_pictures.py): a notice printed from Korean
type here and pasted into a document is read where it sits (in a table cell: after its table) and marked; OCR off,
small pictures, documents without pictures and a failing picture are handled without failing the file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import docx
import pytest
from docx.shared import Inches
from PIL import Image

from connectors.chunk import Chunk
from connectors.chunking import chunk_document
from connectors.document import Document
from connectors.parsers import ParseLimits, ocr, parse_bytes
from connectors.parsers.ocr import OcrOptions
from tests.support.scans import NOTICE, cer, needs_tesseract, text_page

BEFORE = "정보통신과는 시내 공공 와이파이와 민원 전화를 맡습니다. 아래는 게시판에 붙인 공지를 스캔한 것입니다."
AFTER = "공지의 내용이 바뀌면 담당자가 다시 스캔하여 올립니다."


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _notice_png() -> bytes:
    """The top of a printed A4 notice, as a scan pasted into a document (1654 x 900 px)."""
    return _png(text_page(NOTICE, dpi=200).crop((0, 0, 1654, 900)))


def _docx(*pictures: bytes, heading: str = "") -> bytes:
    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    document.add_paragraph(BEFORE)
    for picture in pictures:
        document.add_picture(io.BytesIO(picture), width=Inches(6))
    document.add_paragraph(AFTER)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_HWPX_PICTURE = ('<hp:p><hp:run><hp:pic id="1"><hp:sz width="42520" height="23000"/>'
                 '<hc:img binaryItemIDRef="image1" bright="0" contrast="0"/></hp:pic><hp:t/></hp:run></hp:p>')


def _hwpx_cell(text: str, col: int, more: str = "") -> str:
    return (f'<hp:tc><hp:subList><hp:p><hp:run><hp:t>{text}</hp:t></hp:run></hp:p>{more}</hp:subList>'
            f'<hp:cellAddr colAddr="{col}" rowAddr="0"/></hp:tc>')


# A one-row table whose second cell holds the picture under its text.
_HWPX_TABLE = ('<hp:p><hp:run><hp:tbl rowCnt="1" colCnt="2"><hp:tr>'
               f'{_hwpx_cell("구분", 0)}{_hwpx_cell("고장 공지", 1, _HWPX_PICTURE)}</hp:tr></hp:tbl></hp:run></hp:p>')


def _hwpx(picture: bytes, middle: str = _HWPX_PICTURE) -> bytes:
    """A minimal HWPX as Hancom writes it: the picture in BinData, listed in content.hpf, anchored by hp:pic (in
    a paragraph of its own, or where `middle` puts it)."""
    hp, hc = "http://www.hancom.co.kr/hwpml/2011/paragraph", "http://www.hancom.co.kr/hwpml/2011/core"
    section = (f'<?xml version="1.0" encoding="UTF-8"?><hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section"'
               f' xmlns:hp="{hp}" xmlns:hc="{hc}">'
               f'<hp:p><hp:run><hp:t>{BEFORE}</hp:t></hp:run></hp:p>{middle}'
               f'<hp:p><hp:run><hp:t>{AFTER}</hp:t></hp:run></hp:p></hs:sec>')
    package = ('<?xml version="1.0" encoding="UTF-8"?><opf:package xmlns:opf="http://www.idpf.org/2007/opf/">'
               '<opf:manifest><opf:item id="section0" href="Contents/section0.xml" media-type="application/xml"/>'
               '<opf:item id="image1" href="BinData/image1.png" media-type="image/png" isEmbeded="1"/>'
               '</opf:manifest><opf:spine><opf:itemref idref="section0"/></opf:spine></opf:package>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/hwp+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("Contents/content.hpf", package)
        archive.writestr("Contents/section0.xml", section)
        archive.writestr("BinData/image1.png", picture)
    return buffer.getvalue()


def _recognised(document: Document) -> str:
    return "\n".join(block.text for block in document.blocks if block.ocr)


@needs_tesseract
@pytest.mark.parametrize(("name", "build"), [("공지.docx", _docx), ("공지.hwpx", _hwpx)])
def test_a_picture_of_text_is_read_where_it_sits_and_marked(name: str, build: object) -> None:
    document = parse_bytes(build(_notice_png()), name)  # type: ignore[operator]
    texts = [block.text for block in document.blocks]
    assert texts[0] == BEFORE and texts[-1] == AFTER, texts  # the picture's lines sit between, where it was
    assert cer("".join(NOTICE), _recognised(document)) < 0.05, _recognised(document)
    assert not any(block.ocr for block in document.blocks if block.text in (BEFORE, AFTER))
    assert document.warnings == ["OCR로 읽은 그림 1개 (원문과 대조해 확인하세요): image1.png"]
    chunks = chunk_document(document)
    assert any("유지보수 담당" in chunk.text for chunk in chunks)
    assert all(chunk.ocr_picture for chunk in chunks if "유지보수 담당" in chunk.text)
    stored = next(chunk for chunk in chunks if chunk.ocr_picture).to_metadata()
    assert Chunk.from_record("x", "", stored).ocr_picture


def _docx_table(picture: bytes) -> bytes:
    """A DOCX with a one-row table whose second cell holds the picture under its text."""
    document = docx.Document()
    document.add_paragraph(BEFORE)
    first, second = document.add_table(rows=1, cols=2).rows[0].cells
    first.text, second.text = "구분", "고장 공지"
    second.add_paragraph().add_run().add_picture(io.BytesIO(picture), width=Inches(3))
    document.add_paragraph(AFTER)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@needs_tesseract
@pytest.mark.parametrize(("name", "build"), [("현황.docx", _docx_table),
                                             ("현황.hwpx", lambda picture: _hwpx(picture, _HWPX_TABLE))])
def test_a_picture_in_a_table_cell_is_read_after_its_table(name: str, build: Callable[[bytes], bytes]) -> None:
    document = parse_bytes(build(_notice_png()), name)
    texts = [block.text for block in document.blocks]
    assert texts[:2] == [BEFORE, "구분 | 고장 공지"], texts  # the cell's own text, with no trace of its picture
    assert texts[-1] == AFTER
    assert cer("".join(NOTICE), "".join(texts[2:-1])) < 0.05, texts
    assert all(block.ocr for block in document.blocks[2:-1])


@needs_tesseract
def test_only_the_chunk_holding_the_picture_is_marked() -> None:
    document = docx.Document()
    document.add_heading("1. 민원 전화 안내", level=1)
    document.add_paragraph("민원 전화는 평일 오전 9시부터 오후 6시까지 받습니다. " * 4)
    document.add_heading("2. 와이파이 고장 공지", level=1)
    document.add_picture(io.BytesIO(_notice_png()), width=Inches(6))
    buffer = io.BytesIO()
    document.save(buffer)
    chunks = chunk_document(parse_bytes(buffer.getvalue(), "안내.docx"))
    assert [(chunk.heading, chunk.ocr_picture) for chunk in chunks] == [
        ("1. 민원 전화 안내", False), ("2. 와이파이 고장 공지", True)]
    assert "ocr_picture" not in chunks[0].to_metadata()


def test_with_ocr_off_a_picture_is_not_read_and_one_warning_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("OCR ran while it is off")

    monkeypatch.setattr(ocr, "read_image", refuse)
    other = _png(text_page(NOTICE, dpi=200).crop((0, 0, 1654, 700)))  # Word stores a picture pasted twice once
    document = parse_bytes(_docx(_notice_png(), other), "공지.docx",
                           ParseLimits(ocr=OcrOptions(enabled=False)))
    assert [block.text for block in document.blocks] == [BEFORE, AFTER]
    assert document.warnings == ["문서 속 그림 2개의 글자를 읽지 않았습니다 — OCR이 꺼져 있습니다 "
                                 "(DEPTBOT_OCR__ENABLED=false)"]


def test_documents_without_pictures_of_text_never_reach_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("OCR was asked about a document without pictures worth reading")

    monkeypatch.setattr(ocr, "read_image", refuse)
    monkeypatch.setattr(ocr, "unavailable", refuse)
    logo = _png(Image.effect_noise((120, 60), 80).convert("RGB"))  # a logo: too small to hold a page of text
    assert len(logo) > 3 * 1024  # so that it is its size in pixels that keeps it out
    for data, name in ((_docx(), "글.docx"), (_docx(logo), "로고.docx")):
        document = parse_bytes(data, name)
        assert [block.text for block in document.blocks] == [BEFORE, AFTER]
        assert document.warnings == []


def test_a_picture_that_fails_is_a_warning_naming_it_and_the_others_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def flaky(image: Image.Image, options: OcrOptions) -> str:
        calls.append(image.width)
        if len(calls) == 1:
            raise RuntimeError("Tesseract process timeout")
        return "둘째 그림의 글자를 읽었습니다"

    monkeypatch.setattr(ocr, "unavailable", lambda options, renderer=True: "")
    monkeypatch.setattr(ocr, "read_image", flaky)
    second = _png(Image.effect_noise((800, 400), 60))  # any picture big enough: what it shows is faked here
    document = parse_bytes(_docx(_notice_png(), second), "공지.docx", ParseLimits(ocr=OcrOptions(timeout=5)))
    assert _recognised(document) == "둘째 그림의 글자를 읽었습니다"
    assert document.warnings == ["OCR로 읽은 그림 1개 (원문과 대조해 확인하세요): image2.png",
                                 "OCR로 읽지 못한 그림 1개: image1.png(시간 초과) — 한도 조정은 관리자에게: "
                                 "DEPTBOT_OCR__TIMEOUT (5초)"]


def test_pictures_past_the_bound_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "unavailable", lambda options, renderer=True: "")
    monkeypatch.setattr(ocr, "read_image", lambda image, options: f"그림 {image.width}픽셀 너비의 공지 글자")
    pictures = [_png(Image.effect_noise((400 + n, 300), 60)) for n in range(3)]
    document = parse_bytes(_docx(*pictures), "공지.docx", ParseLimits(ocr=OcrOptions(max_pages=2)))
    assert _recognised(document).splitlines() == ["그림 400픽셀 너비의 공지 글자", "그림 401픽셀 너비의 공지 글자"]
    assert "OCR은 파일마다 그림 2개까지만 읽습니다: 1개 그림은 읽지 않았습니다 (DEPTBOT_OCR__MAX_PAGES)" in \
        document.warnings
