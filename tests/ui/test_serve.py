"""`deptbot serve`: a real server process answering the JSON API on the loopback interface."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLES
from tests.support.server import PASSWORD, deptbot, request, serving


def test_serve_answers_signed_in_staff_over_http(tmp_path: Path) -> None:
    data = tmp_path / "data"
    deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    deptbot("users", "add", "kim", "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
            stdin=PASSWORD + "\n")
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                               "visibility": "department"}, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(bot), data=data)
    deptbot("bots", "publish", "dangjik", data=data)
    with serving(data) as server:
        ask = f"{server.base}/api/bots/dangjik/ask"
        assert request(ask, {"question": "당직 근무비는 얼마인가요?"})[0] == 404  # not signed in: as if absent
        status, headers, _ = request(f"{server.base}/api/session", {"username": "kim", "password": PASSWORD})
        assert status == 200
        cookie = headers["set-cookie"].split(";", 1)[0]
        status, _, text = request(ask, {"question": "당직 근무비는 얼마인가요?"}, cookie)
        assert status == 200 and "60,000원" in json.loads(text)["answer"]
    output = "".join(server.output)
    assert "관리자가 아직 없습니다" in output and "/setup?token=" in output  # the one-time way to a first admin
    assert PASSWORD not in output
