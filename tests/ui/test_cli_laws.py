"""`deptbot laws sync` and `deptbot laws check` through the CLI runner, against the test law portal and a real
Chroma index: what an operator running them by hand or from cron would see and check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connectors.laws.listing import write_law_list
from tests.support.law_portal import Portal, law_portal
from tests.support.law_samples import (
    FUTURE,
    FUTURE_ID,
    PARTICIPATION,
    REPEALED,
    SAFETY,
    amend_participation,
    sample_laws,
)
from ui.cli import main

DEPARTMENT = "안전총괄과"


@pytest.fixture
def portal() -> Iterator[Portal]:
    with law_portal(sample_laws()) as running:
        yield running


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder with the department registered and its list of laws in its documents folder."""
    folder = tmp_path / "data"
    assert run(folder, "departments", "add", DEPARTMENT, "--slug", "safety").exit_code == 0
    write_law_list(folder / "documents" / "safety", [SAFETY, PARTICIPATION, FUTURE_ID, REPEALED, "없는 법률"])
    return folder


def run(data: Path, *args: str, url: str = "", key: str = "test-oc") -> Result:
    env = {"DEPTBOT_SETTINGS_FILE": "", "DEPTBOT_WORKERS": "1", "DEPTBOT_LAW__URL": url, "DEPTBOT_LAW__KEY": key}
    return CliRunner().invoke(main, [*args, "--data-dir", str(data)], env=env, catch_exceptions=False)


def sync(data: Path, portal: Portal, **options: str) -> Result:
    return run(data, "laws", "sync", "--department", DEPARTMENT, "--json", url=portal.url, **options)


def chunk_ids(data: Path, file: str) -> list[str]:
    result = run(data, "documents", "chunks", "--department", DEPARTMENT, file, "--json")
    return [c["id"] for c in json.loads(result.stdout)]


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_sync_writes_and_indexes_the_listed_laws_and_reports_the_rest(data: Path, portal: Portal) -> None:
    result = sync(data, portal)
    assert result.exit_code == 1  # a listed law was not found; the others are kept all the same
    laws = {law["entry"]: law for law in json.loads(result.stdout)["laws"]}
    assert {entry: law["status"] for entry, law in laws.items()} == {
        SAFETY: "written", PARTICIPATION: "written", FUTURE_ID: "written", REPEALED: "repealed",
        "없는 법률": "not_found"}
    assert laws[FUTURE_ID]["file"] == f"{FUTURE}.txt" and laws[SAFETY]["effective"] == "2025. 7. 1."
    assert laws["없는 법률"]["message"].startswith("없는 법률: 법령 포털에서 이 이름의 법령을 찾지 못했습니다")
    assert laws[REPEALED]["message"].startswith(f"{REPEALED}: 폐지된 법령입니다")
    folder = data / "documents" / "safety"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["법령목록.txt", f"{SAFETY}.txt", f"{PARTICIPATION}.txt", f"{FUTURE}.txt"])
    listing = json.loads(run(data, "documents", "list", "--department", DEPARTMENT, "--json").stdout)
    assert {row["file"]: row["status"] for row in listing} == {
        f"{SAFETY}.txt": "indexed", f"{PARTICIPATION}.txt": "indexed", f"{FUTURE}.txt": "indexed"}
    answer = json.loads(run(data, "ask", "어린이놀이시설의 정기안전점검은 얼마나 자주 해야 하나요?", "--json").stdout)
    cited = answer["citations"][0]
    assert cited["file"] == f"{SAFETY}.txt" and cited["article"] == "제5조" and "매월 1회" in cited["quote"]
    assert "(시행 2025. 7. 1.)" in cited["label"] and not answer["refused"]


def test_plain_output_says_what_was_fetched_and_what_was_not(data: Path, portal: Portal) -> None:
    result = run(data, "laws", "sync", "--department", DEPARTMENT, url=portal.url)
    assert result.exit_code == 1
    assert f"받음  {SAFETY} → {SAFETY}.txt [시행 2025. 7. 1.]" in result.stdout
    assert f"{DEPARTMENT}: 색인 3, 변경 없음 0, 삭제 0, 실패 0" in result.stdout
    assert "찾지 못함  없는 법률: 법령 포털에서 이 이름의 법령을 찾지 못했습니다" in result.stderr
    assert f"폐지  {REPEALED}: 폐지된 법령입니다 (2024. 3. 1. 폐지)" in result.stderr


def test_a_resync_changes_only_the_amended_law(data: Path, portal: Portal) -> None:
    sync(data, portal)
    folder = data / "documents" / "safety"
    before = folder_state(folder)
    safety_ids, participation_ids = chunk_ids(data, f"{SAFETY}.txt"), chunk_ids(data, f"{PARTICIPATION}.txt")
    again = json.loads(sync(data, portal).stdout)
    assert {law["status"] for law in again["laws"] if law["file"]} == {"unchanged"}
    assert again["totals"]["indexed"] == 0 and folder_state(folder) == before
    amend_participation(portal.law(PARTICIPATION))
    amended = json.loads(sync(data, portal).stdout)
    assert {law["entry"]: law["status"] for law in amended["laws"] if law["file"]} == {
        SAFETY: "unchanged", PARTICIPATION: "written", FUTURE_ID: "unchanged"}
    assert [f["file"] for f in amended["files"] if f["status"] == "indexed"] == [f"{PARTICIPATION}.txt"]
    after = folder_state(folder)
    assert {name for name in after if after[name] != before[name]} == {f"{PARTICIPATION}.txt"}
    assert chunk_ids(data, f"{SAFETY}.txt") == safety_ids
    new_ids = chunk_ids(data, f"{PARTICIPATION}.txt")
    assert new_ids and not set(new_ids) & set(participation_ids)
    text = (folder / f"{PARTICIPATION}.txt").read_text(encoding="utf-8")
    assert "[시행 2026. 1. 1.] [법률 제20500호, 2025. 9. 15., 일부개정]" in text and "100분의 2 이상" in text


def test_check_flags_newer_repealed_not_in_force_and_unlisted_statutes(data: Path, portal: Portal) -> None:
    sync(data, portal)
    folder = data / "documents" / "safety"
    write_law_list(folder, [SAFETY, PARTICIPATION, FUTURE_ID, REPEALED])
    # A statute a lead uploaded earlier, not on the list: an older version of a law, matched by its title.
    (folder / "도시공원 옛 본문.txt").write_text(
        f"{REPEALED}\n[시행 2020. 1. 1.] [법률 제17000호, 2019. 12. 10., 일부개정]\n"
        "제1조(목적) 이 법은 공원을 정한다.\n제2조(정의) 공원이란 시설을 말한다.\n제3조(관리) 시장이 관리한다.\n",
        encoding="utf-8")
    run(data, "reindex", str(folder), "--department", DEPARTMENT)
    amend_participation(portal.law(PARTICIPATION))
    before = folder_state(folder)
    result = run(data, "laws", "check", "--json", url=portal.url)
    assert result.exit_code == 0 and folder_state(folder) == before
    [report] = json.loads(result.stdout)
    flags = {row["law"]: row["flags"] for row in report["statutes"]}
    assert report["department"] == DEPARTMENT
    assert flags == {SAFETY: [], PARTICIPATION: ["newer"], FUTURE: ["not_in_force"], REPEALED: ["repealed"]}
    newer = next(row for row in report["statutes"] if row["law"] == PARTICIPATION)
    assert (newer["local_effective"], newer["portal_effective"]) == ("2024-01-01", "2026-01-01")
    repealed = next(row for row in report["statutes"] if row["law"] == REPEALED)
    assert repealed["file"] == "도시공원 옛 본문.txt" and repealed["listed"] is True
    plain = run(data, "laws", "check", "--department", DEPARTMENT, url=portal.url)
    assert f"{DEPARTMENT}: 법령 4건, 확인 필요 3건" in plain.stdout
    assert (f"  {PARTICIPATION} ({PARTICIPATION}.txt): 새 버전 있음 — 폴더 시행 2024-01-01, 포털 시행 2026-01-01"
            in plain.stdout)


@pytest.mark.parametrize(("failure", "law", "said"), [
    ("refused", SAFETY, f"{SAFETY}: 법령 포털(http://127.0.0.1:9/DRF)에 연결할 수 없습니다"),
    ("bad-key", SAFETY, f"{SAFETY}: 법령 포털이 오류를 알렸습니다: 사용자 정보 검증에 실패하였습니다."),
    ("html-key", SAFETY, f"{SAFETY}: 법령 포털이 법령 대신 오류 페이지(HTML)를 보냈습니다"),
    # The third listed law fails after the amended second one was fetched: still nothing is written.
    ("one law", FUTURE_ID, f"{FUTURE_ID}: 법령 포털이 HTTP 500 오류로 답했습니다"),
])
def test_a_network_failure_or_error_page_leaves_everything_as_it_was(data: Path, portal: Portal, failure: str,
                                                                     law: str, said: str) -> None:
    sync(data, portal)
    folder = data / "documents" / "safety"
    amend_participation(portal.law(PARTICIPATION))  # there is something new to fetch
    before, ids = folder_state(folder), chunk_ids(data, f"{PARTICIPATION}.txt")
    if failure == "one law":
        portal.broken.add(FUTURE_ID)
    url = "http://127.0.0.1:9/DRF" if failure == "refused" else portal.url
    result = run(data, "laws", "sync", "--department", DEPARTMENT, url=url,
                 key=failure if failure.endswith("-key") else "test-oc")
    assert result.exit_code == 1 and folder_state(folder) == before
    assert chunk_ids(data, f"{PARTICIPATION}.txt") == ids
    line = result.stderr.splitlines()[-1]
    assert line.startswith(f"오류: {said}")
    assert "DEPTBOT_LAW__URL" in line or "DEPTBOT_LAW__KEY" in line
    assert failure != "one law" or any(r.get("MST") == "200010" for r in portal.requests)  # the amendment was fetched


def test_without_an_address_the_command_says_how_to_configure_it(data: Path) -> None:
    folder = data / "documents" / "safety"
    before = folder_state(folder)
    for command in (["laws", "sync", "--department", DEPARTMENT], ["laws", "check"]):
        result = run(data, *command)
        assert result.exit_code == 1 and folder_state(folder) == before
        assert "오류: DEPTBOT_LAW__URL: 법령 포털 주소가 설정되지 않아 아무것도 바꾸지 않았습니다" in result.stderr
        assert "DEPTBOT_LAW__URL=https://www.law.go.kr/DRF" in result.stderr and "DEPTBOT_LAW__KEY" in result.stderr


def test_a_department_without_a_list_is_told_how_to_make_one(tmp_path: Path, portal: Portal) -> None:
    data = tmp_path / "data"
    run(data, "departments", "add", "총무과", "--slug", "general")
    result = run(data, "laws", "sync", "--department", "총무과", url=portal.url)
    assert result.exit_code == 1 and "법령목록.txt: 법령 목록이 없거나 비어 있습니다" in result.stderr
    assert portal.requests == []
