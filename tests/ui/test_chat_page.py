"""The shared chat page in a real browser (Debian chromium through playwright): starters, streamed answer, source
cards, sign-in for a private bot, the home page, and an unpublished bot. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.support.server import PASSWORD, deptbot, serving

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_staff_open_a_share_link_click_a_starter_and_read_a_cited_answer(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    deptbot("reindex", str(SAMPLES / "총무과"), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "icon": "🌙", "departments": ["총무과"],
                               "description": "당직 근무 지침에 답합니다", "visibility": "link",
                               "starters": ["당직 근무비는 얼마인가요?", "청사 순찰은 언제 하나요?"]},
                              ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(bot), data=data)
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"slug": "naebu", "name": "총무과 내부 도우미", "departments": ["총무과"],
                                   "visibility": "department"}, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(private), data=data)
    deptbot("bots", "publish", "naebu", data=data)
    deptbot("users", "add", "kim", "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
            stdin=PASSWORD + "\n")
    published = deptbot("bots", "publish", "dangjik", data=data).stdout
    link = published[published.index("/b/"):].split()[0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone-width screen
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server.base + link)
        page.get_by_text("당직 도우미").first.wait_for(timeout=30000)
        assert page.get_by_text("당직 근무 지침에 답합니다").first.is_visible()
        page.get_by_role("button", name="당직 근무비는 얼마인가요?").click()
        answer = page.locator("#chat").get_by_text("60,000원").first
        answer.wait_for(timeout=30000)
        card = page.locator("#chat .source-card").first
        card.wait_for(timeout=30000)
        assert "당직근무 운영지침.txt" in card.inner_text()
        page.screenshot(path=str(SHOTS / "chat-answer.png"), full_page=True)
        # No label lies over the conversation (Gradio floats the box's label on its top left corner, where it
        # overlaps the first line of a long answer on a phone); the conversation keeps its name for screen readers.
        log = page.get_by_role("log", name="대화")
        overlaps = log.evaluate("""log => {
            const box = log.getBoundingClientRect();
            return [...document.querySelectorAll("#chat [data-testid=block-label]")].filter(label => {
                const r = label.getBoundingClientRect();
                return r.width > 0 && r.left < box.right && r.right > box.left && r.top < box.bottom
                    && r.bottom > box.top;
            }).map(label => label.textContent.trim());
        }""")
        assert overlaps == []
        assert page.locator("#chat").get_by_role("button", name="좋아요", exact=True).count() >= 1
        outside = [url for url in requested if not url.startswith((server.base, "data:", "blob:"))]
        assert requested and outside == []  # nothing leaves the machine: no analytics, fonts or CDNs
        page.get_by_role("button", name="새 대화").click()
        page.locator("#chat").get_by_text("60,000원").first.wait_for(state="detached", timeout=10000)
        context.close()

        # A private bot sends an anonymous visitor to sign-in, and back to the bot after it.
        member = browser.new_context()
        page = member.new_page()
        page.goto(server.base + "/b/naebu")
        page.get_by_label("사용자 이름").wait_for(timeout=30000)
        assert "총무과 내부 도우미" not in page.content()
        page.screenshot(path=str(SHOTS / "sign-in.png"))
        page.get_by_label("사용자 이름").fill("kim")
        page.get_by_label("비밀번호").fill(PASSWORD)
        page.get_by_role("button", name="로그인").click()
        page.get_by_text("총무과 내부 도우미").first.wait_for(timeout=30000)
        page.goto(server.base + "/")
        page.get_by_text("총무과 내부 도우미").first.wait_for(timeout=30000)
        page.screenshot(path=str(SHOTS / "home.png"))
        member.close()

        deptbot("bots", "unpublish", "dangjik", data=data)
        stranger = browser.new_context()
        page = stranger.new_page()
        page.goto(server.base + link)
        page.get_by_text("봇을 찾을 수 없습니다").first.wait_for(timeout=30000)
        assert page.get_by_text("당직 도우미").count() == 0  # the name does not leak
        page.screenshot(path=str(SHOTS / "chat-not-found.png"))
        stranger.close()
