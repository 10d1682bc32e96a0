"""Two `deptbot serve` processes behind one load balancer's worth of state: one Chroma server for the vectors, one
PostgreSQL for the registry, one session key. What one server (or the command line) changes, the other serves at
once; a sign-in on one is good on the other, and a conversation saved on one resumes on the other.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from builder.registry import Registry
from tests.conftest import SAMPLES
from tests.support.chroma import ChromaServer, chroma_program
from tests.support.gradio_events import ChatSession
from tests.support.postgres import PostgresServer
from tests.support.server import PASSWORD, deptbot, request, serving

QUESTION = "당직 근무비는 얼마인가요?"
NEW_FACT = "청사 야간 출입증은 총무과 청사관리팀에서 하루 전까지 신청해야 발급됩니다."


def _database(server: PostgresServer) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server.url).set(database=name).render_as_string(hide_password=False)


def _ask(base: str, cookie: str, question: str = QUESTION, slug: str = "dangjik",
         key: str | None = None) -> tuple[int, dict[str, object]]:
    status, _, body = request(f"{base}/api/bots/{slug}/ask", {"question": question, "key": key}, cookie)
    return status, json.loads(body) if status == 200 else {}


def test_two_servers_share_bots_documents_and_sessions(postgres_server: PostgresServer, tmp_path: Path) -> None:
    assert chroma_program() is not None, "chromadb installs the `chroma` command"
    folder = tmp_path / "총무과"
    shutil.copytree(SAMPLES / "총무과", folder)
    with ChromaServer(tmp_path / "chroma") as chroma:
        env = {"DEPTBOT_DATABASE_URL": _database(postgres_server), "DEPTBOT_CHROMA__URL": chroma.url,
               "DEPTBOT_SECRET_KEY": "one-key-for-every-server-of-the-city"}
        operator = tmp_path / "operator"  # the command line's own data folder (caches, traces)
        deptbot("reindex", str(folder), "--department", "총무과", data=operator, env=env)
        deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=operator, env=env)
        deptbot("users", "add", "kim", "--role", "staff", "--department", "총무과", "--password-stdin",
                data=operator, env=env, stdin=PASSWORD + "\n")
        deptbot("users", "add", "boss", "--role", "lead", "--department", "총무과", "--password-stdin",
                data=operator, env=env, stdin=PASSWORD + "\n")
        with serving(tmp_path / "a", env) as first, serving(tmp_path / "b", env) as second:
            # A bot created on the first server's builder is served by the second at once.
            from gradio_client import Client, handle_file

            status, headers, _ = request(f"{first.base}/api/session", {"username": "boss", "password": PASSWORD})
            assert status == 200
            lead = headers["set-cookie"].split(";", 1)[0]
            definition = tmp_path / "dangjik.json"
            definition.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                                              "visibility": "link"}, ensure_ascii=False), encoding="utf-8")
            builder = Client(f"{first.base}/builder/", headers={"Cookie": lead}, verbose=False)
            builder.predict(handle_file(str(definition)), api_name="/import_bot")
            builder.predict("dangjik", api_name="/publish_bot")

            # Signed in on the first, asking on the second.
            status, headers, _ = request(f"{first.base}/api/session", {"username": "kim", "password": PASSWORD})
            assert status == 200
            staff = headers["set-cookie"].split(";", 1)[0]
            listed = json.loads(request(f"{second.base}/api/bots", cookie=staff)[2])
            assert [bot["slug"] for bot in listed] == ["dangjik"]
            status, answer = _ask(second.base, staff)
            assert status == 200 and "60,000원" in str(answer["answer"])

            # The link rotated on the first stops on the second at once.
            registry = Registry.open(env["DEPTBOT_DATABASE_URL"])
            before = registry.bot("dangjik").link_key
            assert _ask(second.base, "", key=before)[0] == 200
            builder.predict("dangjik", api_name="/rotate")
            after = registry.bot("dangjik").link_key
            assert after != before
            assert _ask(second.base, "", key=before)[0] == 404
            assert _ask(second.base, "", key=after)[0] == 200

            # A re-index run by the command line is seen by both servers.
            (folder / "야간 출입 안내.txt").write_text(f"1. 야간 출입\n{NEW_FACT}\n", encoding="utf-8")
            deptbot("reindex", str(folder), "--department", "총무과", data=operator, env=env)
            for server in (first, second):
                status, answer = _ask(server.base, staff, "청사 야간 출입증은 언제까지 신청해야 하나요?")
                assert status == 200 and "하루 전까지" in str(answer["answer"]), (server.base, answer)
                assert any(c["file"] == "야간 출입 안내.txt" for c in answer["citations"])  # type: ignore[union-attr]

            # A conversation of the chat page on the first server resumes on the second with the same turns.
            visit = ChatSession(first.base, staff, "?bot=dangjik")
            visit.call("load", [])
            for question in (QUESTION, "청사 순찰은 언제 하나요?"):
                visit.call("respond", [question, None])
            elsewhere = ChatSession(second.base, staff, "?bot=dangjik")
            listed = elsewhere.call("load", [])["output"]["data"][-2]["choices"]
            assert [label.split(" · ")[0] for label, _ in listed] == [QUESTION]
            resumed = elsewhere.call("resume", [listed[0][1], None])["output"]["data"][0]
            shown = json.dumps(resumed, ensure_ascii=False)
            assert shown.index(QUESTION) < shown.index("청사 순찰은 언제 하나요?") and "60,000원" in shown
            assert shown.count('class=\\"answer-sources\\"') == 2, shown  # both answers with their cards

