"""Drafts in a real browser (issue 12, "a draft is not seen on the share link until published").

A lead changes a published bot's name, description and refusal text and saves: the share link, opened by an
anonymous visitor in another browser context, still shows the published name, and the builder says which version
is live and which fields the draft changed. The chat page's events, called as an anonymous visitor and as a staff
member (with a state of their own making), give nothing of the draft. The lead publishes: the link shows the new
name. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from builder.registry import Registry, default_url
from tests.conftest import SAMPLES
from tests.support.gradio_events import ChatSession
from tests.support.server import PASSWORD, deptbot, serving
from tests.ui.test_builder_forms import _box, _save, _sign_in
from tests.ui.test_builder_page import _pick
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

UNANSWERABLE = "청사 내 직원 체력단련실의 월 이용료는 얼마인가요?"  # the sample documents do not say


def _cookie(base: str, name: str) -> str:
    response = httpx.post(f"{base}/api/session", json={"username": name, "password": PASSWORD})
    return response.headers["set-cookie"].split(";", 1)[0]


def _events(base: str, cookie: str, query: str) -> str:
    """What the chat page's events give a visitor: the page's load, and an answer (also with a forged state)."""
    visit = ChatSession(base, cookie, query)
    given = [visit.call("load", []), visit.call("respond", [UNANSWERABLE, None])]
    forged = {"bot": "dangjik", "key": query.partition("key=")[2] or None, "messages": [], "version": 2}
    given.append(visit.call("respond", [UNANSWERABLE, forged]))
    return json.dumps(given, ensure_ascii=False)


def test_a_draft_is_not_seen_on_the_share_link_until_the_lead_publishes(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    for name, role in (("lee", "lead"), ("kim", "staff")):
        deptbot("users", "add", name, "--role", role, "--department", "총무과", "--password-stdin", data=data,
                stdin=PASSWORD + "\n")
    source = tmp_path / "bot.json"
    source.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "description": "당직 근무 지침에 답합니다",
                                  "departments": ["총무과"], "refusal": "게시본 거절: 문서에 없습니다."},
                                 ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(source), data=data)
    published = deptbot("bots", "publish", "dangjik", data=data).stdout
    link = published[published.index("/b/"):].split()[0]
    query = f"?bot=dangjik&key={link.partition('key=')[2]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        lead = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _sign_in(lead, server.base)
        _pick(lead, "bot-picker", "당직 도우미 (dangjik)")
        lead.locator("#share-status").get_by_text("게시 중: 버전 1").wait_for(timeout=30000)
        assert lead.locator("#publish").is_disabled()  # nothing to publish yet

        # The lead edits and saves: a draft.
        _box(lead, "bot-name").fill("당직 안내 도우미")
        _box(lead, "bot-description").fill("당직과 청사 순찰에 답합니다")
        lead.get_by_text("거절 문구, 문의처, 공개 범위, 생성기").click()
        _box(lead, "bot-refusal").fill("초안 거절: 총무과에 물어보세요.")
        _save(lead, "초안입니다")
        assert "직원에게는 아직 게시한 버전 1이 보입니다" in lead.locator("#builder-status").inner_text()
        status = lead.locator("#share-status")
        status.get_by_text("초안: 버전 2").wait_for(timeout=30000)
        assert "게시 후 바뀐 항목: 이름, 설명, 거절 문구" in status.inner_text()
        assert lead.locator("#publish").inner_text().strip() == "🚀 변경 사항 게시"
        lead.get_by_role("button", name="버전 기록, 복제, 내보내기·가져오기").click()
        table = lead.locator("#version-table")
        lead.wait_for_function("document.querySelector('#version-table').innerText.includes('게시 중')",
                               timeout=30000)
        history = table.inner_text()  # newest first: version 2 the draft, version 1 live
        assert history.count("게시 중") == 1 and history.index("초안") < history.index("게시 중"), history
        restore = lead.locator("#restore-number input")
        assert restore.evaluate("e => e.checkValidity()")  # the untouched field is not marked invalid (red)
        lead.screenshot(path=str(SHOTS / "builder-draft.png"), full_page=True)

        # Staff and anonymous visitors still get version 1: the page, and every event of it.
        visitor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        visitor.goto(server.base + link)
        header = visitor.locator("#bot-header")
        header.get_by_text("당직 근무 지침에 답합니다").wait_for(timeout=90000)
        assert "당직 도우미" in header.inner_text() and "당직 안내" not in header.inner_text()
        for who, cookie, asked in (("anonymous", "", query), ("staff", _cookie(server.base, "kim"), "?bot=dangjik")):
            given = _events(server.base, cookie, asked)
            assert "게시본 거절" in given and "당직 도우미" in given, who
            assert "초안" not in given and "당직 안내" not in given and "순찰에 답합니다" not in given, who

        # The lead publishes the draft: the link shows it.
        lead.locator("#publish").click()
        lead.locator("#builder-status").get_by_text("버전 2를 게시했습니다").wait_for(timeout=30000)
        lead.locator("#share-status").get_by_text("게시 중: 버전 2").wait_for(timeout=30000)
        assert lead.locator("#publish").is_disabled()
        visitor.reload()
        visitor.locator("#bot-header").get_by_text("당직 안내 도우미").wait_for(timeout=90000)
        assert "초안 거절" in _events(server.base, "", query)
    registry = Registry.open(default_url(data))
    try:  # each publish is audited with the version it published (the command line's, then the lead's)
        published_by = [(e.actor, e.detail) for e in registry.audit_log(action="bot_published")]
        assert [detail for _, detail in published_by] == ["version 2", "version 1"] and published_by[0][0] == "lee"
    finally:
        registry.close()
