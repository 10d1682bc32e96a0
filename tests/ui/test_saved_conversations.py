"""Saved conversations and answers that keep their sources, on a real server in a real browser (Debian chromium
through playwright): a signed-in staff member's conversation is kept, listed, resumed after a reload with every
answer's source cards, renamed and deleted; earlier answers keep their cards; an answer copies as plain text with
its citations; an empty question is answered with a message; and another user's conversation id (or an anonymous
visitor's) opens, renames and deletes nothing. Screenshots at desktop and phone width go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from builder.registry import Registry, default_url
from tests.conftest import SAMPLES
from tests.support.gradio_events import ChatSession
from tests.support.server import PASSWORD, Server, deptbot, serving
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the fixture)

FIRST, SECOND = "당직 근무비는 얼마인가요?", "청사 순찰은 언제 하나요?"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, str]]:
    """A server with the 당직 도우미 bot shared by link, and two staff members: (server, data folder, link)."""
    root = tmp_path_factory.mktemp("conversations")
    data = root / "data"
    deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    bot = root / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                               "description": "당직 근무 지침에 답합니다", "visibility": "link",
                               "starters": [FIRST, SECOND]}, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(bot), data=data)
    for name in ("kim", "lee"):
        deptbot("users", "add", name, "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
                stdin=PASSWORD + "\n")
    published = deptbot("bots", "publish", "dangjik", data=data).stdout
    link = published[published.index("/b/"):].split()[0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        yield server, data, link


def _sign_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login?next=/b/dangjik")
    page.get_by_label("사용자 이름").fill(name)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.locator("#bot-header").get_by_text("당직 도우미").wait_for(timeout=60000)


def _ask(page: Any, question: str, answers: int) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    page.wait_for_function(f"document.querySelectorAll('#chat .answer-tools').length === {answers}", timeout=60000)


def _shoot_first_answer(page: Any, name: str) -> None:
    """A screenshot of the chat scrolled back to the first answer (a full-page shot shows only the last)."""
    page.locator("#chat .answer-sources").first.scroll_into_view_if_needed()
    page.locator("#chat").screenshot(path=str(SHOTS / name))


def _open_history(page: Any) -> None:
    if not page.locator("#conversation-list").is_visible():
        page.locator("#history").get_by_text("지난 대화").first.click()
    page.locator("#conversation-list").wait_for(timeout=10000)


def _registry(data: Path) -> Registry:
    return Registry.open(default_url(data))


def _stored_turns(data: Path) -> int:
    registry = _registry(data)
    try:
        with registry.engine.connect() as connection:
            return int(connection.execute(text("select count(*) from conversation_turns")).scalar_one())
    finally:
        registry.close()


def test_a_signed_in_conversation_is_kept_resumed_renamed_and_deleted(browser, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, data, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    page = context.new_page()
    _sign_in(page, server.base, "kim")

    # An empty question says what to do instead of doing nothing.
    page.get_by_role("button", name="보내기").click()
    page.locator("#ask-status").get_by_text("질문을 입력한 뒤 보내기를 눌러 주세요").wait_for(timeout=30000)

    # Two questions: the first answer keeps its source cards when the second comes.
    page.get_by_role("button", name=FIRST).click()
    page.locator("#chat .answer-sources").first.wait_for(timeout=60000)
    assert page.locator("#ask-status").inner_text().strip() == ""
    _ask(page, SECOND, answers=2)
    bubbles = page.locator("#chat .answer-sources")
    assert bubbles.count() == 2
    assert "당직근무 운영지침.txt" in bubbles.nth(0).inner_text() and "60,000원" in bubbles.nth(0).inner_text()
    assert bubbles.nth(0).locator(".source-card").count() >= 1 and bubbles.nth(1).locator(".source-card").count() >= 1
    _shoot_first_answer(page, "chat-earlier-answer-desktop.png")

    # The first answer copies as plain text, with its numbered citations and their quotes, not as HTML.
    page.locator("#chat button.copy-answer").first.click()
    page.locator("#chat button.copy-answer").first.get_by_text("복사했습니다").wait_for(timeout=10000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "60,000원" in copied and "\n출처\n[1] " in copied and "당직근무 운영지침.txt" in copied, copied
    assert "<" not in copied and "&lt;" not in copied and "&#" not in copied
    page.screenshot(path=str(SHOTS / "chat-two-answers-desktop.png"), full_page=True)

    # After a reload the conversation is in the list, titled by its first question, and resumes with both turns
    # and both answers' cards.
    page.reload()
    page.locator("#bot-header").get_by_text("당직 도우미").wait_for(timeout=60000)
    assert page.locator("#chat .answer-sources").count() == 0
    _open_history(page)
    entry = page.locator("#conversation-list label").filter(has_text=FIRST)
    assert entry.count() == 1
    entry.click()
    page.wait_for_function("document.querySelectorAll('#chat .answer-sources').length === 2", timeout=30000)
    chat = page.locator("#chat").inner_text()
    assert chat.index(FIRST) < chat.index(SECOND) and "60,000원" in chat
    page.screenshot(path=str(SHOTS / "chat-resumed-desktop.png"), full_page=True)
    page.locator("#chat").get_by_role("button", name="좋아요", exact=True).first.click()  # a resumed answer is rated
    page.locator("#feedback-status").get_by_text("평가가 기록되었습니다").wait_for(timeout=30000)

    # It continues: a third question joins the same conversation (one entry, three turns in the registry).
    _ask(page, "당직 근무 후에 휴무가 있나요?", answers=3)
    registry = _registry(data)
    try:
        kim = registry.user("kim").id
        (saved,) = registry.conversations.listed(kim, "dangjik")
        assert saved.turns == 3 and saved.title == FIRST
    finally:
        registry.close()

    # Rename, then delete (after a confirmation).
    page.locator("#conversation-title textarea, #conversation-title input").first.fill("당직 근무비 문의")
    page.locator("#rename-conversation").click()
    page.locator("#conversation-list").get_by_text("당직 근무비 문의").wait_for(timeout=30000)
    assert page.locator("#conversation-list label").filter(has_text=FIRST).count() == 0
    page.screenshot(path=str(SHOTS / "chat-history-desktop.png"), full_page=True)
    page.locator("#delete-conversation").click()
    page.locator("#confirm-delete-yes").click()
    page.locator("#history-status").get_by_text("대화를 지웠습니다").wait_for(timeout=30000)
    assert page.locator("#conversation-list label").count() == 0
    assert page.locator("#chat .answer-sources").count() == 0
    context.close()
    registry = _registry(data)
    try:
        assert registry.conversations.listed(registry.user("kim").id, "dangjik") == []
    finally:
        registry.close()


def test_on_a_phone_an_anonymous_visitor_keeps_conversations_for_the_page_only(browser, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, data, link = site
    stored = _stored_turns(data)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server.base + link)
    page.locator("#bot-header").get_by_text("당직 도우미").wait_for(timeout=60000)
    page.get_by_role("button", name=FIRST).click()
    page.locator("#chat .answer-sources").first.wait_for(timeout=60000)
    _ask(page, SECOND, answers=2)
    assert page.locator("#chat .answer-sources").nth(0).locator(".source-card").count() >= 1
    page.screenshot(path=str(SHOTS / "chat-two-answers-phone.png"), full_page=True)
    _shoot_first_answer(page, "chat-earlier-answer-phone.png")
    page.get_by_role("button", name="새 대화").click()
    _open_history(page)
    assert "저장되지 않고" in page.locator("#history-note").inner_text()
    page.locator("#conversation-list label").filter(has_text=FIRST).click()  # this visit's conversation
    page.wait_for_function("document.querySelectorAll('#chat .answer-sources').length === 2", timeout=30000)
    page.screenshot(path=str(SHOTS / "chat-history-phone.png"), full_page=True)
    page.reload()  # gone with the page, and nothing was stored for the visitor
    page.locator("#bot-header").get_by_text("당직 도우미").wait_for(timeout=60000)
    _open_history(page)
    assert page.locator("#conversation-list label").count() == 0
    context.close()
    assert _stored_turns(data) == stored  # nothing of the visit was stored


def _cookie(base: str, name: str) -> str:
    response = httpx.post(f"{base}/api/session", json={"username": name, "password": PASSWORD})
    return response.headers["set-cookie"].split(";", 1)[0]


def test_another_user_s_conversation_opens_renames_and_deletes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    server, data, link = site
    kim = ChatSession(server.base, _cookie(server.base, "kim"), "?bot=dangjik")
    kim.call("load", [])
    kim.call("respond", ["당직 근무비는 얼마인가요? 김의 비밀 질문", None])
    registry = _registry(data)
    try:
        (secret,) = [c.id for c in registry.conversations.listed(registry.user("kim").id, "dangjik")
                     if "김의 비밀" in c.title]
    finally:
        registry.close()
    key = link.split("key=", 1)[1]
    for who, cookie, query in (("lee", _cookie(server.base, "lee"), "?bot=dangjik"), ("anonymous", "",
                                                                                       f"?bot=dangjik&key={key}")):
        other = ChatSession(server.base, cookie, query)
        loaded = json.dumps(other.call("load", []), ensure_ascii=False)
        assert "당직 도우미" in loaded and secret not in loaded and "김의 비밀" not in loaded, who
        forged = {"bot": "dangjik", "key": key, "conversation": secret, "messages": []}  # a state sent by a client
        for name, data_ in (("resume", [secret, None]), ("resume", [secret, forged]), ("rename", ["가로챔", forged]),
                            ("delete", [forged])):
            answer = json.dumps(other.call(name, data_), ensure_ascii=False)
            assert "김의 비밀" not in answer and "60,000원" not in answer, (who, name, answer)
    registry = _registry(data)
    try:
        kept = registry.conversations.get(registry.user("kim").id, secret)
        assert kept.info.title.startswith("당직 근무비는 얼마인가요? 김의 비밀") and len(kept.turns) == 1
    finally:
        registry.close()
