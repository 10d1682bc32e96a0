"""The JSON API's routes of one's own saved conversations: listed per bot, read with citations, renamed, deleted;
another user's conversation answers 404 as an unknown one does, and an anonymous caller has none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from builder.conversations import SavedTurn
from builder.definitions import BotDefinition
from tests.ui.test_api import PASSWORD, six_roles
from ui.api import create_api
from ui.api_conversations import add_conversation_routes
from ui.wiring import Services

CITATION = {"n": 1, "file": "당직근무 운영지침.txt", "page": None, "article": "", "paragraph": "", "heading": "",
            "quote": "당직 근무비는 1회 60,000원", "title": "당직 근무 운영 지침", "department": "총무과", "source": 1}


@pytest.fixture(scope="module")
def api(sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    services = six_roles(sample_index, tmp_path_factory)
    services.registry.create_bot(BotDefinition(slug="by-link", name="당직", departments=["총무과"], visibility="link"))
    services.registry.set_published("by-link", True)
    app = create_api(services)
    add_conversation_routes(app, services)
    with TestClient(app) as client:
        yield services, client


def _as(api: tuple[Services, TestClient], role: str) -> TestClient:
    client = TestClient(api[1].app)
    if role != "anonymous":
        assert client.post("/api/session", json={"username": role, "password": PASSWORD}).status_code == 200
    return client


def test_one_s_own_conversations_listed_read_renamed_and_deleted(api: tuple[Services, TestClient]) -> None:
    services, _ = api
    store, staff = services.registry.conversations, services.registry.user("staff")
    saved = store.add_turn(staff.id, "by-link", SavedTurn("당직 근무비는 얼마인가요?", "60,000원 [1]", (CITATION,)))
    store.add_turn(staff.id, "by-link", SavedTurn("주말도 같나요?", "네 [1]", (CITATION,)), saved)
    client = _as(api, "staff")
    listed = client.get("/api/bots/by-link/conversations").json()
    assert [(c["id"], c["title"], c["turns"]) for c in listed] == [(saved, "당직 근무비는 얼마인가요?", 2)]
    read = client.get(f"/api/conversations/{saved}").json()
    assert [t["question"] for t in read["turns"]] == ["당직 근무비는 얼마인가요?", "주말도 같나요?"]
    assert read["turns"][0]["citations"][0]["quote"] == "당직 근무비는 1회 60,000원"
    assert client.patch(f"/api/conversations/{saved}", json={"title": "근무비"}).json()["title"] == "근무비"
    assert client.delete(f"/api/conversations/{saved}").json() == {"deleted": True}
    assert client.get(f"/api/conversations/{saved}").status_code == 404
    assert client.get("/api/bots/by-link/conversations").json() == []


def test_another_user_s_conversation_answers_404_and_an_anonymous_caller_has_none(
        api: tuple[Services, TestClient]) -> None:
    services, _ = api
    secret = services.registry.conversations.add_turn(services.registry.user("lead").id, "by-link",
                                                      SavedTurn("부서장의 질문", "답"))
    for role in ("staff", "staff_other", "admin"):
        client = _as(api, role)
        assert client.get(f"/api/conversations/{secret}").status_code == 404, role
        assert client.patch(f"/api/conversations/{secret}", json={"title": "가로챔"}).status_code == 404, role
        assert client.delete(f"/api/conversations/{secret}").status_code == 404, role
        assert all(c["id"] != secret for c in client.get("/api/bots/by-link/conversations").json())
    anonymous = _as(api, "anonymous")
    for response in (anonymous.get("/api/bots/by-link/conversations"), anonymous.get(f"/api/conversations/{secret}"),
                     anonymous.delete(f"/api/conversations/{secret}")):
        assert response.status_code == 401
    kept = services.registry.conversations.get(services.registry.user("lead").id, secret)
    assert kept.info.title == "부서장의 질문"
    assert _as(api, "staff_other").get("/api/bots/nope/conversations").json() == []  # no bot is looked up
