"""Drafts through the JSON API: a lead's saved changes to a published bot reach no one who asks through the API
(share-link key, staff, the lead themselves, the bot list) until the lead publishes again."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from builder.definitions import BotDefinition
from tests.ui.test_api import PASSWORD, six_roles
from ui.api import create_api
from ui.app import create_app
from ui.wiring import Services

DOCUMENT = "당직근무 운영지침.txt"  # documents of 총무과 in the sample index
NARROWED_OUT = "출장 여비 및 유연근무 업무 처리 매뉴얼(2025).docx"
UNANSWERABLE = "청사 내 직원 체력단련실의 월 이용료는 얼마인가요?"  # the sample documents do not say


def _definition(version: str) -> BotDefinition:
    return BotDefinition(slug="dangjik", name=f"당직 도우미 {version}", description=f"{version} 설명",
                         departments=["총무과"], visibility="link", refusal=f"{version} 거절 문구: 문서에 없습니다.")


@pytest.fixture
def api(sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    """A link bot published at version 1 ("게시본"), then saved by its lead as version 2 ("초안")."""
    services = six_roles(sample_index, tmp_path_factory)
    services.registry.create_bot(_definition("게시본"), "lead")
    services.registry.set_published("dangjik", True)
    services.registry.save_bot(_definition("초안"), "lead")
    with TestClient(create_api(services)) as client:
        yield services, client


def _signed_in(client: TestClient, role: str) -> TestClient:
    other = TestClient(client.app)
    if role != "anonymous":
        assert other.post("/api/session", json={"username": role, "password": PASSWORD}).status_code == 200
    return other


@pytest.mark.parametrize("role", ["anonymous", "staff", "lead", "admin"])
def test_everyone_who_asks_gets_the_published_version_until_it_is_published_again(
        api: tuple[Services, TestClient], role: str) -> None:
    services, client = api
    key = services.registry.bot("dangjik").link_key
    asker = _signed_in(client, role)
    before = asker.post("/api/bots/dangjik/ask", json={"question": UNANSWERABLE, "key": key})
    assert before.status_code == 200, before.text
    assert before.json()["refused"] and "게시본 거절 문구" in before.json()["answer"]
    assert "초안" not in before.text
    services.registry.set_published("dangjik", True)
    after = asker.post("/api/bots/dangjik/ask", json={"question": UNANSWERABLE, "key": key})
    assert "초안 거절 문구" in after.json()["answer"] and "게시본" not in after.text


def test_the_bot_list_shows_the_published_name_and_description(api: tuple[Services, TestClient]) -> None:
    services, client = api
    for role in ("staff", "lead"):
        listed = {b["slug"]: b for b in _signed_in(client, role).get("/api/bots").json()}
        assert (listed["dangjik"]["name"], listed["dangjik"]["description"]) == ("당직 도우미 게시본", "게시본 설명")
    services.registry.set_published("dangjik", True)
    listed = {b["slug"]: b for b in _signed_in(client, "staff").get("/api/bots").json()}
    assert listed["dangjik"]["name"] == "당직 도우미 초안"


def test_no_one_gets_a_draft_of_an_unpublished_bot_but_its_managers(api: tuple[Services, TestClient]) -> None:
    services, client = api
    key = services.registry.bot("dangjik").link_key
    services.registry.set_published("dangjik", False)
    for role in ("anonymous", "staff", "staff_other", "lead_other"):
        asked = _signed_in(client, role).post("/api/bots/dangjik/ask", json={"question": UNANSWERABLE, "key": key})
        assert asked.status_code == 404 and "초안" not in asked.text, role
        assert "초안" not in _signed_in(client, role).get("/api/bots").text, role
    tried = _signed_in(client, "lead").post("/api/bots/dangjik/ask", json={"question": UNANSWERABLE})
    assert "초안 거절 문구" in tried.json()["answer"]  # the lead tries their unpublished bot, as before drafts


def test_a_draft_s_wider_knowledge_opens_no_document_and_the_home_page_shows_the_published_name(
        sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Published narrowed to one document, the draft to all: through the share link only that one opens."""
    services = six_roles(sample_index, tmp_path_factory)
    narrowed = _definition("게시본").model_copy(update={"documents": [f"총무과/{DOCUMENT}"]})
    key = services.registry.create_bot(narrowed, "lead").link_key
    services.registry.set_published("dangjik", True)
    services.registry.save_bot(_definition("초안"), "lead")  # the whole of 총무과's documents
    with TestClient(create_app(services), follow_redirects=False) as client:
        other = client.get(f"/files/general-affairs/{quote(NARROWED_OUT)}?bot=dangjik&key={quote(key)}")
        chosen = client.get(f"/files/general-affairs/{quote(DOCUMENT)}?bot=dangjik&key={quote(key)}")
        assert (other.status_code, chosen.status_code) == (404, 200)
        staff = TestClient(client.app, follow_redirects=False)
        staff.post("/login", data={"username": "staff", "password": PASSWORD, "next": "/"})
        home = staff.get("/").text
        assert "당직 도우미 게시본" in home and "초안" not in home
        services.registry.set_published("dangjik", True)
        opened = client.get(f"/files/general-affairs/{quote(NARROWED_OUT)}?bot=dangjik&key={quote(key)}")
        assert opened.status_code == 200
        assert "당직 도우미 초안" in staff.get("/").text
