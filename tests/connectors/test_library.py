"""Uploads into a department's folder: safe names, type by content, size limits, and indexing per file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.errors import ConnectorError, FileTooLargeError, UnsafeFileNameError, UnsupportedFormatError
from connectors.library import add_documents, document_path, remove_document, safe_name, save_upload
from connectors.parsers import ParseLimits
from tests.conftest import sample
from ui.wiring import Services


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/복무규정.pdf", "복무규정.pdf"),
    ("C:\\Users\\lead\\여권 매뉴얼.HWPX", "여권 매뉴얼.hwpx"),
    (".숨김.txt", "숨김.txt"),
    ("a<b>c|d?.md", "a_b_c_d_.md"),
    ("탭\t문자.docx", "탭_문자.docx"),
    (".pdf", "문서.pdf"),
])
def test_upload_names_are_made_safe(given: str, kept: str) -> None:
    assert safe_name(given) == kept


def test_a_long_name_is_cut_but_keeps_its_extension() -> None:
    name = safe_name("가" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 180 and name.startswith("가가")


@pytest.mark.parametrize("name", ["setup.exe", "사진.jpg", "noextension"])
def test_a_format_we_do_not_read_is_refused_by_name(name: str) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        safe_name(name)
    assert "PDF, HWP, HWPX" in caught.value.message


def test_content_decides_and_must_agree_with_the_name(tmp_path: Path) -> None:
    pdf = sample("민원여권과", ".pdf")
    folder = tmp_path / "docs"
    with pytest.raises(UnsupportedFormatError) as caught:
        save_upload(folder, "조례.hwp", pdf, ParseLimits())
    assert "HWP인데 내용은 PDF" in caught.value.message
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UnsupportedFormatError):
        save_upload(folder, "x.txt", binary, ParseLimits())
    assert not folder.exists() or not any(folder.iterdir()), "a refused upload leaves nothing behind"
    assert save_upload(folder, "../조례.pdf", pdf, ParseLimits()) == "조례.pdf"
    assert (folder / "조례.pdf").read_bytes() == pdf.read_bytes()
    assert [p.name for p in folder.iterdir()] == ["조례.pdf"], "no temporary file is left"


def test_size_limit_and_empty_file(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("가" * 2000, encoding="utf-8")
    with pytest.raises(FileTooLargeError):
        save_upload(tmp_path / "docs", "big.txt", big, ParseLimits(max_file_bytes=1000))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ConnectorError, match="빈 파일"):
        save_upload(tmp_path / "docs", "empty.txt", empty, ParseLimits())


def test_document_path_stays_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("비밀", encoding="utf-8")
    (folder / "a.txt").write_text("공개", encoding="utf-8")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert document_path(folder, "a.txt").read_text(encoding="utf-8") == "공개"
    for bad in ("../secret.txt", "link.txt", "/etc/passwd"):
        with pytest.raises(UnsafeFileNameError):
            document_path(folder, bad)
    with pytest.raises(ConnectorError, match="없습니다"):
        document_path(folder, "missing.txt")
    remove_document(folder, "a.txt")
    assert not (folder / "a.txt").exists()


def test_add_documents_reports_each_upload_in_order(services: Services, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    manual = shutil.copy(sample("민원여권과", ".txt"), uploads / "manual.txt")
    fake = uploads / "fake.pdf"
    fake.write_text("PDF가 아닌 글자", encoding="utf-8")
    ordinance = sample("총무과", ".pdf")
    folder = services.settings.data_dir / "documents" / "ops"
    seen: list[str] = []
    results = add_documents(services.reindexer, folder, "총무과",
                            [("무인민원 안내.txt", Path(manual)), ("fake.pdf", fake), (ordinance.name, ordinance)],
                            progress=lambda done, total, file: seen.append(file))
    assert [r.file for r in results] == ["무인민원 안내.txt", "fake.pdf", ordinance.name]
    assert [r.status for r in results] == ["indexed", "failed", "indexed"]
    assert "TXT" in results[1].error and "PDF" in results[1].error
    assert results[0].chunks > 0 and results[2].pages > 0
    assert sorted(seen) == sorted(["무인민원 안내.txt", ordinance.name])
    index = services.store.open("총무과", services.embedder)
    assert index.folder == str(folder.resolve())
    assert set(index.file_records()) == {"무인민원 안내.txt", ordinance.name}
    again = add_documents(services.reindexer, folder, "총무과", [("무인민원 안내.txt", Path(manual))])
    assert again[0].status == "unchanged", "the same file again is said to be the same, not indexed again"
    assert (again[0].chunks, again[0].pages) == (results[0].chunks, results[0].pages)
    changed = uploads / "changed.txt"
    changed.write_text(Path(manual).read_text(encoding="utf-8") + "\n덧붙인 문단입니다.", encoding="utf-8")
    newer = add_documents(services.reindexer, folder, "총무과", [("무인민원 안내.txt", changed)])
    assert newer[0].status == "indexed", "the same name with other content is indexed"
