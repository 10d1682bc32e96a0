"""Incremental re-indexing, bad input, and an interrupted run."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
import pytest

from connectors.ingest import ReindexReport
from tests.conftest import SAMPLES, chroma_env, make_services, sample, shared_path
from ui.wiring import Services


def statuses(report: ReindexReport) -> dict[str, str]:
    return {r.file: r.status for r in report.files}


def copy_department(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(SAMPLES / name, folder)
    return folder


def test_second_run_skips_unchanged_files(services: Services, tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "총무과")
    first = services.reindexer.reindex(folder, "총무과")
    assert set(statuses(first).values()) == {"indexed"} and first.totals()["chunks"] > 50
    second = services.reindexer.reindex(folder, "총무과")
    assert set(statuses(second).values()) == {"unchanged"}
    assert second.totals()["chunks"] == 0


def test_changed_file_replaces_its_chunks_and_removed_file_loses_them(services: Services, tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "민원여권과")
    services.reindexer.reindex(folder, "민원여권과")
    guide = next(folder.glob("*.txt"))
    guide.write_text("1. 안내\n무인민원발급기는 2026년부터 모두 32대로 늘어납니다.\n", encoding="utf-8")
    manual = next(folder.glob("*.hwpx"))
    manual.unlink()
    report = services.reindexer.reindex(folder, "민원여권과")
    assert statuses(report) == {guide.name: "indexed", manual.name: "removed",
                                next(folder.glob("*.pdf")).name: "unchanged"}
    index = services.store.open("민원여권과", services.embedder)
    new_text = "1. 안내\n무인민원발급기는 2026년부터 모두 32대로 늘어납니다."
    assert [c.text for c in index.chunks_of(guide.name)] == [new_text]
    assert index.chunks_of(manual.name) == []
    assert manual.name not in index.file_records()
    ids = index.chunks.get(include=[])["ids"]
    assert len(ids) == sum(r.chunks for r in index.file_records().values()), "no orphan chunks"


def test_a_newer_pipeline_replaces_every_chunk_of_an_unchanged_file(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """After an upgrade that chunks differently, the same files are re-indexed once and only the new chunks stay
    (the old ones, of the same file content, used to stay beside them and be found twice)."""
    folder = copy_department(tmp_path, "총무과")
    first = make_services(tmp_path / "data")
    with first.reindexer:
        first.reindexer.reindex(folder, "총무과")
    monkeypatch.setattr("connectors.ingest.PIPELINE_VERSION", "chunks-test-upgrade")
    upgraded = make_services(tmp_path / "data", chunking={"max_chars": 300, "overlap_chars": 0})
    with upgraded.reindexer:
        report = upgraded.reindexer.reindex(folder, "총무과")
    assert set(statuses(report).values()) == {"indexed"}
    index = upgraded.store.open("총무과", upgraded.embedder)
    ids = index.chunks.get(include=[])["ids"]
    assert len(ids) == report.totals()["chunks"] == sum(r.chunks for r in index.file_records().values())
    assert len(index.keyword_index().ids) == len(ids)


def test_dry_run_says_what_would_change_and_changes_nothing(services: Services, tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "회계과")
    planned = services.reindexer.reindex(folder, "회계과", dry_run=True)
    assert set(statuses(planned).values()) == {"indexed"} and planned.dry_run
    assert not services.store.exists("회계과")
    services.reindexer.reindex(folder, "회계과")
    (folder / "새 안내.txt").write_text("1. 새 안내\n내용입니다.\n", encoding="utf-8")
    planned = services.reindexer.reindex(folder, "회계과", dry_run=True)
    assert statuses(planned)["새 안내.txt"] == "indexed"
    assert "새 안내.txt" not in services.store.open("회계과", services.embedder).file_records()


def _bad_files(folder: Path) -> dict[str, str]:
    """Writes one file per kind of bad input; returns name -> a phrase its error must contain."""
    pdf = sample("총무과", ".pdf").read_bytes()
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("pw")
    locked = io.BytesIO()
    writer.write(locked)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    files = {
        "잘린 조례.pdf": (pdf[: len(pdf) // 3], "손상"),
        "빈 파일.docx": (b"", "빈 파일"),
        "암호 문서.pdf": (locked.getvalue(), "암호"),
        "압축 폭탄.docx": (bomb.getvalue(), "압축 폭탄"),
        "큰 파일.txt": ("가" * (1024 * 1024), "한도"),
        "이름\x07에 제어문자.txt": ("1. 내용\n본문", "제어 문자"),
    }
    for name, (content, _) in files.items():
        path = folder / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return {name: phrase for name, (_, phrase) in files.items()}


def test_each_bad_file_gets_one_clear_error_and_the_rest_is_indexed(tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "총무과")
    expected = _bad_files(folder)
    (folder / "확장자가 틀린 조례.hwp").write_bytes(sample("민원여권과", ".pdf").read_bytes())
    services = make_services(tmp_path / "data", max_file_mb=1)
    report = services.reindexer.reindex(folder, "총무과")
    results = {r.file: r for r in report.files}
    for name, phrase in expected.items():
        result = results[name]
        assert result.status == "failed", name
        assert phrase in result.error, (name, result.error)
        assert "\n" not in result.error
    lying = results["확장자가 틀린 조례.hwp"]
    assert lying.status == "indexed" and "내용은 PDF" in lying.warnings[0]
    good = [p.name for p in (SAMPLES / "총무과").iterdir()]
    assert all(results[name].status == "indexed" for name in good)


def test_password_protected_hwp_fails_clearly(tmp_path: Path) -> None:
    fixture = shared_path("fixtures", "hwp", "password-12345.hwp")
    folder = copy_department(tmp_path, "회계과")
    shutil.copy(fixture, folder / "암호.hwp")
    report = make_services(tmp_path / "data").reindexer.reindex(folder, "회계과")
    result = next(r for r in report.files if r.file == "암호.hwp")
    assert result.status == "failed" and "암호가 걸린 HWP" in result.error
    assert sum(r.status == "indexed" for r in report.files) == 3


def test_a_file_that_fails_on_reindex_keeps_its_previous_chunks(services: Services, tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "정보보호담당관")
    services.reindexer.reindex(folder, "정보보호담당관")
    docx = next(folder.glob("*.docx"))
    index = services.store.open("정보보호담당관", services.embedder)
    before = [c.id for c in index.chunks_of(docx.name)]
    docx.write_bytes(docx.read_bytes()[:2000])  # a half-copied upload
    report = services.reindexer.reindex(folder, "정보보호담당관")
    assert statuses(report)[docx.name] == "failed"
    assert [c.id for c in index.chunks_of(docx.name)] == before
    record = index.file_records()[docx.name]
    assert record.status == "failed" and docx.name in record.error and record.chunks == len(before)


def _reindex_command(folder: Path, data: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ui.cli", "reindex", str(folder), "--department", "법무", "--data-dir", str(data),
            *extra]


def test_an_interrupted_reindex_leaves_a_usable_index_and_the_next_run_completes(tmp_path: Path) -> None:
    folder = tmp_path / "법무"
    folder.mkdir()
    source = sample("민원여권과", ".pdf").read_bytes()
    for n in range(40):  # forty distinct copies, so the run takes a while
        (folder / f"조례 사본 {n:02d}.pdf").write_bytes(source + f"\n% copy {n}\n".encode())
    (folder / "처음 문서.txt").write_text("1. 개요\n이 폴더의 첫 문서입니다.\n", encoding="utf-8")
    data = tmp_path / "data"
    env = os.environ | {"DEPTBOT_WORKERS": "1", "DEPTBOT_LOG_LEVEL": "INFO", "DEPTBOT_WRITE_BATCH": "1"} \
        | chroma_env(data)
    process = subprocess.Popen(_reindex_command(folder, data), stderr=subprocess.PIPE, text=True, env=env)
    indexed = 0
    assert process.stderr is not None
    for line in process.stderr:
        indexed += "indexed department=" in line
        if indexed == 5:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    services = make_services(data)
    index = services.store.open("법무", services.embedder)
    records = index.file_records()
    assert 5 <= len(records) < 41
    assert index.keyword_index().search(services.tokenizer.tokenize("여권 민원실 운영 시간"), 3)
    done = subprocess.run(_reindex_command(folder, data, "--json"), capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["totals"]
    assert counts["unchanged"] >= 5 and counts["unchanged"] + counts["indexed"] == 41
    index = make_services(data).store.open("법무", services.embedder)
    assert len(index.file_records()) == 41
    assert index.count() == sum(r.chunks for r in index.file_records().values()), "no duplicate chunks"


def test_a_link_leading_out_of_the_folder_is_refused(services: Services, tmp_path: Path) -> None:
    folder = copy_department(tmp_path, "회계과")
    secret = tmp_path / "밖의 비밀.txt"
    secret.write_text("1. 비밀\n외부 문서의 내용입니다.\n", encoding="utf-8")
    (folder / "링크.txt").symlink_to(secret)
    report = services.reindexer.reindex(folder, "회계과")
    result = next(r for r in report.files if r.file == "링크.txt")
    assert result.status == "failed" and "폴더 밖의 파일을 가리키는 링크" in result.error
    index = services.store.open("회계과", services.embedder)
    assert "링크.txt" not in index.file_records() and index.chunks_of("링크.txt") == []
