"""Nothing sensitive stays in the browser: Gradio's run history kept builder actions and chat questions and answers
(share keys, document text, unmasked resident numbers) in localStorage, readable at /builder/gradio_api/runs after
signing out. It is off, and signing out clears what the site kept."""

from __future__ import annotations

from typing import Any

import httpx

from tests.security.conftest import Site
from tests.support.server import PASSWORD

SECRET_QUESTION = "주민번호 900101-1234567 인 직원의 당직 근무비는 얼마인가요?"
STORAGE = """async () => {
  const databases = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
  return JSON.stringify({local: Object.assign({}, localStorage), session: Object.assign({}, sessionStorage),
                         databases: databases, cookies: document.cookie});
}"""


def test_nothing_sensitive_stays_in_the_browser(site: Site, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.base + "/login?next=/builder/")
    page.get_by_label("사용자 이름").fill("lead")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_text("봇 만들기").first.wait_for(timeout=30000)
    page.locator("#bot-picker input").first.click()
    page.get_by_role("option", name="당직 도우미 (dangjik)").first.click()
    page.get_by_role("button", name="링크 바꾸기").click()
    page.get_by_text("새 링크를 만들었습니다").first.wait_for(timeout=30000)
    key = site.registry().bot("dangjik").link_key
    page.goto(f"{site.base}/b/dangjik?key={key}")
    page.locator("#question textarea").fill(SECRET_QUESTION)
    page.get_by_role("button", name="보내기").click()
    page.locator("#chat .source-card").first.wait_for(timeout=60000)
    before = page.evaluate(STORAGE)
    page.goto(site.base + "/logout")
    page.get_by_label("사용자 이름").wait_for(timeout=30000)
    after = page.evaluate(STORAGE)
    context.close()
    for kept in (before, after):  # run history is off: nothing was kept even while signed in
        assert key not in kept and "900101" not in kept and "당직 근무비" not in kept, kept
    assert "deptbot_session" not in after
    for cookie in ("", site.cookie("lead")):
        for mount in ("builder", "chat"):
            assert httpx.get(f"{site.base}/{mount}/gradio_api/runs", headers={"Cookie": cookie}).status_code == 404
