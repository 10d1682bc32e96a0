"""What the admin pages do: every action an administrator takes on users, departments and API tokens, audited as
the command line's are (the actor is the administrator, with the browser's address), and the tables the pages show.

No Gradio here (the layout and its events are `ui/pages/admin/page.py`): each action takes the signed-in
administrator, checked again by the page for every event, and returns a Korean message or raises RegistryError.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from builder.passwords import weakness
from builder.registry import ROLES, RegistryError, User
from ui.wiring import Services

ROLE_KO = {"admin": "관리자", "lead": "부서 담당자", "staff": "직원"}
ROLE_AS = {"admin": "관리자로", "lead": "부서 담당자로", "staff": "직원으로"}
ROLE_CHOICES = [(ROLE_KO[role], role) for role in ROLES]
# The audit log's actions in Korean (the command line's and the pages' alike); an unknown one is shown as stored.
ACTION_KO = {
    "user_added": "사용자 추가", "user_changed": "역할·부서 변경", "password_changed": "비밀번호 재설정",
    "user_signed_out": "모든 기기 로그아웃", "user_removed": "사용자 삭제", "department_added": "부서 등록",
    "department_changed": "부서 변경", "token_issued": "API 토큰 발급", "token_revoked": "API 토큰 회수",
    "sign_in_failed": "로그인 실패", "bot_created": "봇 만듦", "bot_saved": "봇 저장", "bot_published": "봇 게시",
    "bot_unpublished": "봇 게시 중지", "bot_restored": "봇 버전 되돌림", "bot_cloned": "봇 복제",
    "bot_imported": "봇 가져옴", "link_rotated": "공유 링크 바꿈", "document_uploaded": "문서 올림",
    "document_deleted": "문서 삭제", "document_reindexed": "문서 다시 색인",
}
USER_HEADERS = ["사용자 이름", "표시 이름", "역할", "부서", "열린 로그인"]
DEPARTMENT_HEADERS = ["이름", "slug", "문의처", "문서", "사용자", "봇"]
TOKEN_HEADERS = ["번호", "사용자", "용도", "상태", "발급 시각"]
AUDIT_HEADERS = ["시각", "누가", "동작", "대상", "내용", "주소"]
AUDIT_ROWS = 500
PASSWORD_RULES = "10자 이상, 사용자 이름을 넣지 않고, 같은 글자만 되풀이하지 않은 비밀번호"
_ALPHABET = string.ascii_letters + string.digits + "-_."


def said(exc: RegistryError) -> str:
    """A registry error as the page says it (its hint for the command line left out: this is the web app)."""
    text = f"{exc.file}: {exc.problem}"
    return f"{text} — {exc.action}" if exc.action and "deptbot" not in exc.action else text


def local_time(moment: datetime) -> str:
    """A stored time (UTC) as the server's local time, to the minute."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone().strftime("%Y-%m-%d %H:%M")


def random_password() -> str:
    """A random initial password that passes `builder.passwords` (16 characters)."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        if not weakness(password):
            return password


@dataclass(frozen=True, slots=True)
class Actor:
    """The administrator acting, and the address their browser came from (for the audit log)."""

    user: User
    address: str


class AdminActions:
    """Users, departments and API tokens, changed by an administrator and recorded in the audit log."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.registry = services.registry

    def _audit(self, actor: Actor, action: str, target: str, detail: str = "") -> None:
        self.registry.audit(actor.user.username, action, target, detail, actor.address)

    # --- users ---------------------------------------------------------------------------------------------
    def add_user(self, actor: Actor, username: str, display_name: str, role: str, departments: list[str],
                 password: str) -> str:
        """Create a user with an initial password (the rules of `builder.passwords`)."""
        username = username.strip()
        _fits(display_name, 100, "표시 이름")
        user = self.registry.add_user(username, password, role, [] if role == "admin" else departments,
                                      display_name.strip())
        self._audit(actor, "user_added", user.username, f"{user.role} {','.join(user.departments)}")
        return (f"{user.username} 사용자를 {ROLE_AS[user.role]} 만들었습니다. "
                "사용자 이름과 처음 비밀번호를 본인에게 따로 알려 주세요.")

    def change_user(self, actor: Actor, username: str, role: str, departments: list[str],
                    display_name: str) -> str:
        """Change a user's role, departments and display name (never one's own role: no administrator locks
        themself out)."""
        if username == actor.user.username and role != actor.user.role:
            raise RegistryError(username, "자기 역할은 바꿀 수 없습니다", "다른 관리자에게 부탁해 주세요")
        _fits(display_name, 100, "표시 이름")
        user = self.registry.update_user(username, role, [] if role == "admin" else departments, display_name)
        self._audit(actor, "user_changed", user.username, f"{user.role} {','.join(user.departments)}")
        return f"{user.username} 사용자의 역할과 부서를 저장했습니다 ({_role_line(user)})."

    def reset_password(self, actor: Actor, username: str, password: str, keep_session: str = "") -> str:
        """Give a user a new password; every session of theirs ends (but the administrator's own, for themself)."""
        own = username == actor.user.username
        self.registry.set_password(username, password, keep_session=keep_session if own else "")
        self._audit(actor, "password_changed", username)
        ended = "이 브라우저 말고 열려 있던 로그인은" if own else "열려 있던 로그인은"
        return f"{username} 사용자의 비밀번호를 바꿨습니다. {ended} 모두 끝났습니다."

    def sign_out(self, actor: Actor, username: str, keep_session: str = "") -> str:
        """End every session of a user (an administrator signing themself out keeps this browser's)."""
        closed = self.registry.close_sessions(username,
                                              keep=keep_session if username == actor.user.username else "")
        self._audit(actor, "user_signed_out", username, f"sessions {closed}")
        return f"{username} 사용자의 로그인 {closed}개를 끝냈습니다."

    def remove_user(self, actor: Actor, username: str) -> str:
        """Delete a user: their sessions and API tokens end with them."""
        if username == actor.user.username:
            raise RegistryError(username, "자기 계정은 지울 수 없습니다", "다른 관리자에게 부탁해 주세요")
        self.registry.remove_user(username)
        self._audit(actor, "user_removed", username)
        return f"{username} 사용자를 지웠습니다. 그 사용자의 로그인과 API 토큰도 모두 끝났습니다."

    def users_table(self) -> list[list[Any]]:
        """Every user, with their open sessions."""
        return [[u.username, u.display_name, ROLE_KO[u.role], ", ".join(u.departments),
                 len(self.registry.sessions(u.username))] for u in self.registry.users()]

    # --- departments ---------------------------------------------------------------------------------------
    def add_department(self, actor: Actor, name: str, slug: str, contact: str) -> str:
        """Register a department."""
        _fits(name, 100, "부서 이름")
        _fits(contact, 200, "문의처")
        department = self.registry.add_department(name, slug.strip(), contact)
        self._audit(actor, "department_added", department.name, department.slug)
        return f"{department.name} 부서를 등록했습니다 (slug {department.slug})."

    def has_documents(self, name: str, slug: str) -> bool:
        """Whether a department has a knowledge index or a documents folder."""
        folder = self.services.settings.data_dir / "documents" / slug
        return self.services.store.exists(name) or folder.exists()

    def change_department(self, actor: Actor, current: str, name: str, slug: str, contact: str) -> str:
        """Change a department's contact always; its name and slug only while it has no documents.

        The name is its knowledge index's name (the Chroma collection, every chunk's `department`, its bots'
        definitions) and the slug names its documents folder and the document links in answers already given:
        changing either under existing documents would orphan them, so the page refuses and says what to do.
        """
        _fits(name, 100, "부서 이름")
        _fits(contact, 200, "문의처")
        department = self.registry.department(current)
        name, slug = name.strip() or department.name, slug.strip() or department.slug
        renamed = name != department.name or slug != department.slug
        if renamed and self.has_documents(department.name, department.slug):
            raise RegistryError(department.name, "문서가 있는 부서는 이름과 slug를 바꿀 수 없습니다 "
                                "(이름은 지식 색인의 이름이고, slug는 문서 폴더와 답변 속 문서 링크의 주소입니다)",
                                "문의처는 바꿀 수 있습니다. 이름을 꼭 바꿔야 하면 새 부서를 등록하고 "
                                "문서를 다시 올려 주세요")
        changed = self.registry.update_department(department.name, name=name, slug=slug, contact=contact)
        detail = "; ".join(f"{what} {old} -> {new}" for what, old, new in (
            ("name", department.name, changed.name), ("slug", department.slug, changed.slug),
            ("contact", department.contact, changed.contact)) if old != new)
        self._audit(actor, "department_changed", changed.name, detail or "no change")
        return f"{changed.name} 부서를 저장했습니다."

    def departments_table(self) -> list[list[Any]]:
        """Every department, whether it has documents, how many users and which bots."""
        users, bots = self.registry.users(), self.registry.bots()
        rows = []
        for d in self.registry.departments():
            members = sum(d.name in u.departments for u in users)
            named = ", ".join(b.slug for b in bots if d.name in b.definition.departments)
            rows.append([d.name, d.slug, d.contact, "있음" if self.has_documents(d.name, d.slug) else "없음",
                         members, named])
        return rows

    # --- API tokens ----------------------------------------------------------------------------------------
    def issue_token(self, actor: Actor, username: str, label: str) -> str:
        """A new API token acting as the user: its secret is returned here, once."""
        token = self.registry.issue_token(username, label)
        self._audit(actor, "token_issued", username, label.strip())
        return token

    def revoke_token(self, actor: Actor, token_id: int) -> str:
        """Stop a token at once."""
        owner = next((f"{t.username} {t.label}".strip() for t in self.registry.tokens() if t.id == token_id), "")
        self.registry.revoke_token(token_id)
        self._audit(actor, "token_revoked", str(token_id), owner)  # the target is the token, as the CLI's
        return f"토큰 {token_id}번을 회수했습니다. 이제 그 토큰으로는 API를 쓸 수 없습니다."

    def tokens_table(self) -> list[list[Any]]:
        """Every token, newest first, without its secret."""
        return [[t.id, t.username, t.label, "회수됨" if t.revoked else "사용 중", local_time(t.created_at)]
                for t in reversed(self.registry.tokens())]

    def live_tokens(self) -> list[tuple[str, int]]:
        """The unrevoked tokens, as choices (label, id)."""
        return [(f"{t.id}번 · {t.username}" + (f" · {t.label}" if t.label else ""), t.id)
                for t in reversed(self.registry.tokens()) if not t.revoked]

    # --- the audit log -------------------------------------------------------------------------------------
    def audit_table(self, action: str, user: str, start: str, end: str) -> list[list[Any]]:
        """The newest entries (at most AUDIT_ROWS) matching the filters; dates are the server's local days."""
        since = _day(start, "시작일")
        last = _day(end, "마지막 날")
        until = last + timedelta(days=1) if last is not None else None
        entries = self.registry.audit_log(AUDIT_ROWS, action, user=user.strip(), since=since, until=until)
        return [[local_time(e.at), e.actor or "-", ACTION_KO.get(e.action, e.action), e.target, e.detail, e.address]
                for e in entries]

    def action_choices(self) -> list[tuple[str, str]]:
        """The actions to filter by: every one the log holds, in Korean."""
        return [("모든 동작", "")] + [(f"{ACTION_KO.get(a, a)} ({a})", a) for a in self.registry.audit_actions()]

    # --- what next -----------------------------------------------------------------------------------------
    def next_steps(self) -> list[tuple[str, bool]]:
        """The first week's steps and whether each is done: departments, leads, documents."""
        departments = self.registry.departments()
        leads = any(u.role == "lead" for u in self.registry.users())
        indexed = set(self.services.store.departments())
        return [("부서 등록", bool(departments)), ("부서 담당자 초대", leads),
                ("문서 올리기", any(d.name in indexed for d in departments))]


def _fits(text: str, limit: int, what: str) -> None:
    """Refuse a field longer than its column (PostgreSQL would refuse it with an error nobody could read)."""
    if len(text.strip()) > limit:
        raise RegistryError(what, f"{limit}자까지 쓸 수 있습니다", "줄여서 다시 해 주세요")


def _role_line(user: User) -> str:
    return ROLE_KO[user.role] + (f", {', '.join(user.departments)}" if user.departments else "")


def _day(text: str, what: str) -> datetime | None:
    """The start of a day written YYYY-MM-DD, in the server's time zone; None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise RegistryError(text, f"{what}은 2026-01-31처럼 연-월-일로 적어 주세요") from exc
    return datetime.combine(day, time()).astimezone()
