"""A failed save keeps what the lead typed, in a real browser (issue 12, "a failed save throws away the typing").

A lead types a new bot with a slug the registry refuses and no department: the save fails, every field still holds
what was typed, and the slug and department fields each say what to fix. Fixed, the save works and the messages go.
A second new bot with a slug already taken keeps its fields and says so under the slug. An existing bot whose
departments were all unticked keeps the edits (not the saved version). Screenshots at desktop and phone width go to
artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.server import PASSWORD, deptbot, serving
from tests.ui.test_builder_page import _pick
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

TEXT_FIELDS = ("bot-name", "bot-slug", "bot-description", "bot-instructions", "bot-starters")


def _sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/builder")
    page.get_by_label("사용자 이름").fill("lee")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_text("봇 만들기").first.wait_for(timeout=30000)


def _box(page, element: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#{element} textarea, #{element} input").first


def _fill(page, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for element, value in values.items():
        _box(page, element).fill(value)


def _values(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {element: _box(page, element).input_value() for element in TEXT_FIELDS}


def _new_bot(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="새 봇").click()
    page.locator("#builder-status").get_by_text("새 봇을 만들거나").wait_for(timeout=30000)


def _save(page, expect: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#save-bot").click()
    page.locator("#builder-status").get_by_text(expect).wait_for(timeout=30000)


def test_a_failed_save_keeps_every_field_and_says_what_to_fix_by_the_field(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    deptbot("departments", "add", "민원여권과", "--slug", "civil", data=data)
    deptbot("users", "add", "lee", "--role", "lead", "--department", "민원여권과", "--password-stdin", data=data,
            stdin=PASSWORD + "\n")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _sign_in(page, server.base)
        department = page.locator("#bot-departments").get_by_label("민원여권과")

        # A new bot with a slug the registry refuses and no department: nothing typed is lost.
        _new_bot(page)
        typed = {"bot-name": "여권 도우미", "bot-slug": "Passport Bot", "bot-description": "여권 업무에 답합니다",
                 "bot-instructions": "존댓말로 답하세요.", "bot-starters": "여권 수수료는?\n처리기한은?"}
        _fill(page, typed)
        _save(page, "저장하지 못했습니다")
        page.locator("#bot-slug").get_by_text("slug는 영문 소문자").wait_for(timeout=30000)
        page.locator("#bot-departments").get_by_text("하나 이상 골라 주세요").wait_for(timeout=30000)
        page.wait_for_timeout(1500)  # anything that would still redraw the form has had its time
        assert _values(page) == typed
        page.screenshot(path=str(SHOTS / "builder-save-failed.png"), full_page=True)

        # Fixed, the save works: the messages go, the bot is version 1.
        _fill(page, {"bot-slug": "passport"})
        department.check()
        _save(page, "만들었습니다")
        page.locator("#share-status").get_by_text("버전 1").wait_for(timeout=30000)
        assert "slug는" not in page.locator("#bot-slug").inner_text()
        assert "골라 주세요" not in page.locator("#bot-departments").inner_text()
        assert "'여권 도우미'를 만들었습니다" in page.locator("#builder-status").inner_text()

        # Another new bot with the slug already taken: the registry refuses, the fields stay, the slug says why.
        _new_bot(page)
        second = {"bot-name": "두 번째 봇", "bot-slug": "passport", "bot-description": "다른 설명",
                  "bot-instructions": "짧게 답하세요.", "bot-starters": "안녕하세요?"}
        _fill(page, second)
        department.check()
        _save(page, "같은 slug의 봇이 이미 있습니다")
        page.locator("#bot-slug").get_by_text("이미 있습니다").wait_for(timeout=30000)
        page.wait_for_timeout(1500)
        assert _values(page) == second and department.is_checked()

        # An existing bot: the edits stay when the save fails, not the saved version.
        _pick(page, "bot-picker", "🤖 여권 도우미 (passport)")
        page.wait_for_function("document.querySelector('#bot-name textarea, #bot-name input').value === '여권 도우미'")
        edits = typed | {"bot-slug": "passport", "bot-name": "여권 민원 도우미", "bot-description": "고친 설명"}
        _fill(page, {"bot-name": edits["bot-name"], "bot-description": edits["bot-description"]})
        department.uncheck()
        _save(page, "저장하지 못했습니다")
        page.locator("#bot-departments").get_by_text("하나 이상 골라 주세요").wait_for(timeout=30000)
        page.wait_for_timeout(1500)
        assert _values(page) == edits and not department.is_checked()
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / "builder-save-failed-phone.png"), full_page=True)
        context.close()
