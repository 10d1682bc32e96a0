"""Parsing in worker processes: per-file time and memory limits, crashes, threads sharing the pool, clean exits.

Real files and real processes throughout; a worker's start costs a few seconds (it loads the Kiwi model).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from connectors.ingest import IngestOptions, ParsedFile, ReindexReport, _Task, file_sha256
from connectors.korean import KoreanTokenizer
from connectors.workers import ParsePool
from tests.conftest import ROOT, make_services, sample
from tests.support.hostile import big_docx as _docx


def _folder(path: Path, *files: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for file in files:
        if file.parent != path:
            shutil.copy(file, path / file.name)
    return path


def _status(report: ReindexReport) -> dict[str, tuple[str, str]]:
    return {r.file: (r.status, r.error) for r in report.files}


def _task(folder: Path, file: str) -> _Task:
    return _Task(str(folder), file, file_sha256(folder / file), "부서", IngestOptions(), KoreanTokenizer())


def _wait_busy(pool: ParsePool, seconds: float = 60) -> None:
    """Until a worker has begun its file (after its start, which loads Kiwi)."""
    deadline = time.monotonic() + seconds
    while pool.busy < 1:
        assert time.monotonic() < deadline, "no worker began the file"
        time.sleep(0.05)


def _status_kb(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1])


def _children(pid: int) -> dict[int, str]:
    """Live (not zombie) child processes of `pid`: their command lines."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers_of(pid: int) -> dict[int, str]:
    """Parse workers among the children of `pid`."""
    return {p: c for p, c in _children(pid).items() if "connectors.workers" in c}


def _trackers_of(pid: int) -> dict[int, str]:
    """multiprocessing's resource trackers among the children of `pid` (other tests' spawned processes start one)."""
    return {p: c for p, c in _children(pid).items() if "resource_tracker" in c}


def test_a_file_over_the_time_limit_fails_clearly_and_the_other_files_are_indexed(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "docs", sample("총무과", ".txt"))
    _docx(folder / "거대한 문서.docx", 200_000)  # about 25 s to parse in full
    services = make_services(tmp_path / "data", isolate_parsing=True, workers=1, parse_timeout_seconds=3)
    with services.reindexer as reindexer:
        statuses = _status(reindexer.reindex(folder, "총무과"))
        status, error = statuses["거대한 문서.docx"]
        assert status == "failed"
        assert error.startswith("거대한 문서.docx: 문서를 읽는 데 3초 한도를 넘었습니다")
        assert "파일을 나누거나 원본 프로그램에서 다시 저장해 올려 주세요" in error
        assert statuses[sample("총무과", ".txt").name][0] == "indexed"  # on the fresh worker that replaced it
        other = _folder(tmp_path / "other", sample("민원여권과", ".txt"))
        assert [r.status for r in reindexer.reindex(other, "민원여권과").files] == ["indexed"]


def test_a_file_over_the_memory_limit_fails_clearly_in_its_worker_not_here(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "docs", sample("총무과", ".txt"))
    services = make_services(tmp_path / "data", isolate_parsing=True, workers=1, parse_memory_mb=100)
    with services.reindexer as reindexer:
        assert not reindexer.reindex(folder, "총무과").failed  # the worker is started, the store opened
        # 146 MB of word/document.xml, which python-docx reads whole: 2 MB on disk (ratio 72, not a zip bomb).
        _docx(folder / "부푼 문서.docx", 260_000, words=10)
        rss_before = _status_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
        statuses = _status(reindexer.reindex(folder, "총무과"))
        rss_growth_mb = (_status_kb("VmRSS") - rss_before) / 1024
        peak_growth_mb = (_status_kb("VmHWM") - rss_before) / 1024
        status, error = statuses["부푼 문서.docx"]
        assert status == "failed"
        assert error.startswith("부푼 문서.docx: 문서를 읽는 데 메모리 한도 100MB를 넘었습니다"), error
        assert rss_growth_mb < 50 and peak_growth_mb < 60, (rss_growth_mb, peak_growth_mb)
        # The worker that hit the limit was replaced: the next file is read by a fresh one.
        shutil.copy(sample("민원여권과", ".txt"), folder / "민원.txt")
        assert _status(reindexer.reindex(folder, "총무과"))["민원.txt"][0] == "indexed"


def test_a_worker_that_dies_fails_only_its_own_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "docs", sample("총무과", ".txt"))
    _docx(folder / "느린 문서.docx", 200_000)
    small = sample("총무과", ".txt").name
    outcomes: list[ParsedFile] = []
    with ParsePool(1, timeout=300, memory_limit_mb=2048) as pool:
        runner = threading.Thread(target=lambda: outcomes.extend(
            pool.run([_task(folder, small), _task(folder, "느린 문서.docx")])))
        runner.start()
        _wait_busy(pool)  # biggest first: the worker is on the slow DOCX
        os.kill(pool.pids[0], signal.SIGKILL)  # as the kernel's out-of-memory killer would
        runner.join(60)
    by_file = {o.file: o for o in outcomes}
    assert by_file["느린 문서.docx"].error.startswith("느린 문서.docx: 문서를 읽던 프로세스가 비정상 종료했습니다")
    assert by_file[small].chunks and not by_file[small].error


def test_two_threads_reindex_two_departments_at_once_through_one_reindexer(tmp_path: Path) -> None:
    folders = {
        "총무과": _folder(tmp_path / "총무과", sample("총무과", ".txt"), sample("총무과", ".docx"),
                         sample("총무과", ".pdf")),
        "회계과": _folder(tmp_path / "회계과", sample("회계과", ".hwpx"), sample("회계과", ".docx")),
    }
    services = make_services(tmp_path / "data", isolate_parsing=True, workers=2)
    reports: dict[str, ReindexReport] = {}
    with services.reindexer as reindexer:
        threads = [threading.Thread(target=lambda d=department, f=folder: reports.__setitem__(
            d, reindexer.reindex(f, d))) for department, folder in folders.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(_workers_of(os.getpid())) <= 2  # never more workers than asked for
    for department, folder in folders.items():
        report = reports[department]
        assert report.department == department
        assert {r.file: r.status for r in report.files} == {p.name: "indexed" for p in folder.iterdir()}


def test_close_kills_a_busy_worker_at_once_and_leaves_no_process(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    _docx(folder / "느린 문서.docx", 200_000)
    outcomes: list[ParsedFile] = []
    trackers = _trackers_of(os.getpid())
    pool = ParsePool(1, timeout=300, memory_limit_mb=2048)
    runner = threading.Thread(target=lambda: outcomes.extend(pool.run([_task(folder, "느린 문서.docx")])))
    runner.start()
    _wait_busy(pool)
    workers = pool.pids
    began = time.monotonic()
    pool.close()
    closed_in = time.monotonic() - began
    runner.join(5)
    assert closed_in < 5, closed_in
    assert not runner.is_alive()
    assert outcomes[0].error.startswith("느린 문서.docx: 문서를 읽는 중에 색인이 중단되었습니다")
    assert multiprocessing.active_children() == []
    assert not [pid for pid in workers if _alive(pid)]
    assert _workers_of(os.getpid()) == {}
    assert _trackers_of(os.getpid()) == trackers  # the pool started none


_KEEPS_WORKERS = """
import sys, time
from pathlib import Path
from ui.settings import Settings
from ui.wiring import build_services
services = build_services(Settings(data_dir=Path(sys.argv[1]), workers=1))
report = services.reindexer.reindex(Path(sys.argv[2]), "총무과")
print("ready", report.failed, flush=True)
time.sleep(120)
"""


def test_workers_die_with_a_parent_killed_by_sigterm(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "docs", sample("총무과", ".txt"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")}
    parent = subprocess.Popen([sys.executable, "-c", _KEEPS_WORKERS, str(tmp_path / "data"), str(folder)],
                              cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "ready False"
        workers = _workers_of(parent.pid)
        assert workers and not _trackers_of(parent.pid)
        parent.send_signal(signal.SIGTERM)  # Python has no handler for it: the process ends at once
        parent.wait(10)
        deadline = time.monotonic() + 10
        while [pid for pid in workers if _alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        parent.kill()
        parent.wait()
