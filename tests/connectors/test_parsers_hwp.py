"""HWP and HWPX parsers on real files from ../shared/fixtures (skipped, saying why, when it is absent)."""

from __future__ import annotations

import contextlib
import io
import random
import re
import time
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from connectors.document import Block, Document
from connectors.errors import EncryptedDocumentError, FileTooLargeError, ParseError
from connectors.parsers.base import ParseLimits, Parser
from connectors.parsers.hwp import parse_hwp
from connectors.parsers.hwpx import parse_hwpx
from connectors.parsers.ocr import OcrOptions

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"
# OCR off: these tests are about structure, and the donation form's 25 charts would add seconds of OCR to each
# parse (pictures read by OCR: tests/connectors/test_ocr_pictures.py).
LIMITS = ParseLimits(ocr=OcrOptions(enabled=False))
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

HWP_FILES = [
    "footnote-endnote.hwp", "headerfooter.hwp", "lists.hwp", "multicolumns.hwp", "paragraph-split-page.hwp",
    "sample-5017.hwp", "table-caption.hwp", "table.hwp", "textbox.hwp",
]
HWPX_FILES = [
    "error__20240626__no_manifest.hwpx", "gov_donation_report_form.hwpx", "public_official_table.hwpx",
    "reader_writer__HeaderFooter.hwpx", "reader_writer__MultiColumn.hwpx", "reader_writer__SimpleTable.hwpx",
    "tool__textextractor__Table.hwpx", "tool__textextractor__multipara.hwpx",
]


def fixture_bytes(name: str) -> bytes:
    """The bytes of hwp/<name> or hwpx/<name>; skips the test when the shared fixtures are not there."""
    if not FIXTURES.is_dir():
        pytest.skip(f"../shared/fixtures is absent: {FIXTURES} not found (the real HWP/HWPX test files)")
    folder = "hwpx" if name.endswith(".hwpx") else "hwp"
    return (FIXTURES / folder / name).read_bytes()


def parse(name: str) -> Document:
    """Parse a fixture with the parser its extension names."""
    parser = parse_hwpx if name.endswith(".hwpx") else parse_hwp
    return parser(fixture_bytes(name), name, LIMITS)


def texts(doc: Document, kind: str | None = None) -> list[str]:
    """Block texts, optionally only one kind."""
    return [b.text for b in doc.blocks if kind is None or b.kind == kind]


def tables(doc: Document) -> list[Block]:
    """The table blocks of a document."""
    return [b for b in doc.blocks if b.kind == "table"]


def rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """A copy of an HWPX package in memory with members replaced (bytes) or removed (None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                new = replace[info.filename]
                if new is not None:
                    dst.writestr(info.filename, new)
            else:
                dst.writestr(info, src.read(info.filename))
        for name, new in replace.items():
            if new is not None and name not in src.namelist():
                dst.writestr(name, new)
    return out.getvalue()


def section0(data: bytes) -> str:
    """Contents/section0.xml of an HWPX package as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("Contents/section0.xml").decode("utf-8")


# --- HWPX ---------------------------------------------------------------------------------------------------


def test_hwpx_without_manifest_is_still_read_in_section_order() -> None:
    doc = parse("error__20240626__no_manifest.hwpx")
    assert doc.format == "hwpx"
    assert doc.title == "입 법 예 고"
    text = doc.text
    assert "울산광역시 남구 구세 조례 일부개정조례안" in text
    assert "이 조례는 공포한 날부터 시행한다." in text  # end of section0
    # section1 (the comparison table) comes after section0.
    assert text.index("이 조례는 공포한 날부터 시행한다.") < text.index("신ㆍ구조문대비표")
    (table,) = tables(doc)
    assert table.rows is not None
    assert table.rows[:2] == [["현 행", "개 정 안"], ["제1절 재산분", "제1절 사업소분"]]


def test_hwpx_sections_found_by_name_when_content_hpf_is_missing() -> None:
    data = fixture_bytes("error__20240626__no_manifest.hwpx")
    original = parse_hwpx(data, "a.hwpx", LIMITS)
    stripped = parse_hwpx(rezip(data, {"Contents/content.hpf": None}), "a.hwpx", LIMITS)
    assert texts(stripped) == texts(original)


def test_hwpx_table_cells_once_in_reading_order() -> None:
    doc = parse("tool__textextractor__Table.hwpx")
    assert texts(doc)[:2] == ["C반 기말고사", "날짜"]  # text box and click-here field, before the table
    (table,) = tables(doc)
    assert table.rows == [
        ["이름", "국어", "영어", "수학"],
        ["개똥이", "89", "65", "78"],
        ["칠득이", "77", "77", "77"],
        ["팔푼이", "88", "88", "88"],
        ["육손이", "66", "66", "66"],
        ["합계", "", "", ""],
    ]
    # Cell paragraphs are not repeated as body paragraphs.
    assert "개똥이" not in texts(doc, "paragraph")
    assert doc.text.count("개똥이") == 1


def test_hwpx_merged_cells_keep_grid_positions() -> None:
    doc = parse("reader_writer__SimpleTable.hwpx")
    (table,) = tables(doc)
    # "1" spans 2x2, "4" spans two columns; each text once, row by row.
    assert table.rows == [["1", "", "2"], ["", "", "3"], ["5", "4", ""]]
    assert re.findall(r"\d", table.text) == ["1", "2", "3", "5", "4"]


def test_hwpx_press_release_tables_and_paragraphs() -> None:
    doc = parse("public_official_table.hwpx")
    date_table = next(t for t in tables(doc) if "보도시점" in t.text)
    assert date_table.rows == [
        ["보도시점", "(온라인) 2025. 12. 2.(화) 16:00"],
        ["", "(지 면) 2025. 12. 3.(수) 조간"],
    ]
    assert doc.text.count("보도시점") == 1
    assert doc.text.count("국민 주도 참여‧소통 거버넌스 구현") == 1  # nested table cell, once
    body = texts(doc, "paragraph")
    assert any(t.startswith("□ 행정안전부(장관 윤호중)는") for t in body)
    # Reading order: the headline table comes before the first body paragraph.
    assert doc.text.index("정부혁신 청사진 공개") < doc.text.index("□ 행정안전부(장관 윤호중)는")


def test_hwpx_header_and_footer_are_not_body_text() -> None:
    doc = parse("reader_writer__HeaderFooter.hwpx")
    assert "머리말 테스트" not in doc.text
    assert "꼬리말" not in doc.text
    assert doc.blocks == []
    assert doc.warnings  # the user learns why nothing was indexed


def test_hwpx_multicolumn_text_in_order() -> None:
    doc = parse("reader_writer__MultiColumn.hwpx")
    assert texts(doc) == ["1", "2", "3", "4", "5", "7", "8", "9", "10"] * 14


def test_hwpx_multiple_paragraphs() -> None:
    doc = parse("tool__textextractor__multipara.hwpx")
    body = texts(doc)
    assert len(body) == 9
    assert body[0] == "'어썸킴' 김하성(27·샌디에이고 파드리스)이 시원한 3점홈런을 폭발했다."
    assert body[-1].startswith("한편 샌디에이고는 8-3으로 승리하면서")


def test_hwpx_big_government_form_parses_quickly() -> None:
    data = fixture_bytes("gov_donation_report_form.hwpx")
    start = time.perf_counter()
    doc = parse_hwpx(data, "gov_donation_report_form.hwpx", LIMITS)
    assert time.perf_counter() - start < 10
    assert doc.title == "지자체명"
    assert "(13) 기부자 거주 개별 자치단체(광역 및 기초) 순위 TOP 10" in texts(doc)
    assert "대외주의" not in doc.text  # page header
    ranking = next(t for t in tables(doc) if "충청남도 도청" in t.text)
    assert ranking.rows is not None
    assert ranking.rows[1][:2] == ["1", "충청남도 도청"]
    assert doc.text.count("충청남도 도청") == 1


def test_hwpx_outline_style_and_outline_shape_become_headings() -> None:
    data = fixture_bytes("tool__textextractor__multipara.hwpx")
    root = etree.fromstring(section0(data).encode())
    with_text = [p for p in root if p.tag.endswith("}p") and "".join(p.itertext()).strip()]
    with_text[0].set("styleIDRef", "2")  # style 2 is "개요 1"
    with_text[1].set("paraPrIDRef", "9")  # paragraph shape 9 carries outline numbering, level index 1
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    doc = parse_hwpx(rezip(data, {"Contents/section0.xml": xml}), "h.hwpx", LIMITS)
    assert [(b.kind, b.level) for b in doc.blocks[:3]] == [("heading", 1), ("heading", 2), ("paragraph", 0)]


def test_hwpx_footnote_follows_its_paragraph() -> None:
    data = fixture_bytes("tool__textextractor__multipara.hwpx")
    note = ('<hp:ctrl><hp:footNote number="1"><hp:subList><hp:p><hp:run><hp:ctrl>'
            '<hp:autoNum num="1" numType="FOOTNOTE"/></hp:ctrl><hp:t> 각주 본문입니다.</hp:t></hp:run></hp:p>'
            '</hp:subList></hp:footNote></hp:ctrl>')
    xml = section0(data)
    end = xml.index("</hp:t>") + len("</hp:t>")
    xml = xml[:end] + note + xml[end:]
    doc = parse_hwpx(rezip(data, {"Contents/section0.xml": xml.encode()}), "n.hwpx", LIMITS)
    assert texts(doc)[1] == "1) 각주 본문입니다."
    assert texts(doc)[0].startswith("'어썸킴' 김하성")


def test_hwpx_encrypted_manifest_raises_naming_the_file() -> None:
    data = fixture_bytes("reader_writer__SimpleTable.hwpx")
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><odf:manifest '
                b'xmlns:odf="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><odf:file-entry '
                b'odf:full-path="Contents/section0.xml"><odf:encryption-data/></odf:file-entry></odf:manifest>')
    with pytest.raises(EncryptedDocumentError) as err:
        parse_hwpx(rezip(data, {"META-INF/manifest.xml": manifest}), "비밀문서.hwpx", LIMITS)
    assert "비밀문서.hwpx" in str(err.value)
    assert "암호" in str(err.value)


def test_hwpx_section_that_is_not_xml_is_reported_as_encrypted() -> None:
    data = fixture_bytes("reader_writer__SimpleTable.hwpx")
    garbage = random.Random(7).randbytes(4000)
    with pytest.raises(EncryptedDocumentError, match=r"drm\.hwpx"):
        parse_hwpx(rezip(data, {"Contents/section0.xml": garbage}), "drm.hwpx", LIMITS)


def test_hwpx_without_sections_raises_parse_error() -> None:
    data = fixture_bytes("reader_writer__SimpleTable.hwpx")
    with pytest.raises(ParseError, match="section"):
        parse_hwpx(rezip(data, {"Contents/section0.xml": None}), "empty.hwpx", LIMITS)


# --- HWP ----------------------------------------------------------------------------------------------------


def test_hwp_password_raises_encrypted_error_naming_the_file() -> None:
    with pytest.raises(EncryptedDocumentError) as err:
        parse_hwp(fixture_bytes("password-12345.hwp"), "password-12345.hwp", LIMITS)
    message = str(err.value)
    assert "password-12345.hwp" in message
    assert "암호가 걸린 HWP 문서입니다" in message
    assert "암호를 해제하고 다시 저장" in message


def test_hwp_footnotes_and_endnotes_follow_their_paragraph() -> None:
    doc = parse("footnote-endnote.hwp")
    assert texts(doc) == ["각주참조", "1) 각주입니다.", "2) 각주 두 번째입니다.",
                          "미주참조", "1) 미주입니다.", "2) 미주 두 번째입니다."]


def test_hwp_header_and_footer_are_skipped() -> None:
    doc = parse("headerfooter.hwp")
    assert texts(doc) == ["첫 페이지"]
    assert "머리말" not in doc.text
    assert "꼬리말" not in doc.text


def test_hwp_tables_cells_once_in_reading_order() -> None:
    doc = parse("sample-5017.hwp")
    assert doc.title == "한글 2005 예제 파일입니다."
    body = texts(doc)
    # "표 [table] 표끝 [table2]" is one paragraph in the file; text and tables keep their order.
    start = body.index("표")
    assert body[start + 2] == "표끝"
    first, second = doc.blocks[start + 1], doc.blocks[start + 3]
    assert first.kind == "table" and first.rows == [["A0", "B0"], ["A1", "B10 B11"]]
    assert second.kind == "table" and second.rows == [["table2"]]
    for cell in ("A0", "B0", "A1", "B10", "B11", "table2"):
        assert doc.text.count(cell) == 1, cell
    assert "본문 내용입니다." in doc.text
    assert body.index("다음 문단") > start


def test_hwp_table_captions_with_their_numbers() -> None:
    doc = parse("table-caption.hwp")
    captions = [t for t in texts(doc) if t.startswith("표 ")]
    assert captions == ["표 1 위 캡션", "표 2 아래 캡션", "표 3 왼쪽", "표 4 오른쪽", "표 5 왼쪽 위",
                        "표 6 오른쪽 아래", "표 7 여백까지 확대", "표 8 한 줄로 입력"]


def test_hwp_empty_table_gives_warning_not_error() -> None:
    doc = parse("table.hwp")
    assert doc.blocks == []
    assert doc.warnings


def test_hwp_text_box_and_picture_caption() -> None:
    assert texts(parse("textbox.hwp")) == ["그림 1 캡션", "글상자"]


def test_hwp_outline_paragraphs_are_headings() -> None:
    doc = parse("lists.hwp")
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings[:10] == [("1", 1), ("2", 1), ("2-1", 2), ("3", 1), ("3-1", 2), ("3-2", 2),
                             ("3-2-1", 3), ("3-2-2", 3), ("3-2-3", 3), ("4", 1)]
    assert "문단번호" in texts(doc, "paragraph")  # numbered lists are not headings
    assert "개요 두 번째 (번호 이어짐)" in texts(doc, "paragraph")


def test_hwp_multicolumn_and_page_break_text() -> None:
    assert texts(parse("paragraph-split-page.hwp")) == ["가나다", "라마바", "new page"]
    columns = parse("multicolumns.hwp")
    assert columns.text.startswith("다단 다단")
    assert columns.text.count("다단") > 500


# --- damaged and hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HWP_FILES + HWPX_FILES + ["password-12345.hwp"])
def test_truncated_file_raises_parse_error(name: str) -> None:
    data = fixture_bytes(name)
    parser = parse_hwpx if name.endswith(".hwpx") else parse_hwp
    with pytest.raises(ParseError) as err:
        parser(data[: len(data) // 2], name, LIMITS)
    assert name in str(err.value)


@pytest.mark.parametrize("prefix", [b"", OLE_MAGIC, b"PK\x03\x04", b"HWP Document File"])
@pytest.mark.parametrize("parser", [parse_hwp, parse_hwpx])
def test_random_bytes_raise_parse_error(prefix: bytes, parser: Parser) -> None:
    rng = random.Random(len(prefix))
    for size in (0, 10, 600, 5000):
        data = prefix + rng.randbytes(size)
        with pytest.raises(ParseError):
            parser(data, "random.bin", LIMITS)


def test_bit_flipped_fixtures_raise_only_parse_errors() -> None:
    rng = random.Random(1)
    for name in ("sample-5017.hwp", "footnote-endnote.hwp", "tool__textextractor__Table.hwpx"):
        data = fixture_bytes(name)
        parser = parse_hwpx if name.endswith(".hwpx") else parse_hwp
        for _ in range(60):
            damaged = bytearray(data)
            for _ in range(rng.choice([1, 5, 40])):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            with contextlib.suppress(ParseError):  # any other exception type fails the test
                parser(bytes(damaged), name, LIMITS)


def test_wrong_container_is_explained() -> None:
    with pytest.raises(ParseError, match="HWPX"):
        parse_hwp(fixture_bytes("reader_writer__SimpleTable.hwpx"), "renamed.hwp", LIMITS)
    with pytest.raises(ParseError, match="HWP"):
        parse_hwpx(fixture_bytes("sample-5017.hwp"), "renamed.hwpx", LIMITS)


def test_limits_are_enforced() -> None:
    with pytest.raises(FileTooLargeError):
        parse_hwp(fixture_bytes("sample-5017.hwp"), "big.hwp", ParseLimits(max_file_bytes=1000))
    with pytest.raises(FileTooLargeError):
        parse_hwpx(fixture_bytes("public_official_table.hwpx"), "big.hwpx", ParseLimits(max_file_bytes=1000))
    # The HWP body is raw deflate: its unpacked size is checked while inflating.
    with pytest.raises(FileTooLargeError):
        parse_hwp(fixture_bytes("multicolumns.hwp"), "bomb.hwp", ParseLimits(max_unpacked_bytes=2000))
