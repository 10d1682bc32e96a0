"""The admin pages' events, called in this process as Gradio calls them: each asks the session again and does
nothing for anyone but an active administrator (the guard refuses them first; this is the second lock), and what an
administrator does is recorded in the audit log as the command line's actions are."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from builder.registry import RegistryError
from tests.conftest import make_services
from ui.pages.admin import build_admin
from ui.pages.admin.actions import Actor, AdminActions
from ui.sessions import SESSION_COOKIE, Sessions
from ui.uploads import UploadLedger
from ui.wiring import Services

PASSWORD = "correct-horse-battery"
# Every event an API caller can name, with arguments that would change something if they were obeyed.
ATTEMPTS: dict[str, list[Any]] = {
    "add_user": ["mallory", "", "admin", [], "mallory-secret-1", "mallory-secret-1"],
    "change_user": ["lee", "admin", [], "x"],
    "reset_password": ["root", "attacker-chosen-1"],
    "sign_out": ["root"],
    "remove_user": ["lee"],
    "add_department": ["해킹과", "hack", ""],
    "change_department": ["총무과", "", "", "attacker"],
    "issue_token": ["root", "steal"],
    "revoke_token": [1],
}


@pytest.fixture
def admin_page(tmp_path: Path) -> Iterator[tuple[Services, Callable[..., Any], Callable[[str], gr.Request]]]:
    """The services, a caller of the page's events by name, and a request signed in as a user ("" anonymous)."""
    services = make_services(tmp_path / "data")
    services.registry.add_department("총무과", "general-affairs", "내선 1135")
    services.registry.add_user("root", PASSWORD, "admin")
    services.registry.add_user("lee", PASSWORD, "lead", ["총무과"])
    services.registry.add_user("kim", PASSWORD, "staff", ["총무과"])
    services.registry.issue_token("kim", "포털")
    sessions = Sessions(services, UploadLedger(tmp_path / "uploads"))
    page = build_admin(services, sessions)
    functions = {f.api_name: f.fn for f in page.fns.values() if f.api_name}

    def call(api_name: str, *args: Any, request: gr.Request) -> Any:
        return functions[api_name](*args, request=request)

    def signed_in(username: str) -> gr.Request:
        cookies = {SESSION_COOKIE: services.registry.open_session(username)} if username else {}
        return gr.Request(headers={}, cookies=cookies, client=None)

    yield services, call, signed_in
    services.registry.close()


def _state(services: Services) -> Any:
    registry = services.registry
    return (registry.users(), registry.departments(), registry.tokens(),
            [(u.username, len(registry.sessions(u.username))) for u in registry.users()])


def test_no_event_obeys_anyone_but_an_administrator(admin_page: Any) -> None:
    services, call, signed_in = admin_page
    before = _state(services)
    for who in ("", "lee", "kim"):
        request = signed_in(who)
        for api_name, args in ATTEMPTS.items():
            result = call(api_name, *args, request=request)
            assert "다시 로그인" in str(result), (who, api_name, result)
        refreshed = call("refresh", "", "", "", "", request=request)
        assert all(update == gr.update() for update in refreshed), who  # no table, no choice reaches them
        assert call("audit", "", "", "", "", request=request)[0] == []
        assert call("pick_user", "root", request=request) == [gr.update()] * 3
        assert call("pick_department", "총무과", request=request) == [gr.update()] * 3
    after = _state(services)
    assert after[:3] == before[:3]
    assert services.registry.audit_log() == []
    services.registry.update_user("root", "admin", [])
    # A demoted administrator's open page is refused at once: the role is read afresh for every event.
    services.registry.add_user("second", PASSWORD, "admin")
    request = signed_in("second")
    services.registry.update_user("second", "lead", ["총무과"])
    assert "다시 로그인" in call("add_department", "해킹과", "hack", "", request=request)[0]


def test_an_administrators_actions_are_done_and_audited(admin_page: Any) -> None:
    services, call, signed_in = admin_page
    request = signed_in("root")
    registry = services.registry
    added = call("add_department", "민원여권과", "civil", "02-120", request=request)[0]
    assert "민원여권과 부서를 등록했습니다" in added
    weak = call("add_user", "park", "박", "lead", ["민원여권과"], "short", "short", request=request)[0]
    assert "10자 이상" in weak
    assert "다릅니다" in call("add_user", "park", "박", "lead", ["민원여권과"], PASSWORD, "other", request=request)[0]
    made = call("add_user", "park", "박", "lead", ["민원여권과"], PASSWORD, PASSWORD, request=request)[0]
    assert "부서 담당자로 만들었습니다" in made and registry.user("park").departments == ("민원여권과",)
    assert call("pick_user", "park", request=request) == ["lead", ["민원여권과"], "박"]
    call("change_user", "park", "staff", ["총무과", "민원여권과"], "박지훈", request=request)
    assert registry.user("park").role == "staff" and registry.user("park").departments == ("민원여권과", "총무과")
    assert "자기 역할" in call("change_user", "root", "staff", ["총무과"], "", request=request)
    park = registry.open_session("park")
    assert "로그인 1개" in call("sign_out", "park", request=request)
    assert registry.session_user(park, idle_minutes=60, max_hours=8) is None
    assert "비밀번호를 바꿨습니다" in call("reset_password", "park", "a-new-password-2", request=request)[0]
    assert registry.authenticate("park", "a-new-password-2") is not None
    token = call("issue_token", "park", "민원 포털", request=request)[1]["value"]
    assert registry.user_for_token(token) is not None
    issued = registry.tokens()[-1].id
    assert "회수했습니다" in call("revoke_token", str(issued), request=request)
    assert registry.user_for_token(token) is None
    assert "자기 계정" in call("remove_user", "root", request=request)[0]
    # An administrator's own password or sign-out ends their other sessions, never the one doing it.
    elsewhere = registry.open_session("root")
    assert "바꿨습니다" in call("reset_password", "root", "my-new-password-3", request=request)[0]
    assert "로그인 0개" in call("sign_out", "root", request=request)
    mine = request.cookies[SESSION_COOKIE]
    assert registry.session_user(elsewhere, idle_minutes=60, max_hours=8) is None
    assert registry.session_user(mine, idle_minutes=60, max_hours=8) is not None
    assert "지웠습니다" in call("remove_user", "park", request=request)[0]
    actions = [(e.actor, e.action, e.target) for e in reversed(registry.audit_log())]
    assert actions == [("root", "department_added", "민원여권과"), ("root", "user_added", "park"),
                       ("root", "user_changed", "park"), ("root", "user_signed_out", "park"),
                       ("root", "password_changed", "park"), ("root", "token_issued", "park"),
                       ("root", "token_revoked", str(issued)), ("root", "password_changed", "root"),
                       ("root", "user_signed_out", "root"), ("root", "user_removed", "park")]
    rows = call("audit", "user_removed", "park", "", "", request=request)[0]
    assert [row[2] for row in rows] == ["사용자 삭제"]
    refreshed = call("refresh", "user_removed", "", "", "", request=request)[-1]  # after any action: as filtered
    assert [row[2] for row in refreshed] == ["사용자 삭제"]
    assert "처럼 연" in call("audit", "", "", "12/01", "", request=request)[1]
    today = datetime.now().astimezone().date()
    days = [(today + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    assert len(call("audit", "", "", days[0], days[1], request=request)[0]) == len(registry.audit_log())
    assert call("audit", "", "", days[2], "", request=request)[0] == []
    assert len(call("audit", "token_issued", "", "", days[1], request=request)[0]) == 1


def test_a_department_is_renamed_only_before_it_has_documents(admin_page: Any) -> None:
    services, call, signed_in = admin_page
    request = signed_in("root")
    actions, actor = AdminActions(services), Actor(services.registry.user("root"), "10.0.0.9")
    assert "행정지원과 부서를 저장했습니다" in actions.change_department(actor, "총무과", "행정지원과", "admin-support",
                                                                  "내선 1136")
    assert services.registry.department("admin-support").name == "행정지원과"
    (services.settings.data_dir / "documents" / "admin-support").mkdir(parents=True)  # documents uploaded since
    with pytest.raises(RegistryError, match="문서가 있는 부서는 이름과 slug를 바꿀 수 없습니다"):
        actions.change_department(actor, "행정지원과", "총무과", "", "")
    with pytest.raises(RegistryError, match="문서가 있는 부서"):
        actions.change_department(actor, "행정지원과", "", "general", "")
    refused = call("change_department", "행정지원과", "총무과", "admin-support", "내선 1137", request=request)[0]
    assert refused.startswith("⚠️") and "지식 색인" in refused
    actions.change_department(actor, "행정지원과", "", "", "청사관리팀 내선 1137")  # the contact always
    department = services.registry.department("행정지원과")
    assert (department.slug, department.contact) == ("admin-support", "청사관리팀 내선 1137")
    changed = services.registry.audit_log(action="department_changed")
    assert [(e.target, e.address) for e in changed] == [("행정지원과", "10.0.0.9")] * 2
    assert changed[1].detail == ("name 총무과 -> 행정지원과; slug general-affairs -> admin-support; "
                                 "contact 내선 1135 -> 내선 1136")


def test_what_no_column_holds_is_refused_in_korean(admin_page: Any) -> None:
    services, call, signed_in = admin_page
    request = signed_in("root")
    assert "100자까지" in call("add_department", "과" * 101, "long", "", request=request)[0]
    assert "200자까지" in call("change_department", "총무과", "", "", "1" * 201, request=request)[0]
    assert "100자까지" in call("add_user", "park", "박" * 101, "staff", ["총무과"], PASSWORD, PASSWORD,
                               request=request)[0]
    for number in (2**31, -1, "x", None):
        assert "고르세요" in call("revoke_token", number, request=request)
    assert [d.name for d in services.registry.departments()] == ["총무과"]
