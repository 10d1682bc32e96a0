"""OCR of pictures in binary HWP files (HWP 5.0): a scanned notice pasted into a 한글 document is read where it is
anchored, or after the table whose cell holds it; pictures the document only links to, or whose stream is
missing or damaged, cost their text and never the document's. The files are written here (tests/support/hwp_file.py)
with the picture printed from Korean type."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from connectors.chunking import chunk_document
from connectors.document import Document
from connectors.parsers import ParseLimits, ocr, parse_bytes
from connectors.parsers.ocr import OcrOptions
from tests.support.hwp_file import BinItem, HwpFile, paragraph, picture, table
from tests.support.scans import NOTICE, cer, needs_tesseract, text_page

BEFORE = "정보통신과는 시내 공공 와이파이와 민원 전화를 맡습니다. 아래는 게시판에 붙인 공지를 스캔한 것입니다."
AFTER = "공지의 내용이 바뀌면 담당자가 다시 스캔하여 올립니다."
READ = "OCR로 읽은 그림 1개 (원문과 대조해 확인하세요): BIN0001.png"


def _notice_png() -> bytes:
    """The top of a printed A4 notice, as a scan pasted into a document (1654 x 900 px)."""
    buffer = io.BytesIO()
    text_page(NOTICE, dpi=200).crop((0, 0, 1654, 900)).save(buffer, "PNG")
    return buffer.getvalue()


def _with_picture(*items: BinItem, compressed: bool = True, item: int = 1) -> bytes:
    """Text, a paragraph anchoring a picture of BinItem `item`, text."""
    section = (paragraph(BEFORE) + paragraph("", controls=[picture(item, 0)]) + paragraph(AFTER))
    return HwpFile(section, list(items), compressed=compressed).build()


def _recognised(document: Document) -> str:
    return "\n".join(block.text for block in document.blocks if block.ocr)


def _no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("OCR ran on a picture that should not be read")

    monkeypatch.setattr(ocr, "read_image", refuse)


@needs_tesseract
@pytest.mark.parametrize("compressed", [True, False], ids=["compressed", "stored"])
def test_a_picture_of_text_is_read_where_it_sits_and_marked(compressed: bool) -> None:
    document = parse_bytes(_with_picture(BinItem(_notice_png()), compressed=compressed), "공지.hwp")
    texts = [block.text for block in document.blocks]
    assert texts[0] == BEFORE and texts[-1] == AFTER, texts  # the picture's lines sit between, where it was
    assert cer("".join(NOTICE), _recognised(document)) < 0.05, _recognised(document)
    assert not any(block.ocr for block in document.blocks if block.text in (BEFORE, AFTER))
    assert document.warnings == [READ]
    chunks = chunk_document(document)
    assert [chunk.ocr_picture for chunk in chunks if "유지보수 담당" in chunk.text] == [True]


@needs_tesseract
def test_a_picture_in_a_table_cell_is_read_after_its_table() -> None:
    cell = [paragraph("고장 공지", 2), paragraph("", 2, controls=[picture(1, 2)])]
    section = (paragraph(BEFORE) + paragraph("", controls=[table([[paragraph("구분", 2)], cell], 0)])
               + paragraph(AFTER))
    document = parse_bytes(HwpFile(section, [BinItem(_notice_png())]).build(), "현황.hwp")
    texts = [block.text for block in document.blocks]
    assert texts[1] == "구분 | 고장 공지", texts  # the cell's own text, with no trace of its picture
    assert texts[0] == BEFORE and texts[-1] == AFTER
    assert cer("".join(NOTICE), "".join(texts[2:-1])) < 0.05, texts
    assert all(block.ocr for block in document.blocks[2:-1])
    assert document.warnings == [READ]


@needs_tesseract
@pytest.mark.parametrize(("compressed", "packing"), [(True, 2), (False, 1)],
                         ids=["stored-in-compressed", "compressed-in-stored"])
def test_a_picture_packed_unlike_its_document_is_read(compressed: bool, packing: int) -> None:
    data = _with_picture(BinItem(_notice_png(), packing=packing), compressed=compressed)
    assert "유지보수 담당" in _recognised(parse_bytes(data, "공지.hwp"))


@pytest.mark.parametrize("item", [
    BinItem(b"", linked=True),  # a link to a picture outside the file: nothing to read
    BinItem(b"", stream=b"\x00" * 10),  # ten zero bytes where the compressed picture should be
], ids=["linked", "damaged"])
def test_a_picture_that_cannot_be_had_costs_only_its_text(monkeypatch: pytest.MonkeyPatch, item: BinItem) -> None:
    _no_ocr(monkeypatch)
    document = parse_bytes(_with_picture(item), "공지.hwp")
    assert [block.text for block in document.blocks] == [BEFORE, AFTER]
    assert document.warnings == []


def test_a_picture_whose_item_or_stream_is_missing_costs_only_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_ocr(monkeypatch)
    png = _notice_png()
    for data in (_with_picture(BinItem(png), item=7),  # the drawing names an item DocInfo does not have
                 _with_picture(BinItem(png), item=0)):
        document = parse_bytes(data, "공지.hwp")
        assert [block.text for block in document.blocks] == [BEFORE, AFTER]


def test_a_truncated_or_bomb_picture_is_not_read_and_the_document_is(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_ocr(monkeypatch)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(_notice_png()) + packer.flush()
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    huge = bomb.compress(b"\x00" * (64 * 1024 * 1024)) + bomb.flush()  # 64 MB of nothing, in 64 KB
    for stream in (packed[: len(packed) // 2], huge):
        document = parse_bytes(_with_picture(BinItem(b"", stream=stream)), "공지.hwp",
                               ParseLimits(max_unpacked_bytes=16 * 1024 * 1024))
        assert [block.text for block in document.blocks] == [BEFORE, AFTER]
        assert document.warnings == []


def test_with_ocr_off_a_picture_is_not_read_and_one_warning_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_ocr(monkeypatch)
    document = parse_bytes(_with_picture(BinItem(_notice_png())), "공지.hwp",
                           ParseLimits(ocr=OcrOptions(enabled=False)))
    assert [block.text for block in document.blocks] == [BEFORE, AFTER]
    assert document.warnings == ["문서 속 그림 1개의 글자를 읽지 않았습니다 — OCR이 꺼져 있습니다 "
                                 "(DEPTBOT_OCR__ENABLED=false)"]


def test_a_photo_is_not_read_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(ocr, "unavailable", lambda options, renderer=True: "")

    def read(image: Image.Image, options: OcrOptions) -> str:
        calls.append(image.width)
        return "ㅣ ,"

    monkeypatch.setattr(ocr, "read_image", read)
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 60).convert("RGB").save(buffer, "JPEG")
    document = parse_bytes(_with_picture(BinItem(buffer.getvalue(), ext="jpg")), "사진.hwp")
    assert calls == [640]  # it was looked at, and the few stray marks a photo gives were not kept as text
    assert [block.text for block in document.blocks] == [BEFORE, AFTER]
    assert document.warnings == []
