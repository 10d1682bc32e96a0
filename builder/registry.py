"""The registry: departments, users and roles, bots with their versions and share links, in SQLite or PostgreSQL.

One `Registry` per process, on a SQLAlchemy URL (`sqlite:///…/registry.db` by default, `postgresql+psycopg://…`
for several servers). The schema is brought to the current head by Alembic migrations when the registry opens,
so an upgrade keeps every bot, user and setting. Methods return plain frozen records, never live ORM rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Select, bindparam, case, create_engine, delete, event, func, not_, or_, select, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from builder.conversations import Conversations
from builder.definitions import BotDefinition
from builder.models import (
    ApiTokenRow,
    AuditRow,
    BotRow,
    BotVersionRow,
    DepartmentRow,
    FeedbackRow,
    SessionRow,
    UserRow,
    memberships,
)
from builder.passwords import hash_password, needs_rehash, verify_password, weakness
from builder.privacy import mask
from connectors.errors import ConnectorError

Role = Literal["admin", "lead", "staff"]
ROLES: tuple[Role, ...] = ("admin", "lead", "staff")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SESSION_PREFIX = "dbs_"
SIGN_IN_FAILED = "sign_in_failed"


class RegistryError(ConnectorError):
    """A registry request that cannot be done (said in Korean, with what to do)."""


# The two look-ups every question makes, as plain selects (see Registry.user): a user with their departments (one
# row per department), and bots with their current version only (loading every version made each question slower
# with every save of its bot, and listing bots took a query per bot).
_USER_BY_NAME = (
    select(UserRow.id, UserRow.username, UserRow.display_name, UserRow.role, UserRow.active,
           DepartmentRow.name.label("department"))
    .outerjoin(memberships, memberships.c.user_id == UserRow.id)
    .outerjoin(DepartmentRow, DepartmentRow.id == memberships.c.department_id)
    .where(UserRow.username == bindparam("name")))
# What every signed-in request asks (see Registry.session_user): the session and its user with their departments,
# one select through the engine, as _USER_BY_NAME.
_SESSION_USER = (
    select(SessionRow.id.label("session_id"), SessionRow.created_at, SessionRow.last_seen, UserRow.id,
           UserRow.username, UserRow.display_name, UserRow.role, UserRow.active,
           DepartmentRow.name.label("department"))
    .join(UserRow, UserRow.id == SessionRow.user_id)
    .outerjoin(memberships, memberships.c.user_id == UserRow.id)
    .outerjoin(DepartmentRow, DepartmentRow.id == memberships.c.department_id)
    .where(SessionRow.token_sha256 == bindparam("digest")))
_TOUCH_SESSION = (update(SessionRow).where(SessionRow.id == bindparam("session_id"))
                  .values(last_seen=bindparam("seen")))
_DROP_SESSION = delete(SessionRow).where(SessionRow.id == bindparam("session_id"))
_BOT_COLUMNS = select(BotRow.slug, BotVersionRow.definition, BotVersionRow.number, BotRow.current_version,
                      BotRow.published, BotRow.published_version, BotRow.link_key, BotRow.created_at)
_CURRENT_VERSIONS = _BOT_COLUMNS.join(
    BotVersionRow, (BotVersionRow.bot_id == BotRow.id) & (BotVersionRow.number == BotRow.current_version))
# What staff get: a published bot's published version; an unpublished bot's draft, which only its managers may use
# (builder.access decides that). A save moves current_version only, so it never reaches staff by itself.
_SERVED_NUMBER = case((BotRow.published == true(), func.coalesce(BotRow.published_version, BotRow.current_version)),
                      else_=BotRow.current_version)
_SERVED_VERSIONS = _BOT_COLUMNS.join(
    BotVersionRow, (BotVersionRow.bot_id == BotRow.id) & (BotVersionRow.number == _SERVED_NUMBER))


@dataclass(frozen=True, slots=True)
class Department:
    """A department."""

    id: int
    name: str
    slug: str
    contact: str


@dataclass(frozen=True, slots=True)
class User:
    """A user, without the password hash."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    departments: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        """Administrators may do everything."""
        return self.role == "admin"

    def leads(self, departments: Sequence[str]) -> bool:
        """Whether this user may manage bots and documents of all these departments."""
        return self.is_admin or (self.role == "lead" and set(departments) <= set(self.departments))


@dataclass(frozen=True, slots=True)
class BotRecord:
    """A bot as stored: one version's definition (the draft, or what staff get: see `Registry.served`), that
    version's number, publication, share-link key, the published version (None while unpublished) and the newest
    version (the draft)."""

    slug: str
    definition: BotDefinition
    version: int
    published: bool
    link_key: str
    created_at: datetime
    published_version: int | None = None
    draft_version: int = 0

    @property
    def has_unpublished_changes(self) -> bool:
        """Whether the lead saved versions staff do not get yet (a published bot whose draft is newer)."""
        return self.published and self.published_version is not None and self.published_version != self.draft_version


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An issued API token, without its secret."""

    id: int
    username: str
    label: str
    revoked: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A signed-in browser, without its token (times in UTC)."""

    id: int
    username: str
    created_at: datetime
    last_seen: datetime
    address: str
    agent: str


@dataclass(frozen=True, slots=True)
class Feedback:
    """A rating of one answer."""

    bot_slug: str
    trace_id: str
    rating: int  # +1 or -1
    comment: str
    username: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    address: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a bot."""

    number: int
    author: str
    note: str
    created_at: datetime
    definition: BotDefinition


def default_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file in the data folder."""
    return f"sqlite:///{data_dir / 'registry.db'}"


class Registry:
    """Departments, users, bots; every method is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.conversations = Conversations(engine=self.engine)  # staff's saved conversations (their own module)

    @classmethod
    def open(cls, url: str) -> Registry:
        """A registry whose schema is at the current head (migrating it when it is older)."""
        registry = cls(url)
        registry.upgrade()
        return registry

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations the database lacks (up to `revision`)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def schema_version(self) -> str:
        """The migration the database is at."""
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return str(MigrationContext.configure(connection).get_current_revision() or "")

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- departments -------------------------------------------------------------------------------------
    def add_department(self, name: str, slug: str, contact: str = "") -> Department:
        """Register a department (its Korean name is also its knowledge index's name)."""
        name = name.strip()
        if not name:
            raise RegistryError("부서", "부서 이름이 비어 있습니다", "부서 이름을 주세요")
        _check_slug(slug, "부서")
        try:
            with self._session() as session:
                row = DepartmentRow(name=name, slug=slug, contact=contact.strip())
                session.add(row)
                session.flush()
                return _department(row)
        except IntegrityError as exc:
            raise RegistryError(name, "같은 이름이나 slug의 부서가 이미 있습니다",
                                "'deptbot departments list'로 확인해 주세요") from exc

    def departments(self) -> list[Department]:
        """Every department, by name."""
        with self._session() as session:
            return [_department(row) for row in session.scalars(select(DepartmentRow).order_by(DepartmentRow.name))]

    def department(self, name_or_slug: str) -> Department:
        """A department by Korean name or slug."""
        with self._session() as session:
            return _department(self._department_row(session, name_or_slug))

    def update_department(self, name_or_slug: str, *, name: str | None = None, slug: str | None = None,
                          contact: str | None = None) -> Department:
        """Change a department's contact, slug or name (a name no bot uses: bots name their departments)."""
        with self._session() as session:
            row = self._department_row(session, name_or_slug)
            new_name = row.name if name is None else name.strip()
            if not new_name:
                raise RegistryError(row.name, "부서 이름이 비어 있습니다", "부서 이름을 주세요")
            if slug is not None and slug != row.slug:
                _check_slug(slug, "부서")
            if new_name != row.name:
                users = [b.slug for b in self._bots_of(session, row.name)]
                if users:
                    raise RegistryError(row.name, f"봇 {', '.join(users)}이 이 부서 이름을 씁니다",
                                        "이름을 바꾸려면 새 부서를 등록하고 봇을 옮기세요")
            try:
                row.name, row.slug = new_name, row.slug if slug is None else slug
                row.contact = row.contact if contact is None else contact.strip()[:200]
                session.flush()
            except IntegrityError as exc:
                raise RegistryError(new_name, "같은 이름이나 slug의 부서가 이미 있습니다",
                                    "다른 이름이나 slug를 쓰세요") from exc
            return _department(row)

    @staticmethod
    def _bots_of(session: Session, department: str) -> list[BotRow]:
        """Bots whose current or any earlier version names the department (a restore must find it again)."""
        rows = session.scalars(select(BotRow).join(BotVersionRow).distinct().order_by(BotRow.slug))
        return [bot for bot in rows if any(department in _named_departments(v.definition) for v in bot.versions)]

    @staticmethod
    def _department_row(session: Session, name_or_slug: str) -> DepartmentRow:
        row = session.scalar(select(DepartmentRow).where(
            (DepartmentRow.name == name_or_slug) | (DepartmentRow.slug == name_or_slug)))
        if row is None:
            raise RegistryError(name_or_slug, "그런 부서가 없습니다",
                                "'deptbot departments add 이름 --slug 영문'으로 먼저 등록해 주세요")
        return row

    # --- users ---------------------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, role: str, departments: Sequence[str] = (),
                 display_name: str = "") -> User:
        """Create a user; leads and staff belong to at least one department."""
        if not _USERNAME.match(username):
            raise RegistryError(username, "사용자 이름은 영문, 숫자와 . _ @ - 로 2-64자여야 합니다")
        if role not in ROLES:
            raise RegistryError(username, f"역할 '{role}'은 없습니다", "admin, lead, staff 중에서 고르세요")
        if role != "admin" and not departments:
            raise RegistryError(username, "부서장과 직원은 소속 부서가 있어야 합니다", "--department 로 부서를 주세요")
        problem = weakness(password, username)
        if problem:
            raise RegistryError(username, problem)
        try:
            with self._session() as session:
                rows = [self._department_row(session, name) for name in departments]
                user = UserRow(username=username, display_name=display_name or username,
                               password_hash=hash_password(password), role=role, departments=rows)
                session.add(user)
                session.flush()
                return _user(user)
        except IntegrityError as exc:
            raise RegistryError(username, "같은 이름의 사용자가 이미 있습니다") from exc

    def users(self) -> list[User]:
        """Every user, by name."""
        with self._session() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def update_user(self, username: str, role: str, departments: Sequence[str],
                    display_name: str | None = None) -> User:
        """Change a user's role and departments (the last administrator stays one); takes effect at their next
        request, since every request reads the user afresh."""
        if role not in ROLES:
            raise RegistryError(username, f"역할 '{role}'은 없습니다", "admin, lead, staff 중에서 고르세요")
        if role != "admin" and not departments:
            raise RegistryError(username, "부서장과 직원은 소속 부서가 있어야 합니다", "부서를 하나 이상 고르세요")
        with self._session() as session:
            row = self._user_row(session, username)
            if row.role == "admin" and role != "admin" and self._admins(session) <= 1:
                raise RegistryError(username, "마지막 관리자의 역할은 바꿀 수 없습니다", "다른 관리자를 먼저 만드세요")
            row.role = role
            row.departments = [self._department_row(session, name) for name in dict.fromkeys(departments)]
            if display_name is not None and display_name.strip():
                row.display_name = display_name.strip()[:100]
            session.flush()
            return _user(row)

    @staticmethod
    def _admins(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(UserRow).where(UserRow.role == "admin")) or 0)

    def user(self, username: str) -> User:
        """A user by name."""
        # Every request of a signed-in user asks this, and the ORM's unit of work cost 0.5 ms a call against 0.07
        # for the same select through the engine (bench/load.py spent a sixth of the server's time in the ORM).
        with self.engine.connect() as connection:
            rows = connection.execute(_USER_BY_NAME, {"name": username}).all()
        if not rows:
            raise RegistryError(username, "그런 사용자가 없습니다", "'deptbot users list'로 확인해 주세요")
        return _user_of_rows(rows)

    @staticmethod
    def _user_row(session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise RegistryError(username, "그런 사용자가 없습니다", "'deptbot users list'로 확인해 주세요")
        return row

    def set_password(self, username: str, password: str, *, keep_session: str = "") -> None:
        """Replace a user's password and close their sessions, all but `keep_session` (the one that changed it)."""
        problem = weakness(password, username)
        if problem:
            raise RegistryError(username, problem)
        with self._session() as session:
            row = self._user_row(session, username)
            row.password_hash = hash_password(password)
            _close_sessions(session, row.id, keep_session)

    def remove_user(self, username: str) -> None:
        """Delete a user (never the last administrator) with their sessions and conversations (ON DELETE CASCADE)."""
        with self._session() as session:
            row = self._user_row(session, username)
            if row.role == "admin" and self._admins(session) <= 1:
                raise RegistryError(username, "마지막 관리자는 지울 수 없습니다", "다른 관리자를 먼저 만드세요")
            session.delete(row)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is right and the account active; None otherwise (never says which)."""
        with self._session() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                hash_password(password)  # the same work as a real check, so timing does not reveal names
                return None
            if not row.active or not verify_password(row.password_hash, password):
                return None
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            return _user(row)

    # --- sign-in sessions -----------------------------------------------------------------------------------
    # The cookie holds only a random token; the session lives here so that logout, a password change or removing
    # a user ends it at once, on every server of a deployment. Only the token's SHA-256 is stored, as for API tokens.
    def open_session(self, username: str, address: str = "", agent: str = "") -> str:
        """A new session of an active user; its secret token is returned once and never stored."""
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        with self._session() as session:
            user = self._user_row(session, username)
            if not user.active:
                raise RegistryError(username, "사용이 중지된 사용자입니다", "관리자에게 문의해 주세요")
            session.add(SessionRow(user_id=user.id, token_sha256=_sha256(token), address=address[:64],
                                   agent=agent[:200]))
        return token

    def session_user(self, token: str, *, idle_minutes: float, max_hours: float) -> User | None:
        """The active user of a live session, else None (a dead session found here is deleted)."""
        if not token.startswith(SESSION_PREFIX):
            return None
        # Every request of a signed-in browser asks this: one select through the engine, as `user`, and a write
        # only when last_seen is a minute old (or half the idle window, when that is shorter).
        with self.engine.connect() as connection:
            rows = connection.execute(_SESSION_USER, {"digest": _sha256(token)}).all()
        if not rows:
            return None
        first, moment = rows[0], datetime.now(UTC)
        idle = moment - _utc(first.last_seen)
        if (not first.active or idle > timedelta(minutes=idle_minutes)
                or moment - _utc(first.created_at) > timedelta(hours=max_hours)):
            with self.engine.begin() as connection:
                connection.execute(_DROP_SESSION, {"session_id": first.session_id})
            return None
        if idle >= timedelta(seconds=min(60.0, idle_minutes * 30)):
            with self.engine.begin() as connection:
                connection.execute(_TOUCH_SESSION, {"session_id": first.session_id, "seen": moment})
        return _user_of_rows(rows)

    def close_session(self, token: str) -> None:
        """End one session (logout); an unknown token is no error."""
        with self.engine.begin() as connection:
            connection.execute(delete(SessionRow).where(SessionRow.token_sha256 == _sha256(token)))

    def close_sessions(self, username: str, *, keep: str = "") -> int:
        """Sign a user out everywhere but the session of `keep`; how many sessions were closed."""
        with self._session() as session:
            return _close_sessions(session, self._user_row(session, username).id, keep)

    def sessions(self, username: str) -> list[SessionInfo]:
        """A user's open sessions, newest first (dead ones too, until they are purged or looked up)."""
        with self._session() as session:
            user = self._user_row(session, username)
            rows = session.scalars(select(SessionRow).where(SessionRow.user_id == user.id)
                                   .order_by(SessionRow.created_at.desc(), SessionRow.id.desc()))
            return [SessionInfo(r.id, user.username, _utc(r.created_at), _utc(r.last_seen), r.address, r.agent)
                    for r in rows]

    def purge_sessions(self, idle_minutes: float, max_hours: float) -> int:
        """Delete every dead session (idle too long, too old, or of an inactive user); how many."""
        moment = datetime.now(UTC)
        inactive = select(UserRow.id).where(not_(UserRow.active))
        with self.engine.begin() as connection:
            return connection.execute(delete(SessionRow).where(or_(
                SessionRow.last_seen < moment - timedelta(minutes=idle_minutes),
                SessionRow.created_at < moment - timedelta(hours=max_hours),
                SessionRow.user_id.in_(inactive)))).rowcount

    # --- audit log --------------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, target: str = "", detail: str = "", address: str = "") -> None:
        """Record an administrative action (personal data in the detail masked)."""
        with self._session() as session:
            session.add(AuditRow(actor=actor[:64], action=action[:40], target=mask(target)[:300],
                                 detail=mask(detail)[:4000], address=address[:64]))

    def audit_log(self, limit: int = 200, action: str = "", *, user: str = "", since: datetime | None = None,
                  until: datetime | None = None) -> list[AuditEntry]:
        """The newest entries first: of one action, by or about one user, from `since` to before `until` (UTC),
        when asked."""
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if action:
            query = query.where(AuditRow.action == action)
        if user:  # as `audit` stored the name: masked and cut when it looks like an e-mail address
            query = query.where(or_(AuditRow.actor == user[:64], AuditRow.target == mask(user)[:300]))
        if since is not None:
            query = query.where(AuditRow.at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(AuditRow.at < until.astimezone(UTC))
        with self._session() as session:
            return [AuditEntry(_utc(r.at), r.actor, r.action, r.target, r.detail, r.address)
                    for r in session.scalars(query)]

    def audit_actions(self) -> list[str]:
        """Every action the audit log holds, sorted (for a filter's choices)."""
        with self.engine.connect() as connection:
            return sorted(str(a) for a in connection.scalars(select(AuditRow.action).distinct()))

    def recent_failures(self, username: str, minutes: float, address: str | None = None) -> int:
        """Failed sign-ins of a user name in the last minutes, from one address when given (all servers count here)."""
        # The name is compared as `audit` stored it (masked, cut): an e-mail-like name is kept as ***@domain.
        query = _failures_since(minutes).where(AuditRow.target == mask(username)[:300])
        if address is not None:
            query = query.where(AuditRow.address == address[:64])
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def recent_failures_from(self, address: str, minutes: float) -> int:
        """Failed sign-ins of any user name from one address in the last minutes (against spraying many names)."""
        query = _failures_since(minutes).where(AuditRow.address == address[:64])
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def has_admin(self) -> bool:
        """Whether an active administrator exists."""
        with self._session() as session:
            found = session.scalar(select(UserRow.id).where(UserRow.role == "admin", UserRow.active).limit(1))
            return found is not None

    # --- bots ----------------------------------------------------------------------------------------------
    def create_bot(self, definition: BotDefinition, author: str = "", note: str = "") -> BotRecord:
        """Store a new bot as version 1 (unpublished)."""
        try:
            with self._session() as session:
                self._check_departments(session, definition.departments)
                bot = BotRow(slug=definition.slug, current_version=1, link_key=_new_key())
                bot.versions.append(BotVersionRow(number=1, definition=_as_json(definition), author=author,
                                                  note=note or "만듦"))
                session.add(bot)
                session.flush()
                return _bot(bot)
        except IntegrityError as exc:
            raise RegistryError(definition.slug, "같은 slug의 봇이 이미 있습니다", "다른 slug를 쓰세요") from exc

    def save_bot(self, definition: BotDefinition, author: str = "", note: str = "") -> BotRecord:
        """Save a changed definition as the bot's next version."""
        with self._session() as session:
            bot = self._bot_row(session, definition.slug)
            self._check_departments(session, definition.departments)
            return _bot(self._append_version(bot, definition, author, note or "고침"))

    def bot(self, slug: str) -> BotRecord:
        """A bot's draft: its newest version, as the builder, exports and `deptbot bots show` see it."""
        return self._one(_CURRENT_VERSIONS, slug)

    def bots(self) -> list[BotRecord]:
        """Every bot's draft, by slug."""
        return self._all(_CURRENT_VERSIONS)

    def served(self, slug: str) -> BotRecord:
        """A bot as its users get it (share link, chat page, API): the published version while published, else the
        draft, which only the bot's managers may use (every question looks its bot up: through the engine)."""
        return self._one(_SERVED_VERSIONS, slug)

    def served_bots(self) -> list[BotRecord]:
        """Every bot as its users get it, by slug (see `served`)."""
        return self._all(_SERVED_VERSIONS)

    def _one(self, query: Select[*tuple[Any, ...]], slug: str) -> BotRecord:
        with self.engine.connect() as connection:
            row = connection.execute(query.where(BotRow.slug == bindparam("slug")), {"slug": slug}).first()
        if row is None:
            raise RegistryError(slug, "그런 봇이 없습니다", "'deptbot bots list'로 확인해 주세요")
        return _bot_record(row)

    def _all(self, query: Select[*tuple[Any, ...]]) -> list[BotRecord]:
        with self.engine.connect() as connection:
            return [_bot_record(row) for row in connection.execute(query.order_by(BotRow.slug))]

    def versions(self, slug: str) -> list[VersionInfo]:
        """A bot's versions, oldest first."""
        with self._session() as session:
            return [VersionInfo(v.number, v.author, v.note, v.created_at, BotDefinition.model_validate(v.definition))
                    for v in self._bot_row(session, slug).versions]

    def restore(self, slug: str, number: int, author: str = "") -> BotRecord:
        """Make an earlier version the draft again, as a new version (history is never rewritten; staff keep the
        published version until the bot is published again)."""
        with self._session() as session:
            bot = self._bot_row(session, slug)
            old = next((v for v in bot.versions if v.number == number), None)
            if old is None:
                raise RegistryError(slug, f"버전 {number}이 없습니다",
                                    f"'deptbot bots show {slug}'로 버전을 확인해 주세요")
            definition = BotDefinition.model_validate(old.definition)
            return _bot(self._append_version(bot, definition, author, f"버전 {number}로 되돌림"))

    def clone(self, slug: str, new_slug: str, author: str = "") -> BotRecord:
        """A new unpublished bot with the current definition of another."""
        source = self.bot(slug).definition
        copy = source.model_copy(update={"slug": new_slug, "name": f"{source.name} (사본)"})
        return self.create_bot(BotDefinition.model_validate(copy.model_dump()), author, note=f"{slug}에서 복제")

    def set_published(self, slug: str, published: bool) -> BotRecord:
        """Publish the draft (staff get the newest version from now on), or unpublish (the link stops working)."""
        with self._session() as session:
            bot = self._bot_row(session, slug)
            bot.published = published
            bot.published_version = bot.current_version if published else None
            return _bot(bot)

    def rotate_link(self, slug: str) -> BotRecord:
        """A new share-link key: the old link stops working at once."""
        with self._session() as session:
            bot = self._bot_row(session, slug)
            bot.link_key = _new_key()
            return _bot(bot)

    def bot_by_link(self, slug: str, key: str) -> BotRecord | None:
        """The published version a share link points at, or None (unknown, unpublished or an old key)."""
        try:
            bot = self.served(slug)
        except RegistryError:
            return None
        if not bot.published or not secrets.compare_digest(bot.link_key.encode(), key.encode()):
            return None
        return bot

    def delete_bot(self, slug: str) -> None:
        """Delete a bot and its versions."""
        with self._session() as session:
            session.delete(self._bot_row(session, slug))

    # --- API tokens ----------------------------------------------------------------------------------------
    def issue_token(self, username: str, label: str = "") -> str:
        """A new API token acting as the user; the secret is returned once and never stored."""
        token = "dbt_" + secrets.token_urlsafe(32)
        with self._session() as session:
            user = self._user_row(session, username)
            session.add(ApiTokenRow(user_id=user.id, token_sha256=_sha256(token), label=label.strip()[:100]))
        return token

    def tokens(self) -> list[ApiToken]:
        """Every issued token (revoked ones too), oldest first."""
        with self._session() as session:
            rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))
            return [ApiToken(r.id, r.user.username, r.label, r.revoked, r.created_at) for r in rows]

    def revoke_token(self, token_id: int) -> None:
        """Stop a token from working, at once."""
        with self._session() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise RegistryError(str(token_id), "그런 토큰이 없습니다", "'deptbot tokens list'로 확인해 주세요")
            row.revoked = True

    def user_for_token(self, token: str) -> User | None:
        """The active user an unrevoked token acts as, or None."""
        if not token.startswith("dbt_"):
            return None
        with self._session() as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == _sha256(token)))
            if row is None or row.revoked or not row.user.active:
                return None
            return _user(row.user)

    # --- feedback ------------------------------------------------------------------------------------------
    def rate(self, bot_slug: str, trace_id: str, rating: int, comment: str = "", username: str = "") -> Feedback:
        """Record (or change) the rating of one answer; +1 or -1."""
        if rating not in (1, -1):
            raise RegistryError(trace_id, "평가는 좋아요(+1) 또는 싫어요(-1)만 됩니다")
        with self._session() as session:
            row = session.scalar(select(FeedbackRow).where(FeedbackRow.trace_id == trace_id))
            if row is None:
                row = FeedbackRow(bot_slug=bot_slug, trace_id=trace_id)
                session.add(row)
            row.rating, row.comment, row.username = rating, comment.strip()[:2000], username
            session.flush()
            return _feedback(row)

    def feedback(self, bot_slug: str) -> list[Feedback]:
        """A bot's ratings, newest first."""
        with self._session() as session:
            rows = session.scalars(select(FeedbackRow).where(FeedbackRow.bot_slug == bot_slug)
                                   .order_by(FeedbackRow.created_at.desc(), FeedbackRow.id.desc()))
            return [_feedback(row) for row in rows]

    @staticmethod
    def _bot_row(session: Session, slug: str) -> BotRow:
        row = session.scalar(select(BotRow).where(BotRow.slug == slug))
        if row is None:
            raise RegistryError(slug, "그런 봇이 없습니다", "'deptbot bots list'로 확인해 주세요")
        return row

    def _check_departments(self, session: Session, names: Sequence[str]) -> None:
        for name in names:
            self._department_row(session, name)

    @staticmethod
    def _append_version(bot: BotRow, definition: BotDefinition, author: str, note: str) -> BotRow:
        number = max((v.number for v in bot.versions), default=0) + 1
        bot.versions.append(BotVersionRow(number=number, definition=_as_json(definition), author=author, note=note))
        bot.current_version = number
        return bot


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
            cursor.close()

        return engine
    # pool_pre_ping: a connection the server dropped (a PostgreSQL restart) is replaced, not handed out.
    return create_engine(url, pool_pre_ping=True)


def _user_of_rows(rows: Sequence[Any]) -> User:
    """A user from the rows of _USER_BY_NAME or _SESSION_USER (one per department)."""
    first = rows[0]
    role: Role = "admin" if first.role == "admin" else "lead" if first.role == "lead" else "staff"
    return User(first.id, first.username, first.display_name, role, first.active,
                tuple(sorted(row.department for row in rows if row.department is not None)))


def _close_sessions(session: Session, user_id: int, keep: str) -> int:
    query = delete(SessionRow).where(SessionRow.user_id == user_id)
    if keep:
        query = query.where(SessionRow.token_sha256 != _sha256(keep))
    return session.connection().execute(query).rowcount


def _failures_since(minutes: float) -> Select[Any]:
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    return select(func.count()).select_from(AuditRow).where(AuditRow.action == SIGN_IN_FAILED, AuditRow.at >= since)


def _named_departments(definition: dict[str, object]) -> list[str]:
    names = definition.get("departments")
    return [str(n) for n in names] if isinstance(names, list) else []


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone: what it gives back is the UTC the registry wrote.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _check_slug(slug: str, what: str) -> None:
    if not _SLUG.match(slug):
        raise RegistryError(slug, f"{what} slug는 영문 소문자, 숫자, '-'로 2-63자여야 합니다")


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_key() -> str:
    return secrets.token_urlsafe(16)


def _as_json(definition: BotDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json")


def _department(row: DepartmentRow) -> Department:
    return Department(row.id, row.name, row.slug, row.contact)


def _user(row: UserRow) -> User:
    role: Role = "admin" if row.role == "admin" else "lead" if row.role == "lead" else "staff"
    return User(row.id, row.username, row.display_name, role, row.active,
                tuple(sorted(d.name for d in row.departments)))


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(row.bot_slug, row.trace_id, row.rating, row.comment, row.username, row.created_at)


def _bot(row: BotRow) -> BotRecord:
    """The draft of a bot row."""
    current = next(v for v in row.versions if v.number == row.current_version)
    return BotRecord(row.slug, BotDefinition.model_validate(current.definition), row.current_version, row.published,
                     row.link_key, row.created_at, row.published_version, row.current_version)


def _bot_record(row: Any) -> BotRecord:
    """A record of a row of _CURRENT_VERSIONS or _SERVED_VERSIONS (`number`: the version its definition is)."""
    return BotRecord(row.slug, BotDefinition.model_validate(row.definition), row.number, row.published,
                     row.link_key, row.created_at, row.published_version, row.current_version)
