"""The admin pages in a real browser on a real `deptbot serve`: the first administrator lands on the "what next"
checklist, registers a department and adds its lead in the web app with a random initial password the page makes;
the lead signs in with it and uploads a document in the builder (and gets no admin page); a token issued in the page
works on the API until it is revoked there; removing the lead ends their session. Screenshots at desktop and phone
widths go to artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from tests.conftest import sample
from tests.support.server import PASSWORD, deptbot, serving
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

DOCUMENT = "무인민원발급기 운영 안내(2025년 하반기).txt"


def _pick(page, element: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose an option of a Gradio dropdown."""
    page.locator(f"#{element} input").first.click()
    page.get_by_role("option", name=option).first.click()


def _fill(page, element: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"#{element} textarea, #{element} input").first.fill(text)


def _shows(page, element: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until an element (a table: its cells are drawn hidden first) shows the text."""
    page.wait_for_function(f"document.querySelector('#{element}')?.innerText.includes({text!r})", timeout=30000)


def _sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()


def _phone_shot(browser, base: str, cookies: list, name: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The admin page at phone width, in the administrator's session."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(base + "/admin/")
    page.locator("#admin-header").get_by_text("관리").first.wait_for(timeout=60000)
    page.wait_for_function("document.querySelector('#user-table')?.innerText.includes('root')", timeout=30000)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    context.close()


def test_an_administrator_adds_a_lead_who_signs_in_and_uploads(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    deptbot("users", "add", "root", "--role", "admin", "--display-name", "시스템 관리자", "--password-stdin",
            data=data, stdin=PASSWORD + "\n")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
        admin = admin_context.new_page()
        admin.goto(server.base + "/admin")
        _sign_in(admin, "root", PASSWORD)  # sent to sign-in first, and back to the admin page
        checklist = admin.locator("#admin-next")
        checklist.get_by_text("다음에 할 일").wait_for(timeout=60000)
        assert "부서 등록" in checklist.inner_text() and "부서 담당자 초대" in checklist.inner_text()
        admin.screenshot(path=str(SHOTS / "admin-next.png"), full_page=True)
        _phone_shot(browser, server.base, admin_context.cookies(), "admin-next-phone.png")

        # The checklist's first step: a department, in the departments tab.
        admin.get_by_role("button", name="부서 등록하러 가기").click()
        _fill(admin, "dept-name", "민원여권과")
        _fill(admin, "dept-slug", "civil")
        _fill(admin, "dept-contact", "민원여권과 (02-120-1234)")
        admin.locator("#add-dept-button").click()
        admin.locator("#dept-status").get_by_text("민원여권과 부서를 등록했습니다").wait_for(timeout=30000)
        _shows(admin, "dept-table", "civil")
        admin.screenshot(path=str(SHOTS / "admin-departments.png"), full_page=True)

        # The second: the department's lead, with an initial password.
        admin.get_by_role("button", name="담당자 초대하러 가기").click()
        _fill(admin, "new-username", "lee")
        _fill(admin, "new-display", "이수진")
        admin.locator("#new-role").get_by_label("부서 담당자").check()
        _pick(admin, "new-departments", "민원여권과")
        admin.locator("#suggest-password").click()  # a random initial password, shown to hand over
        admin.locator("#user-status").get_by_text("만든 비밀번호").wait_for(timeout=30000)
        password = admin.locator("#new-password input").input_value()
        assert len(password) == 16 and password in admin.locator("#user-status").inner_text()
        assert admin.locator("#new-again input").input_value() == password
        admin.locator("#add-user-button").click()
        admin.locator("#user-status").get_by_text("lee 사용자를 부서 담당자로 만들었습니다").wait_for(timeout=30000)
        _shows(admin, "user-table", "이수진")
        assert admin.locator("#new-username textarea, #new-username input").first.input_value() == ""  # a new form
        assert "(완료)" in checklist.inner_text()
        admin.screenshot(path=str(SHOTS / "admin-users.png"), full_page=True)

        # The lead signs in and uploads a document in the builder; the admin page is not theirs.
        lead_context = browser.new_context(viewport={"width": 1280, "height": 900})
        lead = lead_context.new_page()
        lead.goto(server.base + "/builder")
        _sign_in(lead, "lee", password)
        lead.get_by_text("봇 만들기").first.wait_for(timeout=60000)
        assert lead.locator("#builder-header a[href='/admin/']").count() == 0  # the admin link is for administrators
        lead.get_by_role("tab", name="문서").click()
        lead.locator("#doc-upload input[type=file]").set_input_files([str(sample("민원여권과", ".txt"))])
        lead.locator("#doc-upload").get_by_text("무인민원발급기").first.wait_for(timeout=30000)
        lead.get_by_role("button", name="올리고 색인하기").click()
        lead.locator("#doc-status").get_by_text("1개 색인").wait_for(timeout=120000)
        _shows(lead, "doc-list", DOCUMENT)
        lead.screenshot(path=str(SHOTS / "admin-lead-uploaded.png"), full_page=True)
        refused = lead.goto(server.base + "/admin/")
        assert refused is not None and refused.status == 403 and "관리자만" in lead.content()

        # A token issued in the page works on the API until it is revoked in the page.
        admin.get_by_role("tab", name="API 토큰").click()
        _pick(admin, "token-user", "lee")
        _fill(admin, "token-label", "민원 포털 연동")
        admin.locator("#issue-token").click()
        box = admin.locator("#token-value textarea, #token-value input").first
        box.wait_for(timeout=30000)
        admin.wait_for_function("document.querySelector('#token-value textarea, #token-value input').value !== ''")
        token = box.input_value()
        assert token.startswith("dbt_")
        _shows(admin, "token-table", "사용 중")
        admin.wait_for_timeout(500)  # the table's refresh settles before the screenshot
        admin.screenshot(path=str(SHOTS / "admin-tokens.png"), full_page=True)
        document = f"{server.base}/files/civil/{quote(DOCUMENT)}"
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(document, headers=bearer).status_code == 200
        _pick(admin, "token-pick", "1번 · lee · 민원 포털 연동")
        admin.locator("#revoke-token").click()
        admin.locator("#token-status").get_by_text("토큰 1번을 회수했습니다").wait_for(timeout=30000)
        assert httpx.get(document, headers=bearer).status_code == 404
        _shows(admin, "token-table", "회수됨")

        # Removing the lead ends their session: their builder sends them to sign in.
        admin.get_by_role("tab", name="사용자").click()
        _pick(admin, "user-pick", "lee")
        admin.locator("#remove-ask").click()
        admin.locator("#remove-user").click()
        admin.locator("#user-status").get_by_text("lee 사용자를 지웠습니다").wait_for(timeout=30000)
        lead.goto(server.base + "/builder/")
        assert "/login" in lead.url
        lead_context.close()

        # The audit log: what the administrator did to lee, filtered.
        admin.get_by_role("tab", name="감사 기록").click()
        _fill(admin, "audit-user", "lee")
        admin.locator("#audit-search").click()
        _shows(admin, "audit-table", "사용자 삭제")
        text = admin.locator("#audit-table").inner_text()
        for action in ("사용자 추가", "API 토큰 발급", "API 토큰 회수", "문서 올림"):
            assert action in text or action == "API 토큰 회수", action  # a revocation names the token, not lee
        admin.screenshot(path=str(SHOTS / "admin-audit.png"), full_page=True)
        _phone_shot(browser, server.base, admin_context.cookies(), "admin-users-phone.png")
        admin_context.close()
