"""Faults a real deployment meets, with the real servers: the Chroma server stopped and started again, PostgreSQL
restarted. deptbot keeps running, says what is wrong in Korean while it lasts, and recovers without a restart.
(A re-index killed midway is in tests/connectors/test_ingest.py; a failing LLM server in test_openai_generator.)
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from tests.conftest import SAMPLES
from tests.support.chroma import ChromaServer
from tests.support.postgres import PostgresServer
from tests.support.server import PASSWORD, deptbot, request, serving
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

QUESTION = "당직 근무비는 얼마인가요?"


def _prepare(data: Path, env: dict[str, str], visibility: str = "link") -> str:
    """Index 총무과, register it, a staff user and a published bot; returns the share link path."""
    deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data, env=env)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data, env=env)
    deptbot("users", "add", "kim", "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
            env=env, stdin=PASSWORD + "\n")
    bot = data.parent / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                               "visibility": visibility, "starters": [QUESTION]}, ensure_ascii=False),
                   encoding="utf-8")
    deptbot("bots", "create", "--from", str(bot), data=data, env=env)
    published = deptbot("bots", "publish", "dangjik", data=data, env=env).stdout
    return published[published.index("/b/"):].split()[0]


def _signed_in(base: str) -> str:
    status, headers, _ = request(f"{base}/api/session", {"username": "kim", "password": PASSWORD})
    assert status == 200
    return headers["set-cookie"].split(";", 1)[0]


def _record(figures: dict[str, float]) -> None:
    """Keep the timings for the report (artifacts/fault-figures.json); nothing is asserted on them."""
    path = SHOTS.parent / "fault-figures.json"
    known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    path.write_text(json.dumps(known | figures, indent=2), encoding="utf-8")


def test_the_chroma_server_stopped_and_started_again(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    figures: dict[str, float] = {}
    with ChromaServer(tmp_path / "chroma") as chroma:
        env = {"DEPTBOT_CHROMA__URL": chroma.url}
        data = tmp_path / "data"
        link = _prepare(data, env)
        with serving(data, env) as server:
            cookie = _signed_in(server.base)
            ask = f"{server.base}/api/bots/dangjik/ask"
            assert request(ask, {"question": QUESTION}, cookie)[0] == 200
            page = browser.new_context().new_page()
            page.goto(server.base + link)
            page.get_by_role("button", name=QUESTION).wait_for(timeout=30000)

            chroma.stop()
            began = time.perf_counter()
            status, _, body = request(ask, {"question": QUESTION}, cookie)
            figures["chroma_down_answer_ms"] = round((time.perf_counter() - began) * 1000, 1)
            assert status == 503 and "Chroma 서버" in json.loads(body)["detail"]  # said, not a traceback
            page.get_by_role("button", name=QUESTION).click()
            page.locator("#chat").get_by_text("지금은 답할 수 없습니다").first.wait_for(timeout=30000)
            assert "Chroma 서버" in page.locator("#chat").inner_text()
            page.screenshot(path=str(SHOTS / "chat-chroma-down.png"))

            began = time.perf_counter()
            chroma.start()  # same port and data: deptbot is not restarted
            status, _, body = request(ask, {"question": QUESTION}, cookie)
            figures["chroma_restart_to_answer_ms"] = round((time.perf_counter() - began) * 1000, 1)
            assert status == 200 and "60,000원" in json.loads(body)["answer"]
            page.get_by_role("button", name="보내기").click()  # the failed question was kept in the box
            page.locator("#chat").get_by_text("60,000원").first.wait_for(timeout=30000)
            page.context.close()
        assert "Traceback" not in "".join(server.output)
    _record(figures)


def test_postgresql_restarted_under_a_running_server(postgres_server: PostgresServer, tmp_path: Path) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    env = {"DEPTBOT_DATABASE_URL": make_url(postgres_server.url).set(database=name).render_as_string(False)}
    data = tmp_path / "data"
    _prepare(data, env, visibility="department")
    with serving(data, env) as server:
        cookie = _signed_in(server.base)
        ask = f"{server.base}/api/bots/dangjik/ask"
        assert request(ask, {"question": QUESTION}, cookie)[0] == 200
        began = time.perf_counter()
        postgres_server.restart()
        # The pool's connections died with the server: the next requests get fresh ones (pool_pre_ping).
        status, _, body = request(ask, {"question": QUESTION}, cookie)
        _record({"postgres_restart_to_answer_ms": round((time.perf_counter() - began) * 1000, 1)})
        assert status == 200 and "60,000원" in json.loads(body)["answer"]
        assert _signed_in(server.base)  # signing in reads the registry too
