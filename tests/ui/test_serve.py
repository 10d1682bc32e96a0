"""`deptbot serve`: a real server process answering the JSON API on the loopback interface."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import SAMPLES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deptbot(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args, "--data-dir", str(data)], input=stdin, text=True,
                          capture_output=True, timeout=300, check=True)


def _request(url: str, body: dict[str, object] | None = None, cookie: str = "") -> tuple[int, dict[str, str], str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", "Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_serve_answers_signed_in_staff_over_http(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data)
    _deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    _deptbot("users", "add", "kim", "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
             stdin="correct-horse-battery\n")
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                               "visibility": "department"}, ensure_ascii=False), encoding="utf-8")
    _deptbot("bots", "create", "--from", str(bot), data=data)
    _deptbot("bots", "publish", "dangjik", data=data)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")}
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(f"{base}/docs")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        status, _, _ = _request(f"{base}/api/bots/dangjik/ask", {"question": "당직 근무비는 얼마인가요?"})
        assert status == 404  # not signed in: as if it did not exist
        status, headers, _ = _request(f"{base}/api/session", {"username": "kim", "password": "correct-horse-battery"})
        assert status == 200
        cookie = headers["set-cookie"].split(";", 1)[0]
        status, _, text = _request(f"{base}/api/bots/dangjik/ask", {"question": "당직 근무비는 얼마인가요?"}, cookie)
        assert status == 200 and "60,000원" in json.loads(text)["answer"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "관리자가 아직 없습니다" in output  # the first-start hint, and no password in it
    assert "correct-horse-battery" not in output
