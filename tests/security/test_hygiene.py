"""The smaller findings: a bot narrowed to chosen documents opens only those, malformed JSON is a 4xx, `/docs`
loads nothing from a CDN, user-typed text cannot forge log lines or drive the terminal, the data folder is its
owner's alone, and stopping the server (SIGTERM or SIGINT) stops its parse workers."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.security.conftest import DOCUMENT, NARROWED_TO, Site
from tests.support.server import PASSWORD, deptbot, free_port, serving


def test_a_narrowed_bot_opens_only_its_own_documents(site: Site) -> None:
    registry = site.registry()
    narrow, whole = registry.bot("narrow").link_key, registry.bot("dangjik").link_key
    base = f"{site.base}/files/general-affairs/"
    assert httpx.get(base + quote(NARROWED_TO) + f"?bot=narrow&key={narrow}").status_code == 200
    assert httpx.get(base + quote(DOCUMENT) + f"?bot=narrow&key={narrow}").status_code == 404
    assert httpx.get(base + quote(DOCUMENT) + f"?bot=dangjik&key={whole}").status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/api/bots/dangjik/ask", '{"question": NaN}'),
    ("/api/bots/dangjik/ask", '{"question": "\\ud800 당직"}'),
    ("/api/bots/dangjik/ask", '{"question": "당직", "history": [{"question": Infinity}]}'),
    ("/api/bots/dangjik/feedback", '{"trace_id": "0123456789", "rating": NaN}'),
    ("/api/session", '{"username": "\\udfff", "password": "x"}'),
    ("/api/session", '{"username": "lead", "password": -Infinity}'),
    ("/api/session", "{not json"),
])
def test_malformed_json_is_a_client_error_not_a_crash(site: Site, path: str, body: str) -> None:
    response = httpx.post(site.base + path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "\\ud800" not in response.text and "NaN" not in response.text  # the input is not echoed


def test_the_api_docs_load_nothing_from_other_hosts(site: Site) -> None:
    docs = httpx.get(f"{site.base}/docs")
    assert docs.status_code == 200 and "/api/bots/{slug}/ask" in docs.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", docs.text), docs.text
    assert httpx.get(f"{site.base}/openapi.json").json()["paths"]


def test_the_data_folder_is_its_owner_s_alone(site: Site) -> None:
    key = site.registry().bot("dangjik").link_key
    assert httpx.post(f"{site.base}/api/bots/dangjik/ask", json={"question": "당직 근무비는?", "key": key},
                      timeout=60).status_code == 200
    assert stat.S_IMODE(site.data.stat().st_mode) == 0o700
    for path in [site.data / "registry.db", *sorted((site.data / "traces").glob("*.jsonl"))]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert (site.data / "traces").glob("*.jsonl")


def test_user_typed_text_is_escaped_in_logs_and_audit_output(tmp_path: Path) -> None:
    data = tmp_path / "data"
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    forged = "kim\n12:00 WARNING sign-in ok user=admin\x1b[2J\u202e"
    with serving(data) as server:
        refused = httpx.post(f"{server.base}/api/session", json={"username": forged, "password": PASSWORD})
        assert refused.status_code == 401
    output = server.output[0]
    assert "sign-in ok user=admin" in output  # the attempt is logged...
    assert "\n12:00 WARNING" not in output and "user=kim\\n12:00" in output  # ...escaped, on its own line
    assert "\x1b" not in output and "\u202e" not in output
    audited = deptbot("audit", "--action", "sign_in_failed", data=data).stdout
    assert "\x1b" not in audited and "\u202e" not in audited and len(audited.strip().splitlines()) == 1


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("PPid:"))
            except (OSError, StopIteration):
                continue
            if int(parent.split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _gone(pids: set[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_its_parse_workers(tmp_path: Path, stop: signal.Signals) -> None:
    data = tmp_path / "data"
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    deptbot("users", "add", "lead", "--role", "lead", "--department", "총무과", "--password-stdin", data=data,
            stdin=PASSWORD + "\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")}
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/login").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.3)
        from gradio_client import Client, handle_file

        signed = httpx.post(base + "/api/session", json={"username": "lead", "password": PASSWORD})
        cookie = f"deptbot_session={signed.cookies['deptbot_session']}"
        note = tmp_path / "메모.txt"
        note.write_text("당직 메모입니다.", encoding="utf-8")
        result = Client(base + "/builder/", headers={"Cookie": cookie}, verbose=False).predict(
            "총무과", [handle_file(str(note))], api_name="/upload")
        assert "색인됨" in str(result)
        workers = _children(server.pid)
        assert workers, "the upload was parsed in a worker process"
        server.send_signal(stop)
        assert server.wait(timeout=30) is not None
        assert _gone(workers, 10), workers
        assert not (data / "tmp" / f"gradio-{server.pid}").exists()  # its uploads folder went with it
    finally:
        if server.poll() is None:
            server.kill()
