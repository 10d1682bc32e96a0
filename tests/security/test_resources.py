"""One request must not take the server's memory or time from everyone else: bodies are limited before they are
read, and uploads are parsed in worker processes with a time and memory limit per file. Found: a 200 MB JSON body
grew the server by 565 MB; a 3.5 MB DOCX holding 100 MB of XML was parsed for 14 minutes inside the web server,
under a lock that stopped every other department's uploads, while answers stalled; a 1 MB HWPX grew it by
1.95 GB before the zip-bomb check."""

from __future__ import annotations

import contextlib
import html
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT
from tests.security.conftest import Site
from tests.support.hostile import big_docx, inflating_hwpx

SITE_ENV = {"DEPTBOT_PARSE_TIMEOUT_SECONDS": "15", "DEPTBOT_MAX_UPLOAD_MB": "8", "DEPTBOT_MAX_BODY_KB": "256",
            "DEPTBOT_ASK_PER_MINUTE": "1000", "DEPTBOT_ASK_PER_MINUTE_ADDRESS": "1000"}
QUESTION = "당직 근무비는 얼마인가요?"


def _rss_mb(pid: int) -> float:
    """The resident memory of the server process itself (its parse workers are processes of their own)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _claimed_body(site: Site, path: str, length: int, sent: int) -> str:
    """Send headers claiming a body of `length` bytes, then `sent` bytes of it; the status line answered."""
    host, port = site.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {length}\r\n\r\n".encode())
        with contextlib.suppress(OSError):  # the server may close before taking it all
            connection.sendall(b'{"question": "' + b"a" * sent)
        return connection.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def _streamed(megabytes: int) -> Iterator[bytes]:
    yield b'{"username": "'
    for _ in range(megabytes):
        yield b"a" * (1 << 20)
    yield b'", "password": "x"}'


def test_oversized_bodies_are_refused_before_they_are_read(site: Site) -> None:
    pid = site.server.process.pid
    before = _rss_mb(pid)
    assert " 413 " in _claimed_body(site, "/api/bots/dangjik/ask", 200 << 20, 4 << 20)
    chunked = httpx.post(f"{site.base}/api/session", content=_streamed(20), timeout=60)  # no Content-Length
    assert chunked.status_code == 413
    gradio_event = httpx.post(f"{site.base}/chat/gradio_api/queue/join", content=_streamed(5), timeout=60)
    assert gradio_event.status_code == 413
    assert httpx.post(f"{site.base}/builder/gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code == 401
    assert httpx.post(f"{site.base}/chat/gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code == 404
    too_big = httpx.post(f"{site.base}/builder/gradio_api/upload", headers={"Cookie": site.cookie("lead")},
                         files={"files": ("큰 파일.txt", b"a" * (9 << 20))}, timeout=60)
    assert too_big.status_code == 413
    assert [p for p in site.upload_folder().rglob("*") if p.is_file() and p.stat().st_size] == []
    assert _rss_mb(pid) - before < 60
    assert site.alive()
    small = httpx.post(f"{site.base}/api/bots/dangjik/ask", timeout=60,
                       json={"question": QUESTION, "key": site.registry().bot("dangjik").link_key})
    assert small.status_code == 200  # the permitted path still works


def _ask(site: Site, key: str) -> float:
    began = time.perf_counter()
    answered = httpx.post(f"{site.base}/api/bots/dangjik/ask", json={"question": QUESTION, "key": key}, timeout=60)
    assert answered.status_code == 200 and not answered.json()["refused"]
    return time.perf_counter() - began


def test_a_pathological_upload_stalls_neither_answers_nor_other_departments(site: Site, tmp_path: Path) -> None:
    from gradio_client import handle_file

    slow = big_docx(tmp_path / "31MB XML 문서.docx", 300000)  # passes the zip-bomb checks; parses for minutes
    bomb = tmp_path / "부풀리는 문서.hwpx"
    bomb.write_bytes(inflating_hwpx())
    note = tmp_path / "민원 창구 안내.txt"
    note.write_text("민원 창구는 평일 9시부터 18시까지 엽니다.", encoding="utf-8")
    key = site.registry().bot("dangjik").link_key
    _ask(site, key)  # the bot's answerer is built before timing starts
    pid = site.server.process.pid
    before = _rss_mb(pid)
    outcome: dict[str, Any] = {}

    def pathological() -> None:
        outcome["lead"] = site.gradio("lead").predict("총무과", [handle_file(str(slow)), handle_file(str(bomb))],
                                                     api_name="/upload")
        outcome["lead_done"] = time.monotonic()

    uploader = threading.Thread(target=pathological)
    uploader.start()
    time.sleep(3)  # the DOCX is being parsed now
    timings = []
    while uploader.is_alive() and len(timings) < 100:
        timings.append(_ask(site, key))
        if "other" not in outcome:
            outcome["other"] = site.gradio("lead_other").predict("민원여권과", [handle_file(str(note))],
                                                                api_name="/upload")
            outcome["other_done"] = time.monotonic()
        time.sleep(0.2)
    uploader.join(timeout=180)
    peak = _rss_mb(pid)
    board = outcome["lead"][0]  # the upload's board: a line per file with its result and error
    lines = {name: next(li for li in board.split("<li")[1:] if html.escape(name) in li)
             for name in (slow.name, bomb.name)}
    assert "실패" in lines[slow.name] and "15초 한도" in lines[slow.name], board
    assert "실패" in lines[bomb.name] and "압축 폭탄" in lines[bomb.name], board
    assert "색인됨" in json.dumps(outcome["other"], ensure_ascii=False)
    assert outcome["other_done"] < outcome["lead_done"]  # another department did not wait for the lock
    # Another user's questions kept being answered while the parse ran: several answers, none waiting for the
    # parse's 15 s limit. How fast they were is a benchmark's figure (written below), not asserted: a shared
    # 2-core machine under load once took 1.6 s for one.
    assert len(timings) >= 5 and max(timings) < 7.5, timings
    assert peak - before < 200, (before, peak)
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "pathological-upload.json").write_text(json.dumps({
        "answers_during_upload": len(timings), "answer_seconds_max": round(max(timings), 3),
        "server_rss_growth_mb": round(peak - before, 1)}), encoding="utf-8")
