"""Parsers for PDF, DOCX, TXT/MD and HTML, format detection, and bad input: every failure is a clear error."""

from __future__ import annotations

import contextlib
import io
import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from connectors.chunking import chunk_document, document_title
from connectors.errors import (
    EncryptedDocumentError,
    FileTooLargeError,
    ParseError,
    UnsafeFileNameError,
    UnsupportedFormatError,
)
from connectors.parsers import ParseLimits, parse_bytes
from connectors.parsers.detect import detect_format
from tests.conftest import sample, shared_path
from tests.support import hostile
from tests.support.pdfs import korean_pdf


def test_pdf_pages_kept_and_running_header_and_footer_removed() -> None:
    path = sample("민원여권과", ".pdf")
    document = parse_bytes(path.read_bytes(), path.name)
    assert document.format == "pdf" and document.pages == 7
    assert document.title == "한빛시 민원 처리에 관한 조례"
    texts = [b.text for b in document.blocks]
    # The footer "한빛시 자치법규 <n> 한빛시청" is on every page of the source; none of it may survive.
    assert not [t for t in texts if "자치법규" in t or t == "한빛시청"]
    last_on_page = {b.page: b.text for b in document.blocks}
    assert not [page for page, text in last_on_page.items() if text == str(page)]
    # The running header (the law's name) is gone from pages 2.., but the title on page 1 stays once.
    assert texts.count("한빛시 민원 처리에 관한 조례") == 1
    assert {b.page for b in document.blocks} == set(range(1, 8))


def test_encrypted_pdf_with_a_password_is_refused_clearly() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret-pw")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(EncryptedDocumentError) as caught:
        parse_bytes(buffer.getvalue(), "잠긴문서.pdf")
    assert caught.value.message.startswith("잠긴문서.pdf: 암호가 걸린 PDF")


def test_pdf_encrypted_with_an_empty_password_is_read() -> None:
    source = pypdf.PdfReader(sample("총무과", ".pdf"))
    writer = pypdf.PdfWriter()
    writer.add_page(source.pages[0])
    writer.encrypt(user_password="", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    document = parse_bytes(buffer.getvalue(), "열람제한.pdf")
    assert "복무" in document.text


def test_pages_without_text_layer_are_counted_and_reported() -> None:
    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    document = parse_bytes(buffer.getvalue(), "스캔본.pdf")
    assert document.blocks == []
    assert document.warnings == ["텍스트 레이어가 없는 쪽 3개 (스캔 문서?): 1, 2, 3쪽"]


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_pdf_is_a_parse_error_naming_the_file(cut: float) -> None:
    data = sample("회계과", ".pdf").read_bytes()
    with pytest.raises(ParseError) as caught:
        parse_bytes(data[: int(len(data) * cut)], "잘린파일.pdf")
    assert caught.value.file == "잘린파일.pdf"


def test_docx_heading_styles_become_headings_and_tables_are_kept() -> None:
    path = sample("정보보호담당관", ".docx")
    document = parse_bytes(path.read_bytes(), path.name)
    headings = [b for b in document.blocks if b.kind == "heading"]
    assert document.title == "개인정보 유출 사고 대응 및 영상정보처리기기 운영 매뉴얼"
    assert {b.level for b in headings} >= {1, 2}
    tables = [b for b in document.blocks if b.kind == "table"]
    assert len(tables) == 5
    assert all(b.rows and len(b.rows) >= 2 for b in tables)


def test_cp949_text_is_decoded_without_mojibake() -> None:
    path = sample("총무과", ".txt")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    document = parse_bytes(raw, path.name)
    assert "당직" in document.text and "\ufffd" not in document.text
    assert document.warnings == ["CP949 인코딩으로 읽었습니다"]


def test_euc_kr_and_utf8_bom_text() -> None:
    text = "제1조(목적) 이 규칙은 민원 처리 기한을 정한다."
    assert parse_bytes(text.encode("euc-kr"), "a.txt").text == text
    assert parse_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"), "b.txt").text == text


def test_markdown_headings_and_tables() -> None:
    path = sample("정보보호담당관", ".md")
    document = parse_bytes(path.read_bytes(), path.name)
    assert document.format == "md"
    assert document.blocks[0].kind == "title"
    assert any(b.kind == "heading" for b in document.blocks)


def test_html_visible_text_with_headings_and_tables() -> None:
    page = """<!DOCTYPE html><html><head><title>민원 안내</title><style>p{color:red}</style>
    <script>var secret = "숨김";</script></head><body><h1>민원 안내</h1><p>접수는 <b>1층</b>에서 합니다.</p>
    <div hidden>보이지 않는 글</div><h2>처리기한</h2><table><tr><th>구분</th><th>기한</th></tr>
    <tr><td>여권</td><td>4일</td></tr></table></body></html>"""
    document = parse_bytes(page.encode("utf-8"), "안내.html")
    assert document.title == "민원 안내"
    assert [(b.kind, b.level) for b in document.blocks if b.kind == "heading"] == [("heading", 1), ("heading", 2)]
    assert "접수는 1층 에서 합니다." in document.text or "접수는 1층에서 합니다." in document.text
    assert "숨김" not in document.text and "보이지 않는" not in document.text and "color" not in document.text
    assert [b.rows for b in document.blocks if b.kind == "table"] == [[["구분", "기한"], ["여권", "4일"]]]


def test_format_is_decided_by_content_and_a_lying_extension_is_reported() -> None:
    pdf = sample("총무과", ".pdf").read_bytes()
    document = parse_bytes(pdf, "복무조례.hwp")
    assert document.format == "pdf"
    assert document.warnings[0] == "확장자는 HWP인데 내용은 PDF 형식이라 PDF로 읽었습니다"


def test_zero_byte_file() -> None:
    with pytest.raises(ParseError, match="빈 파일"):
        parse_bytes(b"", "빈문서.docx")


def test_unknown_binary_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormatError):
        parse_bytes(bytes(range(256)) * 10, "그림.pdf")


def test_file_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(FileTooLargeError, match="한도"):
        parse_bytes(b"x" * 2048, "큰파일.txt", ParseLimits(max_file_bytes=1024))


def test_zip_bomb_docx_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(FileTooLargeError, match="압축 폭탄"):
        parse_bytes(buffer.getvalue(), "폭탄.docx")


@pytest.fixture(scope="module")
def inflating_hwpx() -> bytes:
    """A 2 MB HWPX whose `mimetype` member truly inflates to 2 GB of zeros."""
    return hostile.inflating_hwpx()


def _peak_growth_mb(action: Callable[[], object]) -> float:
    """How far the test process's peak RSS rose while `action` ran (the peak is reset first, where Linux can)."""
    with contextlib.suppress(OSError):  # without it the peak so far stays, and the check is only weaker
        Path("/proc/self/clear_refs").write_text("5")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    action()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def test_zip_whose_mimetype_inflates_to_2_gb_is_refused_before_any_member_is_read(inflating_hwpx: bytes) -> None:
    assert len(inflating_hwpx) < 3 * 1024 * 1024
    caught: list[FileTooLargeError] = []

    def detect() -> None:
        with pytest.raises(FileTooLargeError) as error:
            detect_format(inflating_hwpx, "폭탄.hwpx")
        caught.append(error.value)

    assert _peak_growth_mb(detect) < 100  # reading `mimetype` whole grew the process by 1.95 GB
    assert caught[0].message.startswith("폭탄.hwpx: 압축을 풀면 2048MB(압축률")
    assert "압축 폭탄 의심" in caught[0].message


def test_format_detection_reads_only_the_start_of_mimetype(inflating_hwpx: bytes) -> None:
    # Limits loose enough to let the archive through: detection must still inflate 64 bytes, not 2 GB.
    limits = ParseLimits(max_unpacked_bytes=4 << 30, max_compression_ratio=2000)
    found: list[str] = []
    assert _peak_growth_mb(lambda: found.append(detect_format(inflating_hwpx, "큰.hwpx", limits))) < 100
    assert found == ["hwpx"]


def test_detection_limits_come_from_parse_bytes() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/hwp+zip")
        archive.writestr("Contents/section0.xml", "<sec>" + "가" * 400_000 + "</sec>")
    with pytest.raises(FileTooLargeError, match="압축 폭탄"):
        parse_bytes(buffer.getvalue(), "작은한도.hwpx", ParseLimits(max_unpacked_bytes=1024 * 1024))


def test_corrupt_docx_is_a_parse_error() -> None:
    data = sample("총무과", ".docx").read_bytes()
    with pytest.raises(ParseError) as caught:
        parse_bytes(data[: len(data) // 2], "깨진.docx")
    assert caught.value.file == "깨진.docx"


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "/abs/path.txt", "a/../../b.txt"])
def test_path_traversal_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeFileNameError, match="상위 폴더"):
        parse_bytes(b"hello", name)


def test_control_characters_in_names_are_refused() -> None:
    with pytest.raises(UnsafeFileNameError, match="제어 문자"):
        parse_bytes(b"hello", "bad\x1bname.txt")


def test_real_pdfs_parse_and_korean_ones_read_as_korean() -> None:
    folder = shared_path("eval", "pdfs")
    for path in sorted(folder.glob("*/*.pdf")):
        document = parse_bytes(path.read_bytes(), path.name)
        assert document.pages and document.blocks, path.name
        if path.parent.name == "ko":
            hangul = sum("가" <= ch <= "힣" for ch in document.text)
            assert hangul > 500, path.name


_COVER = ["별첨", "지방은행의 시중은행 전환시", "인가방식 및 절차", "2024. 1.", "금융위원회"]
_BODY = ["1. 추진 배경", "지방은행이 시중은행으로 전환하려면 인가 내용의 변경 절차를 거친다."]


def test_a_pdf_opening_with_a_cover_word_is_titled_by_its_real_title() -> None:
    # The metadata holds only the file name (as converters write it): the title comes from the first page.
    document = parse_bytes(korean_pdf([_COVER, _BODY], title="가이드.pdf"), "가이드.pdf")
    assert document_title(document) == "지방은행의 시중은행 전환시 인가방식 및 절차"
    assert {c.title for c in chunk_document(document)} == {"지방은행의 시중은행 전환시 인가방식 및 절차"}


def test_a_pdf_title_is_its_largest_type_or_its_real_metadata_title() -> None:
    lines = ["별첨", "민원 처리 지침", "개정안", "(민원여권과)", *_BODY]
    pdf = korean_pdf([lines], sizes={"민원 처리 지침": 20.0, "개정안": 20.0})
    assert parse_bytes(pdf, "지침.pdf").title == "민원 처리 지침 개정안"
    titled = korean_pdf([lines], title="2025년 민원 처리 지침 개정안")
    assert parse_bytes(titled, "지침.pdf").title == "2025년 민원 처리 지침 개정안"


def test_a_first_page_slogan_gives_way_to_a_file_name_that_says_what_the_document_is() -> None:
    lines = ["다시 대한민국!", "새로운 국민의 나라", "1. 추진 현황", "상생금융 지원은 3월 말까지 2조원을 집행했다."]
    pdf = korean_pdf([lines], sizes={"다시 대한민국!": 24.0})
    # A name of Korean words that shares nothing with the slogan is the better title.
    assert parse_bytes(pdf, "상생금융 지원 추진현황 보고.pdf").title == "상생금융 지원 추진현황 보고"
    assert parse_bytes(pdf, "상생금융_지원_추진현황_보고.pdf").title == "상생금융 지원 추진현황 보고"
    # A coded name, or one sharing words with the title found, leaves the title found.
    assert parse_bytes(pdf, "보도자료_240320.pdf").title == "다시 대한민국!"
    assert parse_bytes(pdf, "다시 대한민국 홍보 자료.pdf").title == "다시 대한민국!"


def test_the_real_forum_booklet_is_titled_by_its_name_not_its_first_speaker() -> None:
    path = shared_path("eval", "corpus", "경제정책과", "한-호주 퇴직연금 포럼_책자(최종).pdf")
    assert parse_bytes(path.read_bytes(), path.name).title == "한-호주 퇴직연금 포럼 책자(최종)"


@pytest.mark.parametrize(("name", "title"), [
    ("국회_의안원문_2125318.pdf", "기후위기 대응을 위한 탄소중립ㆍ녹색성장 기본법 일부개정법률안"),
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", "환경노동위원회회의록"),
    ("제안요청서_생성형AI_구축_및_학습_용역.pdf", "제안요청서"),
])
def test_real_hwp_exports_are_titled_by_their_cover_title(name: str, title: str) -> None:
    path = shared_path("eval", "pdfs", "ko", name)
    assert parse_bytes(path.read_bytes(), name).title == title


def test_the_real_guide_opening_with_byeolcheom_is_titled_by_its_name() -> None:
    path = shared_path("eval", "corpus", "경제정책과", "지방은행 시중은행 전환 가이드.pdf")
    assert document_title(parse_bytes(path.read_bytes(), path.name)) == "지방은행의 시중은행 전환시 인가방식 및 절차"


@pytest.mark.parametrize(("name", "page", "spaced"), [
    ("국회_의안원문_2125318.pdf", 2, "심의ㆍ의결하며 이에 대한 법률 위반 문제가 제기되고 있음"),
    ("국회_의안원문_2125318.pdf", 1, "녹색성장위원회(이하 “탄소중립위원회”라 함)를 두도록 하고 있음."),
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", 2, "폐기물처리시설 설치촉진 및 주변지역지원 등에 관한 법률"),
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", 1, "대기환경보전법 일부개정법률안 (이주환 의원 대표발의)"),
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", 7, "에 대해서 유감의 뜻을 표합니다."),
    ("제안요청서_수정_230524.pdf", 23, "사업 수행 기간 동안다양한 이해관계자들의 요구사항을 최대한 반영하여"),
    # Shorter glued words take the spaces layout mode and Kiwi's spacing agree on.
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", 6, "4월총선 이후 첫 회의입니다."),
    ("국회회의록_21대_414회_1차_환경노동위원회.pdf", 13, "한 번씩"),
    ("제안요청서_수정_230524.pdf", 29, "수 있음"),
])
def test_words_a_hwp_export_spaces_by_narrow_gaps_are_not_glued(name: str, page: int, spaced: str) -> None:
    """HWP exports place every glyph alone; the spaces between words are gaps pypdf's plain reading dropped."""
    path = shared_path("eval", "pdfs", "ko", name)
    document = parse_bytes(path.read_bytes(), name)
    text = " ".join(block.text for block in document.blocks if block.page == page)
    assert spaced in text, text[:600]


def test_a_two_column_page_is_read_column_by_column_after_re_spacing() -> None:
    """The minutes are set in two columns: a speaker's sentence is not interleaved with the other column's."""
    name = "국회회의록_21대_414회_1차_환경노동위원회.pdf"
    path = shared_path("eval", "pdfs", "ko", name)
    lines = [block.text for block in parse_bytes(path.read_bytes(), name).blocks if block.page == 7]
    assert "위원장님 말씀 잘 들었습니다. 평상시 환경노동" in lines, lines[:10]


def test_statute_compounds_are_left_as_written() -> None:
    name = "건축법 시행령(대통령령)(제35811호)(20251001).pdf"
    path = shared_path("eval", "corpus", "건축과", name)
    text = parse_bytes(path.read_bytes(), name).text
    assert "인터넷컴퓨터게임시설제공업소" in text
    # An older law writes some words together; law.go.kr's pages keep them so, as quotes of the law must.
    name = "공직선거법(법률)(제21754호)(20260602).pdf"
    document = parse_bytes(shared_path("eval", "corpus", "법무담당관", name).read_bytes(), name)
    pages = {page: " ".join(b.text for b in document.blocks if b.page == page) for page in (3, 8)}
    assert "지체없이" in pages[3] and "선거일전" in pages[8]  # pages a glued run makes layout mode read


def test_when_layout_reading_fails_the_glued_page_keeps_its_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-spacing is a bonus: a page layout mode cannot read (a font it trips on) is read as before, not lost."""
    glued = "위원회가탄소중립기본계획을심의하며이에대한법률위반문제가제기되고있음."
    pdf = korean_pdf([["안내", glued, "다음 줄입니다."]])
    plain = pypdf.PageObject.extract_text

    def trips(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        if kwargs.get("extraction_mode") == "layout":
            raise ZeroDivisionError("float division by zero")
        return plain(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pypdf.PageObject, "extract_text", trips)
    document = parse_bytes(pdf, "안내.pdf")
    assert glued in [block.text for block in document.blocks]


def test_a_glued_pdf_reads_the_same_in_every_process() -> None:
    """Re-spacing must not depend on Python's per-process string hashing: the same file gives the same text (and
    so the same chunks) in every parsing worker. Seeds 0 and 1 gave two texts of the bill when words were
    replaced in set order, one inside another."""
    path = shared_path("eval", "pdfs", "ko", "국회_의안원문_2125318.pdf")
    code = ("import sys; from connectors.parsers import parse_bytes; "
            "sys.stdout.write(parse_bytes(open(sys.argv[1], 'rb').read(), 'bill.pdf').text)")
    root = Path(__file__).resolve().parents[2]
    texts = {subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                            cwd=root, env=os.environ | {"PYTHONHASHSEED": seed}, timeout=120).stdout
             for seed in ("0", "1", "2")}
    assert len(texts) == 1
    assert "는 대통령령으로 정하는 요건을 갖춘 전국적 규모의 단체" in texts.pop()
