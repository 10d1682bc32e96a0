"""Sign-in attempts and questions are rate-limited; every administrative action and failed sign-in is audited."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from builder.definitions import BotDefinition
from tests.conftest import make_services
from ui.app import create_app
from ui.cli import main
from ui.wiring import Services

PASSWORD = "correct-horse-battery"


def _app(sample_index: Services, tmp_path: Path, **settings: object) -> tuple[Services, TestClient]:
    services = make_services(sample_index.settings.data_dir, database_url=f"sqlite:///{tmp_path / 'r.db'}",
                             **settings)
    services.registry.add_department("총무과", "general-affairs")
    services.registry.add_user("kim", PASSWORD, "staff", ["총무과"])
    services.registry.create_bot(BotDefinition(slug="dangjik", name="당직", departments=["총무과"],
                                               visibility="staff"))
    services.registry.set_published("dangjik", True)
    return services, TestClient(create_app(services), follow_redirects=False)


def test_repeated_failed_sign_ins_lock_the_name_for_a_while(sample_index: Services, tmp_path: Path) -> None:
    services, client = _app(sample_index, tmp_path, sign_in_attempts=3)
    for _ in range(3):
        assert client.post("/api/session", json={"username": "kim", "password": "wrong-password-1"}).status_code == 401
    locked = client.post("/api/session", json={"username": "kim", "password": PASSWORD})
    assert locked.status_code == 429 and "로그인 실패가 너무 많습니다" in locked.json()["detail"]
    page = client.post("/login", data={"username": "kim", "password": PASSWORD, "next": "/"})
    assert page.headers["location"].startswith("/login?failed=2")
    assert "로그인 실패가 너무 많습니다" in client.get(page.headers["location"]).text
    other = client.post("/api/session", json={"username": "nobody", "password": PASSWORD})
    assert other.status_code == 401  # another name is not locked
    failures = services.registry.audit_log(action="sign_in_failed")
    assert [e.target for e in failures].count("kim") == 3 and failures[0].address
    assert all("wrong-password" not in e.detail + e.target for e in failures)  # never the password


def test_questions_are_limited_per_user(sample_index: Services, tmp_path: Path) -> None:
    _, client = _app(sample_index, tmp_path, ask_per_minute=2)
    assert client.post("/api/session", json={"username": "kim", "password": PASSWORD}).status_code == 200
    asks = [client.post("/api/bots/dangjik/ask", json={"question": "당직 근무비는 얼마인가요?"}) for _ in range(3)]
    assert [a.status_code for a in asks] == [200, 200, 429]
    assert "질문이 너무 잦습니다" in asks[2].json()["detail"]


def test_command_line_actions_are_audited(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    runner = CliRunner()
    assert runner.invoke(main, ["departments", "add", "총무과", "--slug", "ga", "--data-dir", data]).exit_code == 0
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직", "departments": ["총무과"]}), encoding="utf-8")
    assert runner.invoke(main, ["bots", "create", "--from", str(bot), "--data-dir", data]).exit_code == 0
    assert runner.invoke(main, ["bots", "publish", "dangjik", "--data-dir", data]).exit_code == 0
    assert runner.invoke(main, ["bots", "rotate", "dangjik", "--data-dir", data]).exit_code == 0
    shown = json.loads(runner.invoke(main, ["audit", "--json", "--data-dir", data]).stdout)
    assert [(e["action"], e["target"]) for e in shown] == [("link_rotated", "dangjik"), ("bot_published", "dangjik"),
                                                           ("bot_created", "dangjik"), ("department_added", "총무과")]
    assert all(e["actor"].startswith("cli") for e in shown)
    text = runner.invoke(main, ["audit", "--action", "bot_published", "--data-dir", data]).stdout
    assert "bot_published" in text and "link_rotated" not in text


def test_a_trusted_proxy_header_signs_users_in(sample_index: Services, tmp_path: Path) -> None:
    """Single sign-on: the city's proxy authenticates and names the user in a header; deptbot keeps the roles."""
    services, client = _app(sample_index, tmp_path, sso_header="X-Remote-User")
    services.registry.add_user("lead", PASSWORD, "lead", ["총무과"])
    assert client.get("/").status_code == 303  # no header, no session: sign-in
    home = client.get("/", headers={"X-Remote-User": "kim"})
    assert home.status_code == 200 and "당직" in home.text
    assert client.get("/", headers={"X-Remote-User": "stranger"}).status_code == 303  # must exist in the registry
    assert client.get("/builder/", headers={"X-Remote-User": "kim"}).status_code == 403  # staff stay staff
    assert client.get("/builder/", headers={"X-Remote-User": "lead"}).status_code == 200
    asked = client.post("/api/bots/dangjik/ask", json={"question": "당직 근무비는 얼마인가요?"},
                        headers={"x-remote-user": "kim"})
    assert asked.status_code == 200
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    assert sessions.user({}, {"X-Remote-User": "kim"}) is not None  # the Gradio pages' path
    (tmp_path / "off").mkdir()
    _, plain = _app(sample_index, tmp_path / "off")
    assert plain.get("/", headers={"X-Remote-User": "kim"}).status_code == 303  # off unless configured
