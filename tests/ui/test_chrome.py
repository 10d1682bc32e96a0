"""Every page in Korean, with our name and none of Gradio's chrome, at desktop and phone width, in a real browser.

One server for the module (a department, a published bot, a lead and a staff member, no administrator yet, so
the one-time setup link is live). The pages are visited as a browser set to English would (Gradio's worst case:
its own words fall back to English) and as a Korean one. Screenshots of each page at 1280 and 390 px go to
artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder.passwords import MIN_LENGTH, rules
from tests.conftest import SAMPLES
from tests.support.server import PASSWORD, Server, deptbot, serving
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

PHONE, DESKTOP = 390, 1280
# What leaked before: Gradio's footer, its English labels, a raw i18n key, a bare "Not Found".
ENGLISH = ["Runs", "Use via API", "Built with Gradio", "Settings", "steps", "Not Found", "Copy message",
           "Copied message", "Copy conversation", "Liked", "Disliked", "Like", "Dislike", "Clear", "Share",
           "chatbot conversation", "More tabs", "Table actions", "Copy table data", "Open cell menu", "Empty value",
           "Fullscreen", "Drop File Here", "Click to Upload", "Click to upload or drop files", "File upload",
           "Textbox", "Loading", "Submit", "Dropdown"]
KOREAN_CHROME = ["API를 통해 사용", "Gradio로 제작됨", "common.complete", "'s message"]
_ENGLISH = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
_WORDS = """() => {
  const values = [document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]'))
    for (const name of ['aria-label', 'title', 'placeholder', 'alt'])
      if (el.hasAttribute(name)) values.push(el.getAttribute(name));
  const gradio = [...document.querySelectorAll('a')].filter(a => /gradio/i.test(a.textContent + a.href))
    .map(a => a.outerHTML.slice(0, 120));
  return {values, gradio};
}"""


def english_on(page: Any) -> list[str]:
    """The English or Gradio chrome a visitor can read or hear on the page (text, labels, titles, links)."""
    found = page.evaluate(_WORDS)
    leaks = list(found["gradio"])
    for value in found["values"]:
        leaks += _ENGLISH.findall(value) + [w for w in KOREAN_CHROME if w in value]
    return leaks


def fits(page: Any, width: int) -> None:
    """Nothing wider than the screen: no horizontal scroll."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide on a {width} px screen"


def shot(page: Any, name: str, width: int) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """The running server and its one-time setup token."""
    data = tmp_path_factory.mktemp("chrome") / "data"
    folder = shutil.copytree(SAMPLES / "총무과", data.parent / "총무과")  # uploads land beside the indexed files
    deptbot("reindex", str(folder), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    for slug, name in (("dangjik", "당직 도우미"), ("bokmu", "복무 규정 도우미")):
        bot = data.parent / f"{slug}.json"
        bot.write_text(json.dumps({"slug": slug, "name": name, "departments": ["총무과"], "visibility": "department",
                                   "description": "당직·복무 지침에 답합니다",
                                   "starters": ["당직 근무비는 얼마인가요?", "청사 순찰은 언제 하나요?"]},
                                  ensure_ascii=False), encoding="utf-8")
        deptbot("bots", "create", "--from", str(bot), data=data)
        deptbot("bots", "publish", slug, data=data)
    for user, role in (("kim", "staff"), ("lee", "lead")):
        deptbot("users", "add", user, "--role", role, "--department", "총무과", "--password-stdin", data=data,
                stdin=PASSWORD + "\n")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        token = ""
        while not token:  # printed before the server starts listening, so it is there to read
            line = server.process.stdout.readline() if server.process.stdout else ""
            assert line, "no setup link printed"
            token = line.split("/setup?token=")[1].strip() if "/setup?token=" in line else ""
        yield server, token


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_staff_pages_are_korean_with_no_gradio_chrome_and_fit_the_screen(browser, site, width: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, _ = site
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(server.base + "/login")
    assert page.locator(".brand").get_by_text("deptbot").is_visible()  # the product's name
    assert page.locator('meta[name="viewport"]').count() == 1
    assert english_on(page) == [] and fits(page, width) is None
    shot(page, "sign-in", width)

    _sign_in(page, server.base, "kim")
    assert page.get_by_role("link", name="봇 만들기").count() == 0  # staff do not build bots
    assert english_on(page) == [] and fits(page, width) is None
    shot(page, "home-staff", width)

    page.get_by_role("link", name="당직 도우미").click()
    page.get_by_role("button", name="당직 근무비는 얼마인가요?").click()
    page.locator("#chat .source-card").first.wait_for(timeout=60000)
    page.get_by_role("button", name="보내기").wait_for(timeout=30000)  # the answer has finished
    page.get_by_role("button", name="싫어요").first.click()
    page.locator("#feedback-comment").wait_for(timeout=30000)
    page.wait_for_timeout(500)
    assert english_on(page) == [], page.url
    fits(page, width)
    shot(page, "chat-answer", width)

    page.goto(server.base + "/builder/")
    page.get_by_text("권한이 없습니다").wait_for(timeout=30000)
    assert page.locator(".brand").get_by_text("deptbot").is_visible()
    assert english_on(page) == [] and fits(page, width) is None
    shot(page, "forbidden", width)

    page.goto(server.base + "/no-such-page")
    assert page.get_by_text("페이지를 찾을 수 없습니다").is_visible()
    assert english_on(page) == [] and fits(page, width) is None
    shot(page, "not-found", width)
    context.close()


def test_a_korean_browser_hears_no_english_in_the_chat(browser, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, _ = site
    context = browser.new_context(viewport={"width": PHONE, "height": 844}, locale="ko-KR")
    page = context.new_page()
    _sign_in(page, server.base, "kim")
    page.goto(server.base + "/b/dangjik")
    page.get_by_role("button", name="청사 순찰은 언제 하나요?").click()
    page.locator("#chat .source-card").first.wait_for(timeout=60000)
    page.get_by_role("button", name="보내기").wait_for(timeout=30000)
    page.get_by_role("button", name="좋아요").first.click()
    page.locator("#feedback-comment").wait_for(timeout=30000)
    page.wait_for_timeout(500)
    assert english_on(page) == []
    context.close()


def _progress_while_uploading(page: Any, folder: Path) -> str:
    """The units of every "n/m …" progress count shown while a file is uploaded and indexed."""
    upload = folder / "출장 안내.txt"
    upload.write_text("출장 신청은 출발 사흘 전까지 부서장에게 합니다.\n", encoding="utf-8")
    page.evaluate("""() => { window.seenCounts = [];
      new MutationObserver(() => window.seenCounts.push(...(document.body.innerText.match(/\\d+\\/\\d+ \\S+/g) || [])))
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
    page.locator("#doc-upload input[type=file]").set_input_files([str(upload)])
    page.locator("#doc-upload").get_by_text("출장 안내").first.wait_for(timeout=30000)
    page.get_by_role("button", name="올리고 색인하기").click()
    page.locator("#doc-status").get_by_text("1개 색인").wait_for(timeout=120000)
    counts = " | ".join(sorted(set(page.evaluate("window.seenCounts"))))
    assert "steps" not in counts and english_on(page) == [], counts
    return counts


def test_a_lead_finds_the_builder_from_home_and_insights_open_on_a_bot(browser, site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, _ = site
    for width in (DESKTOP, PHONE):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
        page = context.new_page()
        _sign_in(page, server.base, "lee")
        shot(page, "home-lead", width)
        page.get_by_role("link", name="봇 만들기").click()
        page.get_by_text("봇 만들기").first.wait_for(timeout=30000)
        page.locator("#bot-picker").wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        assert english_on(page) == []
        shot(page, "builder", width)
        page.get_by_role("tab", name="문서").click()
        page.locator("#doc-upload").wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        assert english_on(page) == []
        shot(page, "builder-documents", width)
        if width == DESKTOP:
            _progress_while_uploading(page, tmp_path)  # no Gradio "steps" count while it runs
            assert "파일 1개 중 1개 끝남" in page.locator(".doc-board .count").inner_text()  # counted in files
        page.get_by_role("tab", name="사용 현황").click()
        page.locator("#insight-summary").get_by_text("최근 30일").wait_for(timeout=30000)  # no empty choice
        assert "도우미 (" in page.locator("#insight-bot input").first.input_value()  # the first bot, chosen
        page.wait_for_timeout(1000)
        assert english_on(page) == []
        shot(page, "builder-insights", width)
        context.close()


def test_the_setup_page_states_the_rules_it_checks_and_keeps_the_name(browser, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, token = site
    context = browser.new_context(viewport={"width": PHONE, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(server.base + "/setup?token=wrong")
    assert page.get_by_text("설정 링크가 맞지 않습니다").is_visible() and english_on(page) == []
    page.goto(server.base + f"/setup?token={token}")
    stated = page.locator("#password-rules").inner_text()
    assert all(rule in stated for rule in rules()) and f"{MIN_LENGTH}자 이상" in stated and "12자" not in stated
    assert english_on(page) == [] and fits(page, PHONE) is None
    shot(page, "setup", PHONE)
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    shot(page, "setup", DESKTOP)

    def attempt(password: str) -> None:
        page.get_by_label("사용자 이름").fill("cityadmin")
        page.get_by_label("표시 이름").fill("시스템 관리자")
        page.locator('input[name="password"]').fill(password)
        page.locator('input[name="again"]').fill(password)
        page.get_by_role("button", name="관리자 만들기").click()

    attempt("cityadmin-2025!")  # long enough, but holds the user name: the stated rule, enforced
    assert page.get_by_role("alert").get_by_text("사용자 이름").is_visible()
    assert page.get_by_label("사용자 이름").input_value() == "cityadmin"  # kept after the error
    assert page.get_by_label("표시 이름").input_value() == "시스템 관리자"
    shot(page, "setup-error", DESKTOP)
    attempt("x" * (MIN_LENGTH - 1) + "yz")  # long enough, three different characters
    assert page.get_by_role("alert").get_by_text("되풀이").is_visible()
    attempt("청사-관리-" + "7" * (MIN_LENGTH - 6))  # exactly what the page asks for
    page.wait_for_url(server.base + "/admin/")  # the new administrator's "what next" panel
    page.goto(server.base + f"/setup?token={token}")
    assert page.get_by_text("이미 설정을 마쳤습니다").is_visible() and english_on(page) == []
    shot(page, "setup-used", DESKTOP)
    context.close()
