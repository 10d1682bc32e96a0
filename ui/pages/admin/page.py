"""The admin pages (`/admin/`): users, departments, API tokens and the audit log, for administrators only.

The guard (`ui/guard.py`) lets only administrators reach this Gradio app at all; every event still asks the
session again (`_admin`) and does nothing for anyone else, since every event is an endpoint anyone can call.
What the events do is `ui/pages/admin/actions.py`; this module is the layout and its wiring.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from builder.registry import RegistryError, User
from ui.pages.admin.actions import (
    AUDIT_HEADERS,
    DEPARTMENT_HEADERS,
    PASSWORD_RULES,
    ROLE_CHOICES,
    TOKEN_HEADERS,
    USER_HEADERS,
    Actor,
    AdminActions,
    random_password,
    said,
)
from ui.pages.builder import md
from ui.sessions import Sessions
from ui.wiring import Services

SIGN_IN = "### 로그인이 필요합니다\n관리자로 [로그인](/login?next=/admin/)해 주세요."
NOT_ADMIN = "### 관리 화면은 관리자만 쓸 수 있습니다\n[홈으로](/)"
AGAIN = "⚠️ 관리자로 다시 로그인해 주세요."
_STEP_HELP = {
    "부서 등록": "**부서** 탭에서 부서 이름(색인할 때 쓸 한글 이름), slug(영문 주소 이름), 문의처를 등록합니다.",
    "부서 담당자 초대": "**사용자** 탭에서 역할을 '부서 담당자'로 골라 만들고, 사용자 이름과 처음 비밀번호를 본인에게 "
                 "알려 줍니다.",
    "문서 올리기": "담당자가 로그인해 [봇 만들기 › 문서](/builder/)에서 업무 매뉴얼과 법령을 올리고 봇을 만듭니다.",
}


def _admin(sessions: Sessions, request: gr.Request) -> User | None:
    """The signed-in user if they are an active administrator."""
    user = sessions.user(dict(request.cookies), dict(request.headers))
    return user if user is not None and user.active and user.is_admin else None


def _actor(sessions: Sessions, request: gr.Request) -> Actor | None:
    user = _admin(sessions, request)
    return Actor(user, request.client.host if request.client else "") if user else None


def next_panel(actions: AdminActions) -> list[Any]:
    """The "what next" checklist (its box and its text), shown until every step is done."""
    steps = actions.next_steps()
    lines = [f"{n}. **{name}** {'(완료)' if done else ''} — {_STEP_HELP[name]}" for n, (name, done) in
             enumerate(steps, 1)]
    text = "### 다음에 할 일\n관리자 계정이 준비되었습니다. 첫 주에는 이 순서로 진행하세요.\n\n" + "\n".join(lines)
    return [gr.update(visible=not all(done for _, done in steps)), text]


def build_admin(services: Services, sessions: Sessions) -> gr.Blocks:
    """The admin page."""
    actions = AdminActions(services)

    def session_token(request: gr.Request) -> str:
        return sessions.token(dict(request.cookies))

    def attempt(request: gr.Request, act: Any) -> tuple[bool, str]:
        """Run an action as the request's administrator: whether it was done, and its message or why not."""
        actor = _actor(sessions, request)
        if actor is None:
            return False, AGAIN
        try:
            return True, md(act(actor))
        except RegistryError as exc:
            return False, f"⚠️ {md(said(exc))}"

    # --- what every action refreshes ----------------------------------------------------------------------
    def refresh(action: str, user: str, start: str, end: str, request: gr.Request) -> list[Any]:
        """Tables, choices and the checklist as the registry holds them now, the audit log as filtered (nothing for
        non-administrators)."""
        if _admin(sessions, request) is None:
            return [gr.update()] * 13
        try:
            audited: Any = actions.audit_table(action or "", user or "", start or "", end or "")
        except RegistryError:  # a date being typed: the audit tab's own search says what is wrong
            audited = gr.update()
        users = [u.username for u in services.registry.users()]
        departments = [d.name for d in services.registry.departments()]
        return [*next_panel(actions), actions.users_table(), gr.update(choices=users),
                gr.update(choices=departments), gr.update(choices=departments), actions.departments_table(),
                gr.update(choices=departments), actions.tokens_table(), gr.update(choices=users),
                gr.update(choices=actions.live_tokens(), value=None), gr.update(choices=actions.action_choices()),
                audited]

    def load(request: gr.Request) -> list[Any]:
        user = _admin(sessions, request)
        if user is None:
            signed_in = sessions.user(dict(request.cookies), dict(request.headers))
            return [NOT_ADMIN if signed_in else SIGN_IN, gr.update(visible=False)]
        return [f"## ⚙️ 관리\n{md(user.display_name)} 님 (관리자) · [봇 만들기](/builder/) · [홈](/) · "
                "[로그아웃](/logout)", gr.update(visible=True)]

    # --- users -----------------------------------------------------------------------------------------
    def add_user(username: str, display_name: str, role: str, departments: list[str], password: str,
                 again: str, request: gr.Request) -> list[Any]:
        if (password or "") != (again or ""):
            return ["⚠️ 두 비밀번호가 다릅니다.", *[gr.update()] * 5]
        done, message = attempt(request, lambda a: actions.add_user(a, username or "", display_name or "",
                                                                    role or "", list(departments or []),
                                                                    password or ""))
        return [message, *(["", "", [], "", ""] if done else [gr.update()] * 5)]  # an empty form for the next

    def pick_user(username: str, request: gr.Request) -> list[Any]:
        if _admin(sessions, request) is None or not username:
            return [gr.update(), gr.update(), gr.update()]
        try:
            user = services.registry.user(username)
        except RegistryError:
            return [gr.update(), gr.update(), gr.update()]
        return [user.role, list(user.departments), user.display_name]

    def change_user(username: str, role: str, departments: list[str], display_name: str,
                    request: gr.Request) -> str:
        return attempt(request, lambda a: actions.change_user(a, username or "", role or "", list(departments or []),
                                                              display_name or ""))[1]

    def reset_password(username: str, password: str, request: gr.Request) -> list[Any]:
        done, message = attempt(request, lambda a: actions.reset_password(a, username or "", password or "",
                                                                          session_token(request)))
        return [message, "" if done else gr.update()]

    def sign_out(username: str, request: gr.Request) -> str:
        return attempt(request, lambda a: actions.sign_out(a, username or "", session_token(request)))[1]

    def remove_user(username: str, request: gr.Request) -> list[Any]:
        done, message = attempt(request, lambda a: actions.remove_user(a, username or ""))
        cleared: list[Any] = [None, None, [], ""] if done else [gr.update()] * 4  # the removed user's fields go too
        return [message, gr.update(visible=False), *cleared]

    def suggest_password(request: gr.Request) -> list[Any]:
        if _admin(sessions, request) is None:
            return [gr.update(), gr.update(), AGAIN]
        password = random_password()
        return [password, password, f"만든 비밀번호: `{password}` — 적어 두었다가 사용자를 만든 뒤 본인에게 "
                                    "따로 알려 주세요 (사용자를 만들면 이 안내는 사라집니다)."]

    # --- departments -----------------------------------------------------------------------------------
    def add_department(name: str, slug: str, contact: str, request: gr.Request) -> list[Any]:
        done, message = attempt(request, lambda a: actions.add_department(a, name or "", slug or "", contact or ""))
        return [message, *(["", "", ""] if done else [gr.update()] * 3)]

    def pick_department(name: str, request: gr.Request) -> list[Any]:
        if _admin(sessions, request) is None or not name:
            return [gr.update()] * 3
        try:
            department = services.registry.department(name)
        except RegistryError:
            return [gr.update()] * 3
        return [department.name, department.slug, department.contact]

    def change_department(current: str, name: str, slug: str, contact: str, request: gr.Request) -> list[Any]:
        done, message = attempt(request, lambda a: actions.change_department(a, current or "", name or "",
                                                                             slug or "", contact or ""))
        if not done:
            return [message, gr.update()]
        return [message, gr.update(value=(name or "").strip() or current)]

    # --- tokens ----------------------------------------------------------------------------------------
    def issue_token(username: str, label: str, request: gr.Request) -> list[Any]:
        actor = _actor(sessions, request)
        if actor is None:
            return [AGAIN, gr.update(value="", visible=False)]
        try:
            token = actions.issue_token(actor, username or "", label or "")
        except RegistryError as exc:
            return [f"⚠️ {md(said(exc))}", gr.update(value="", visible=False)]
        return [f"{md(username)} 사용자로 동작하는 토큰을 발급했습니다. **이 토큰은 지금 한 번만 보입니다.** 복사해 "
                "두었다가 `Authorization: Bearer 토큰` 헤더로 보내세요.", gr.update(value=token, visible=True)]

    def revoke_token(token_id: Any, request: gr.Request) -> str:
        try:
            number = int(token_id)
        except (TypeError, ValueError):
            number = 0
        if not 0 < number < 2**31:  # what the column holds (a larger number is a database error, not "none")
            return "⚠️ 회수할 토큰을 고르세요."
        return attempt(request, lambda a: actions.revoke_token(a, number))[1]

    # --- the audit log ---------------------------------------------------------------------------------
    def audit(action: str, user: str, start: str, end: str, request: gr.Request) -> list[Any]:
        if _admin(sessions, request) is None:
            return [[], AGAIN]
        try:
            rows = actions.audit_table(action or "", user or "", start or "", end or "")
        except RegistryError as exc:
            return [gr.update(), f"⚠️ {md(said(exc))}"]
        return [rows, f"{len(rows)}건" + (" (최근 것부터 500건까지)" if len(rows) >= 500 else "")]

    # --- layout ----------------------------------------------------------------------------------------
    with gr.Blocks(title="관리 · deptbot", analytics_enabled=False) as page:
        header = gr.Markdown("불러오는 중…", elem_id="admin-header")
        with gr.Column(visible=False, elem_id="admin-body") as body:
            with gr.Column(visible=False, elem_id="admin-next-box") as next_box:
                next_steps = gr.Markdown("", elem_id="admin-next")
                with gr.Row():
                    to_departments = gr.Button("부서 등록하러 가기", size="sm", elem_id="go-departments")
                    to_users = gr.Button("담당자 초대하러 가기", size="sm", elem_id="go-users")
                    gr.Button("문서 올리러 가기", size="sm", link="/builder/", elem_id="go-builder")
            with gr.Tabs(elem_id="admin-tabs") as tabs:
                with gr.Tab("사용자", id="users", elem_id="tab-users"):
                    user_status = gr.Markdown("", elem_id="user-status")
                    user_table = gr.Dataframe(headers=USER_HEADERS, interactive=False, label="사용자",
                                              elem_id="user-table", wrap=True,  # scrolls sideways on a phone
                                              column_widths=["120px", "120px", "100px", "160px", "90px"])
                    with gr.Accordion("사용자 추가", open=True, elem_id="add-user"):
                        with gr.Row():
                            new_name = gr.Textbox(label="사용자 이름 (영문, 숫자, . _ @ -)", max_length=64,
                                                  elem_id="new-username")
                            new_display = gr.Textbox(label="표시 이름", max_length=100, elem_id="new-display")
                        new_role = gr.Radio(ROLE_CHOICES, value="lead", label="역할", elem_id="new-role")
                        # Dropdowns that take any value: the registry refuses a department that does not exist,
                        # and one another administrator added since this page loaded is not refused by Gradio.
                        new_departments = gr.Dropdown([], multiselect=True, allow_custom_value=True,
                                                      label="부서 (관리자는 고르지 않아도 됩니다)",
                                                      elem_id="new-departments")
                        with gr.Row():
                            new_password = gr.Textbox(label="처음 비밀번호", type="password", max_length=256,
                                                      info=PASSWORD_RULES, elem_id="new-password")
                            new_again = gr.Textbox(label="비밀번호 확인", type="password", max_length=256,
                                                   elem_id="new-again")
                        with gr.Row():
                            suggest_button = gr.Button("임의 비밀번호 만들기", scale=1, elem_id="suggest-password")
                            add_user_button = gr.Button("사용자 만들기", variant="primary", scale=3,
                                                        elem_id="add-user-button")
                    with gr.Accordion("사용자 고치기", open=True, elem_id="edit-user"):
                        user_pick = gr.Dropdown(label="사용자", choices=[], value=None, elem_id="user-pick",
                                                allow_custom_value=True)  # the handlers decide
                        edit_role = gr.Radio(ROLE_CHOICES, label="역할", elem_id="edit-role")
                        edit_departments = gr.Dropdown([], multiselect=True, allow_custom_value=True, label="부서",
                                                       elem_id="edit-departments")
                        edit_display = gr.Textbox(label="표시 이름", max_length=100, elem_id="edit-display")
                        change_button = gr.Button("역할·부서 저장", variant="primary", elem_id="change-user")
                        with gr.Row():
                            reset_box = gr.Textbox(label="새 비밀번호", type="password", max_length=256,
                                                   info=PASSWORD_RULES, scale=3, elem_id="reset-password")
                            reset_button = gr.Button("비밀번호 재설정", scale=1, elem_id="reset-button")
                        with gr.Row():
                            signout_button = gr.Button("모든 기기에서 로그아웃", elem_id="signout-button")
                            remove_ask = gr.Button("사용자 삭제…", variant="stop", elem_id="remove-ask")
                        with gr.Row(visible=False, elem_id="remove-confirm-row") as confirm_row:
                            gr.Markdown("정말 지울까요? 그 사용자의 로그인과 API 토큰도 모두 끝납니다.")
                            remove_button = gr.Button("삭제 확인", variant="stop", elem_id="remove-user")
                            cancel_button = gr.Button("취소", elem_id="remove-cancel")
                with gr.Tab("부서", id="departments", elem_id="tab-departments"):
                    dept_status = gr.Markdown("", elem_id="dept-status")
                    dept_table = gr.Dataframe(headers=DEPARTMENT_HEADERS, interactive=False, label="부서",
                                              elem_id="dept-table", wrap=True)
                    with gr.Accordion("부서 등록", open=True, elem_id="add-dept"):
                        with gr.Row():
                            dept_name = gr.Textbox(label="부서 이름 (예: 민원여권과)", max_length=100,
                                                   elem_id="dept-name")
                            dept_slug = gr.Textbox(label="slug (영문 소문자·숫자·-, 예: civil-passport)",
                                                   max_length=63, elem_id="dept-slug")
                        dept_contact = gr.Textbox(label="문의처 (답을 못 할 때 안내, 예: 민원여권과 02-120-1234)",
                                                  max_length=200, elem_id="dept-contact")
                        add_dept_button = gr.Button("부서 등록", variant="primary", elem_id="add-dept-button")
                    with gr.Accordion("부서 고치기", open=True, elem_id="edit-dept"):
                        dept_pick = gr.Dropdown(label="부서", choices=[], value=None, elem_id="dept-pick",
                                                allow_custom_value=True)  # the handlers decide
                        gr.Markdown("문의처는 언제든 바꿀 수 있습니다. 이름과 slug는 문서를 올리기 전까지만 "
                                    "바꿀 수 있습니다 (이름은 지식 색인의 이름이고, slug는 문서 폴더와 문서 "
                                    "링크의 주소입니다).")
                        with gr.Row():
                            edit_dept_name = gr.Textbox(label="부서 이름", max_length=100, elem_id="edit-dept-name")
                            edit_dept_slug = gr.Textbox(label="slug", max_length=63, elem_id="edit-dept-slug")
                        edit_dept_contact = gr.Textbox(label="문의처", max_length=200, elem_id="edit-dept-contact")
                        change_dept_button = gr.Button("부서 저장", variant="primary", elem_id="change-dept")
                with gr.Tab("API 토큰", id="tokens", elem_id="tab-tokens"):
                    gr.Markdown("다른 시스템이 JSON API(`/api/…`)를 부를 때 쓰는 토큰입니다. "
                                "토큰은 고른 사용자의 권한으로 동작합니다.")
                    token_status = gr.Markdown("", elem_id="token-status")
                    with gr.Row():
                        token_user = gr.Dropdown(label="사용자", choices=[], value=None, elem_id="token-user",
                                                 allow_custom_value=True)  # the handlers decide
                        token_label = gr.Textbox(label="용도 (예: 민원 포털 연동)", max_length=100,
                                                 elem_id="token-label")
                    issue_button = gr.Button("토큰 발급", variant="primary", elem_id="issue-token")
                    token_value = gr.Textbox(label="새 토큰 (한 번만 보입니다)", buttons=["copy"], interactive=False,
                                             visible=False, elem_id="token-value")
                    token_table = gr.Dataframe(headers=TOKEN_HEADERS, interactive=False, label="발급한 토큰",
                                               elem_id="token-table")
                    with gr.Row():
                        token_pick = gr.Dropdown(label="회수할 토큰", choices=[], value=None, scale=3,
                                                 elem_id="token-pick", allow_custom_value=True)  # the handlers decide
                        revoke_button = gr.Button("회수", variant="stop", scale=1, elem_id="revoke-token")
                with gr.Tab("감사 기록", id="audit", elem_id="tab-audit"):
                    with gr.Row():
                        audit_action = gr.Dropdown(label="동작", choices=[("모든 동작", "")], value="",
                                                   elem_id="audit-action", allow_custom_value=True)
                        audit_user = gr.Textbox(label="사용자 (한 사람이 하거나 받은 일)", max_length=64,
                                                elem_id="audit-user")
                    with gr.Row():
                        audit_start = gr.Textbox(label="시작일 (예: 2026-12-01)", max_length=10,
                                                 elem_id="audit-start")
                        audit_end = gr.Textbox(label="마지막 날 (예: 2026-12-31)", max_length=10, elem_id="audit-end")
                        audit_button = gr.Button("찾기", variant="primary", elem_id="audit-search")
                    audit_status = gr.Markdown("", elem_id="audit-status")
                    audit_table = gr.Dataframe(headers=AUDIT_HEADERS, interactive=False, label="감사 기록",
                                               elem_id="audit-table", wrap=True)

        refreshed = [next_box, next_steps, user_table, user_pick, new_departments, edit_departments, dept_table,
                     dept_pick, token_table, token_user, token_pick, audit_action, audit_table]
        quiet: dict[str, Any] = {"api_visibility": "undocumented"}  # page-only steps, not for API callers

        filters = [audit_action, audit_user, audit_start, audit_end]

        def then_refresh(event: Any) -> None:
            event.then(refresh, inputs=filters, outputs=refreshed, **quiet)

        then_refresh(page.load(load, outputs=[header, body], api_name="load"))
        to_departments.click(lambda: gr.Tabs(selected="departments"), outputs=[tabs], **quiet)
        to_users.click(lambda: gr.Tabs(selected="users"), outputs=[tabs], **quiet)

        then_refresh(add_user_button.click(add_user, inputs=[new_name, new_display, new_role, new_departments,
                                                             new_password, new_again],
                                           outputs=[user_status, new_name, new_display, new_departments,
                                                    new_password, new_again], api_name="add_user"))
        user_pick.input(pick_user, inputs=[user_pick], outputs=[edit_role, edit_departments, edit_display],
                        api_name="pick_user")
        then_refresh(change_button.click(change_user, inputs=[user_pick, edit_role, edit_departments, edit_display],
                                         outputs=[user_status], api_name="change_user"))
        then_refresh(reset_button.click(reset_password, inputs=[user_pick, reset_box], outputs=[user_status, reset_box],
                                        api_name="reset_password"))
        then_refresh(signout_button.click(sign_out, inputs=[user_pick], outputs=[user_status], api_name="sign_out"))
        remove_ask.click(lambda: gr.update(visible=True), outputs=[confirm_row], **quiet)
        cancel_button.click(lambda: gr.update(visible=False), outputs=[confirm_row], **quiet)
        then_refresh(remove_button.click(remove_user, inputs=[user_pick],
                                         outputs=[user_status, confirm_row, user_pick, edit_role, edit_departments,
                                                  edit_display], api_name="remove_user"))
        suggest_button.click(suggest_password, outputs=[new_password, new_again, user_status], **quiet)

        then_refresh(add_dept_button.click(add_department, inputs=[dept_name, dept_slug, dept_contact],
                                           outputs=[dept_status, dept_name, dept_slug, dept_contact],
                                           api_name="add_department"))
        dept_pick.input(pick_department, inputs=[dept_pick],
                        outputs=[edit_dept_name, edit_dept_slug, edit_dept_contact], api_name="pick_department")
        then_refresh(change_dept_button.click(change_department,
                                              inputs=[dept_pick, edit_dept_name, edit_dept_slug, edit_dept_contact],
                                              outputs=[dept_status, dept_pick], api_name="change_department"))

        then_refresh(issue_button.click(issue_token, inputs=[token_user, token_label],
                                        outputs=[token_status, token_value], api_name="issue_token"))
        then_refresh(revoke_button.click(revoke_token, inputs=[token_pick], outputs=[token_status],
                                         api_name="revoke_token"))
        audit_button.click(audit, inputs=filters,
                           outputs=[audit_table, audit_status], api_name="audit")
    return page
