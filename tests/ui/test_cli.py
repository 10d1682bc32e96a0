"""The deptbot command line through click's runner, as an operator's script would use it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import SAMPLES
from ui.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "부서문서"
    for name in ("민원여권과", "총무과"):
        shutil.copytree(SAMPLES / name, folder / name)
    return folder


def test_reindex_all_json_names_files_by_department_and_exits_0(root: Path, tmp_path: Path) -> None:
    result = run("reindex", "--all", str(root), "--data-dir", str(tmp_path / "d"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    files = {f["file"]: f for f in report["files"]}
    pdf = files["민원여권과/한빛시 민원 처리에 관한 조례(한빛시조례)(제1234호)(20250701).pdf"]
    assert pdf["status"] == "indexed" and pdf["pages"] == 7 and pdf["chunks"] > 40 and pdf["error"] is None
    assert report["totals"]["indexed"] == 6 and report["totals"]["failed"] == 0
    assert report["totals"]["chunks"] == sum(f["chunks"] for f in report["files"])
    again = json.loads(run("reindex", "--all", str(root), "--data-dir", str(tmp_path / "d"), "--json").stdout)
    assert {f["status"] for f in again["files"]} == {"unchanged"}


def test_reindex_one_folder_relative_names_failure_exit_1(root: Path, tmp_path: Path) -> None:
    folder = root / "총무과"
    (folder / "하위").mkdir()
    (folder / "하위" / "깨진 문서.pdf").write_bytes(b"%PDF-1.7\n garbage")
    result = run("reindex", str(folder), "--department", "총무과", "--data-dir", str(tmp_path / "d"), "--json")
    assert result.exit_code == 1
    files = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    broken = files["하위/깨진 문서.pdf"]
    assert broken["status"] == "failed" and broken["error"].startswith("하위/깨진 문서.pdf: ")
    assert sum(f["status"] == "indexed" for f in files.values()) == 3


def test_plain_output_says_one_line_per_failure(root: Path, tmp_path: Path) -> None:
    folder = root / "총무과"
    (folder / "빈 문서.txt").write_bytes(b"")
    result = run("reindex", str(folder), "--department", "총무과", "--data-dir", str(tmp_path / "d"))
    assert result.exit_code == 1
    assert "실패  빈 문서.txt: 빈 파일입니다 (0바이트) — 내용이 있는 원본 파일을 다시 올려 주세요" in result.stderr
    assert "총무과: 색인 3, 변경 없음 0, 삭제 0, 실패 1" in result.stdout


@pytest.mark.parametrize("args", [[], ["--department", "총무과"], ["--all", "{empty}"], ["{empty}", "--all", "{empty}"],
                                  ["{empty}"], ["--all", "{missing}"]])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    args = [a.format(empty=tmp_path / "empty", missing=tmp_path / "missing") for a in args]
    result = CliRunner().invoke(main, ["reindex", *args, "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output


def test_dry_run_json(root: Path, tmp_path: Path) -> None:
    result = run("reindex", "--all", str(root), "--data-dir", str(tmp_path / "d"), "--json", "--dry-run")
    report = json.loads(result.stdout)
    assert report["totals"]["dry_run"] is True and report["totals"]["indexed"] == 6
    listing = run("documents", "list", "--department", "총무과", "--data-dir", str(tmp_path / "d"))
    assert listing.exit_code == 1 and "색인이 없습니다" in listing.stderr


def test_documents_list_and_chunks(root: Path, tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    run("reindex", "--all", str(root), "--data-dir", data)
    rows = json.loads(run("documents", "list", "--department", "민원여권과", "--data-dir", data, "--json").stdout)
    assert [r["format"] for r in rows] == ["txt", "hwpx", "pdf"]
    assert all(r["status"] == "indexed" and r["indexed_at"] and r["chunks"] > 0 for r in rows)
    name = rows[2]["file"]
    chunks = json.loads(run("documents", "chunks", "--department", "민원여권과", name, "--data-dir", data,
                            "--json").stdout)
    article = next(c for c in chunks if c["article"] == "제10조")
    assert set(article) == {"id", "text", "title", "article", "paragraph", "heading", "page_start", "page_end"}
    assert article["title"] == "한빛시 민원 처리에 관한 조례" and article["page_start"] == 2
    missing = run("documents", "chunks", "--department", "민원여권과", "없는 파일.pdf", "--data-dir", data)
    assert missing.exit_code == 1 and "없는 파일.pdf: 이 부서 색인에 없는 파일입니다" in missing.stderr


def test_search_finds_the_passage_with_its_citation(root: Path, tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    run("reindex", "--all", str(root), "--data-dir", data)
    question = "여권 민원실은 목요일에 몇 시까지 운영하나요?"
    rows = json.loads(run("search", question, "--data-dir", data, "--json").stdout)
    top = rows[0]
    assert top["department"] == "민원여권과" and top["article"] == "제16조" and top["paragraph"] == "④"
    assert top["page_start"] == 3 and "오후 8시" in top["text"]


def test_a_data_folder_that_cannot_be_used_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "파일"
    blocker.write_text("폴더가 아님", encoding="utf-8")
    result = CliRunner().invoke(main, ["reindex", str(SAMPLES / "회계과"), "--department", "회계과",
                                       "--data-dir", str(blocker / "data")])
    assert result.exit_code == 1
    said = result.stderr.splitlines()  # the data folder it tried, then the error in one line
    assert len(said) == 2 and said[0] == f"데이터 폴더: {blocker / 'data'} (--data-dir)"
    assert said[1].startswith("오류: ") and "Traceback" not in result.output
    assert "경로와 권한" in result.stderr


def test_a_truncated_pdf_is_reported_in_korean_without_the_parser_s_own_english_lines(tmp_path: Path) -> None:
    """The parsing workers are separate processes: pypdf's warnings there must not reach the terminal bare."""
    folder = tmp_path / "총무과"
    folder.mkdir()
    whole = (SAMPLES / "민원여권과" / "한빛시 민원 처리에 관한 조례(한빛시조례)(제1234호)(20250701).pdf").read_bytes()
    (folder / "잘린 조례.pdf").write_bytes(whole[: len(whole) // 3])
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")} | {"DEPTBOT_SETTINGS_FILE": ""}
    result = subprocess.run([sys.executable, "-m", "ui.cli", "reindex", str(folder), "--department", "총무과",
                             "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 1
    assert "실패  잘린 조례.pdf: PDF 파일이 손상되었거나 잘렸습니다" in result.stderr, result.stderr
    assert "EOF marker not found" not in result.stderr, result.stderr
