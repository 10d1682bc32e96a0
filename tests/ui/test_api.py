"""The JSON API and its access rules: every role against every kind of bot, share-link keys, sign-in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from builder.definitions import BotDefinition
from tests.conftest import make_services
from ui.api import create_api
from ui.wiring import Services

PASSWORD = "correct-horse-battery"
ROLES = ["anonymous", "staff_other", "staff", "lead_other", "lead", "admin"]


def six_roles(sample_index: Services, tmp_path_factory: pytest.TempPathFactory, contact: str = "") -> Services:
    """The sample index with a registry of its own: 총무과 and 민원여권과, and a user of each signed-in role."""
    registry_file = tmp_path_factory.mktemp("registry") / "registry.db"
    services = make_services(sample_index.settings.data_dir, database_url=f"sqlite:///{registry_file}",
                             ask_per_minute=10_000, ask_per_minute_address=10_000)  # limits: test_limits.py
    registry = services.registry
    registry.add_department("총무과", "general-affairs", contact)
    registry.add_department("민원여권과", "civil-passport")
    registry.add_user("admin", PASSWORD, "admin")
    registry.add_user("lead", PASSWORD, "lead", ["총무과"])
    registry.add_user("lead_other", PASSWORD, "lead", ["민원여권과"])
    registry.add_user("staff", PASSWORD, "staff", ["총무과"])
    registry.add_user("staff_other", PASSWORD, "staff", ["민원여권과"])
    return services


@pytest.fixture(scope="module")
def api(sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    """The sample index with its own registry: 총무과 bots of each visibility, users of each role."""
    services = six_roles(sample_index, tmp_path_factory, "총무과 청사관리팀 내선 1135")
    registry = services.registry
    for slug, visibility, published in [("by-link", "link", True), ("for-staff", "staff", True),
                                        ("for-dept", "department", True), ("draft", "department", False)]:
        registry.create_bot(BotDefinition(slug=slug, name=f"당직 {slug}", departments=["총무과"],
                                          visibility=visibility))
        registry.set_published(slug, published)
    with TestClient(create_api(services)) as client:
        yield services, client


def _client(api: tuple[Services, TestClient], role: str) -> TestClient:
    client = TestClient(api[1].app)
    if role != "anonymous":
        response = client.post("/api/session", json={"username": role, "password": PASSWORD})
        assert response.status_code == 200, response.text
    return client


# Who may ask which bot (key: whether the request carries the current share-link key).
EXPECTED = {
    ("by-link", False): {"staff", "lead", "admin"},
    ("by-link", True): set(ROLES),
    ("for-staff", False): set(ROLES) - {"anonymous"},
    ("for-dept", False): {"staff", "lead", "admin"},
    ("draft", False): {"lead", "admin"},
    ("draft", True): {"lead", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("slug", "with_key"), sorted(EXPECTED))
def test_ask_is_allowed_exactly_by_the_access_rules(api: tuple[Services, TestClient], role: str, slug: str,
                                                    with_key: bool) -> None:
    services, _ = api
    client = _client(api, role)
    key = services.registry.bot(slug).link_key if with_key else None
    response = client.post(f"/api/bots/{slug}/ask", json={"question": "당직 근무비는 얼마인가요?", "key": key})
    if role in EXPECTED[(slug, with_key)]:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "60,000원" in body["answer"] and body["citations"][0]["file"] == "당직근무 운영지침.txt"
        assert body["citations"][0]["page"] is None and body["trace_id"] and body["refused"] is False
    else:
        assert response.status_code == 404
        assert slug not in response.text and "당직" not in response.text  # nothing about the bot leaks


@pytest.mark.parametrize("role", ROLES)
def test_the_bot_list_shows_what_the_user_may_use(api: tuple[Services, TestClient], role: str) -> None:
    listed = {bot["slug"] for bot in _client(api, role).get("/api/bots").json()}
    expected = {slug for (slug, with_key), roles in EXPECTED.items() if not with_key and role in roles}
    assert listed == expected


def test_an_unknown_bot_and_a_forbidden_one_look_the_same(api: tuple[Services, TestClient]) -> None:
    client = _client(api, "anonymous")
    unknown = client.post("/api/bots/no-such-bot/ask", json={"question": "질문"})
    forbidden = client.post("/api/bots/for-dept/ask", json={"question": "질문"})
    assert unknown.status_code == forbidden.status_code == 404 and unknown.json() == forbidden.json()


def test_a_rotated_key_stops_working_at_once(api: tuple[Services, TestClient]) -> None:
    services, _ = api
    client = _client(api, "anonymous")
    old = services.registry.bot("by-link").link_key
    assert client.post("/api/bots/by-link/ask", json={"question": "당직 근무비는?", "key": old}).status_code == 200
    new = services.registry.rotate_link("by-link").link_key
    assert client.post("/api/bots/by-link/ask", json={"question": "당직 근무비는?", "key": old}).status_code == 404
    assert client.post("/api/bots/by-link/ask", json={"question": "당직 근무비는?", "key": new}).status_code == 200


def test_sign_in_sets_a_protected_cookie_and_wrong_passwords_are_refused(api: tuple[Services, TestClient]) -> None:
    client = _client(api, "anonymous")
    wrong = client.post("/api/session", json={"username": "staff", "password": "not-the-password"})
    assert wrong.status_code == 401 and "비밀번호" in wrong.json()["detail"]
    right = client.post("/api/session", json={"username": "staff", "password": PASSWORD})
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and PASSWORD not in right.text
    assert client.delete("/api/session").status_code == 200
    assert client.get("/api/bots").json() == []


def test_follow_ups_and_limits(api: tuple[Services, TestClient]) -> None:
    client = _client(api, "staff")
    first = client.post("/api/bots/for-dept/ask", json={"question": "당직 근무비는 얼마인가요?"}).json()
    history = [{"question": "당직 근무비는 얼마인가요?", "answer": first["answer"]}]
    follow = client.post("/api/bots/for-dept/ask", json={"question": "언제 지급하나요?", "history": history})
    assert follow.status_code == 200 and "다음 달 급여" in follow.json()["answer"]
    # A client may send back the citations the answer gave; titles the bot does not hold change nothing.
    history[0]["citations"] = [*first["citations"], {"title": "없는 법률", "article": "제1조"}]
    cited = client.post("/api/bots/for-dept/ask", json={"question": "언제 지급하나요?", "history": history})
    assert cited.status_code == 200 and "다음 달 급여" in cited.json()["answer"]
    history[0]["citations"] = [{"title": "x", "article": "제1조"}] * 21
    assert client.post("/api/bots/for-dept/ask", json={"question": "언제 지급하나요?",
                                                       "history": history}).status_code == 422
    too_long = client.post("/api/bots/for-dept/ask", json={"question": "가" * 2001})
    assert too_long.status_code == 422


def test_openapi_docs_are_served(api: tuple[Services, TestClient]) -> None:
    client = _client(api, "anonymous")
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/bots", "/api/bots/{slug}/ask", "/api/session"} <= set(paths)


def test_a_session_is_a_random_token_whose_hash_alone_the_registry_keeps(api: tuple[Services, TestClient]) -> None:
    services, _ = api
    client = _client(api, "staff")
    token = client.cookies["deptbot_session"]
    assert token.startswith("dbs_") and len(token) > 40 and "staff" not in token
    with services.registry.engine.connect() as connection:
        stored = [row[0] for row in connection.exec_driver_sql("SELECT token_sha256 FROM sessions")]
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    assert not (Path(services.settings.data_dir) / "session.key").exists()  # no signing key to steal


def test_a_reader_rates_an_answer_of_the_bot_and_only_of_it(api: tuple[Services, TestClient]) -> None:
    services, _ = api
    staff = _client(api, "staff")
    answer = staff.post("/api/bots/for-dept/ask", json={"question": "당직 근무비는 얼마인가요?"}).json()
    rated = staff.post("/api/bots/for-dept/feedback", json={"trace_id": answer["trace_id"], "rating": -1,
                                                            "comment": "금액이 바뀌었어요"})
    assert rated.status_code == 200
    assert [(f.trace_id, f.rating, f.comment, f.username) for f in services.registry.feedback("for-dept")] == [
        (answer["trace_id"], -1, "금액이 바뀌었어요", "staff")]
    # An answer of another bot, an unknown answer, or a bot the reader may not use: nothing is recorded.
    assert staff.post("/api/bots/for-staff/feedback", json={"trace_id": answer["trace_id"],
                                                            "rating": 1}).status_code == 404
    assert staff.post("/api/bots/for-dept/feedback", json={"trace_id": "0" * 32, "rating": 1}).status_code == 404
    anonymous = _client(api, "anonymous")
    assert anonymous.post("/api/bots/for-dept/feedback", json={"trace_id": answer["trace_id"],
                                                               "rating": 1}).status_code == 404
    assert len(services.registry.feedback("for-dept")) == 1


def test_an_api_token_acts_as_its_user_without_a_cookie(api: tuple[Services, TestClient]) -> None:
    services, _ = api
    token = services.registry.issue_token("staff", "연동 시험")
    client = TestClient(api[1].app)
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/bots/for-dept/ask", json={"question": "당직 근무비는 얼마인가요?"}, headers=headers)
    assert answer.status_code == 200 and "60,000원" in answer.json()["answer"]
    assert {b["slug"] for b in client.get("/api/bots", headers=headers).json()} == {"by-link", "for-staff",
                                                                                     "for-dept"}
    token_id = next(t.id for t in services.registry.tokens() if t.label == "연동 시험")
    services.registry.revoke_token(token_id)
    refused = client.post("/api/bots/for-dept/ask", json={"question": "당직 근무비는?"}, headers=headers)
    assert refused.status_code == 404


def test_questions_asked_at_once_are_answered_at_once(api: tuple[Services, TestClient]) -> None:
    """No lock around answering: sixteen simultaneous questions on eight threads all get their own right answer."""
    from concurrent.futures import ThreadPoolExecutor

    questions = {"당직 근무비는 얼마인가요?": "60,000원", "시간외근무 한도는 하루 몇 시간인가요?": "4시간"}
    client = _client(api, "staff")

    def ask(question: str) -> tuple[str, str]:
        response = client.post("/api/bots/for-staff/ask", json={"question": question})
        assert response.status_code == 200, response.text
        return question, response.json()["answer"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, list(questions) * 8))
    assert len(answers) == 16 and all(questions[q] in a for q, a in answers)
