"""Sign-in sessions in the registry and failed sign-in counts, on SQLite and on a real PostgreSQL server.

Times are moved by updating the rows through the registry's engine, never by sleeping.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, text, update

from builder.models import AuditRow, SessionRow, UserRow
from builder.registry import Registry, RegistryError
from tests.builder import test_registry
from tests.builder.test_registry import HEAD, PASSWORD

registry = test_registry.registry  # the same fixture: a fresh registry on SQLite and on PostgreSQL

IDLE, MAX = 30.0, 8.0  # minutes without a request, hours since sign-in


def _staff(registry: Registry, *names: str) -> None:
    registry.add_department("총무과", "general-affairs")
    for name in names:
        registry.add_user(name, PASSWORD, "staff", ["총무과"])


def _user(registry: Registry, token: str) -> str | None:
    user = registry.session_user(token, idle_minutes=IDLE, max_hours=MAX)
    return None if user is None else user.username


def _age(registry: Registry, token: str, **ago: timedelta) -> None:
    """Move a session's created_at and/or last_seen back by the given amounts."""
    moment = datetime.now(UTC)
    values = {column: moment - delta for column, delta in ago.items()}
    digest = hashlib.sha256(token.encode()).hexdigest()
    with registry.engine.begin() as connection:
        connection.execute(update(SessionRow).where(SessionRow.token_sha256 == digest).values(**values))


def _count_sessions(registry: Registry) -> int:
    with registry.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(SessionRow)) or 0)


def _last_seen(registry: Registry) -> datetime:
    with registry.engine.connect() as connection:
        seen = connection.scalar(select(SessionRow.last_seen))
    assert seen is not None
    return seen if seen.tzinfo else seen.replace(tzinfo=UTC)


def test_a_session_signs_its_user_in_until_it_is_closed(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim", "10.0.0.7", "Mozilla/5.0")
    assert token.startswith("dbs_") and len(token) > 40
    user = registry.session_user(token, idle_minutes=IDLE, max_hours=MAX)
    assert user is not None and (user.username, user.departments) == ("kim", ("총무과",))
    assert _user(registry, token + "x") is None and _user(registry, "not-a-token") is None
    registry.close_session(token)
    assert _user(registry, token) is None and _count_sessions(registry) == 0
    registry.close_session(token)  # logging out twice, or with a forged cookie, is no error
    registry.close_session("dbs_unknown")
    with pytest.raises(RegistryError, match="그런 사용자가 없습니다"):
        registry.open_session("nobody")


def test_only_the_token_s_hash_is_stored_with_the_address_and_a_truncated_agent(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim", "10.0.0.7", "A" * 500)
    with registry.engine.connect() as connection:
        row = connection.execute(text("select * from sessions")).mappings().one()
    assert token not in {str(value) for value in row.values()}
    assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert (row["address"], row["agent"]) == ("10.0.0.7", "A" * 200)


def test_an_idle_session_ends_and_is_deleted(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim")
    _age(registry, token, last_seen=timedelta(minutes=IDLE - 1))
    assert _user(registry, token) == "kim"
    _age(registry, token, last_seen=timedelta(minutes=IDLE + 1))
    assert _user(registry, token) is None and _count_sessions(registry) == 0


def test_a_session_in_use_still_ends_at_its_maximum_age(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim")
    _age(registry, token, created_at=timedelta(hours=MAX - 0.1), last_seen=timedelta(0))
    assert _user(registry, token) == "kim"
    _age(registry, token, created_at=timedelta(hours=MAX + 0.1), last_seen=timedelta(0))
    assert _user(registry, token) is None and _count_sessions(registry) == 0


def test_last_seen_is_written_at_most_once_a_minute(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim")
    _age(registry, token, last_seen=timedelta(seconds=30))
    before = _last_seen(registry)
    assert _user(registry, token) == "kim" and _last_seen(registry) == before  # not written: under a minute old
    _age(registry, token, last_seen=timedelta(minutes=2))
    assert _user(registry, token) == "kim"
    assert datetime.now(UTC) - _last_seen(registry) < timedelta(seconds=10)  # written: it was two minutes old


def test_a_password_change_closes_the_other_sessions_and_keeps_its_own(registry: Registry) -> None:
    _staff(registry, "kim", "lee")
    phone, laptop, desk = (registry.open_session("kim") for _ in range(3))
    others = registry.open_session("lee")
    registry.set_password("kim", "another-long-secret", keep_session=laptop)
    assert [_user(registry, t) for t in (phone, laptop, desk, others)] == [None, "kim", None, "lee"]
    registry.set_password("kim", "yet-another-long-secret")  # an administrator's reset: no session stays
    assert _user(registry, laptop) is None and _user(registry, others) == "lee"


def test_removing_a_user_removes_their_sessions(registry: Registry) -> None:
    _staff(registry, "kim", "lee")
    token = registry.open_session("kim")
    kept = registry.open_session("lee")
    if registry.url.startswith("sqlite"):  # the cascade below needs SQLite's foreign keys on, on every connection
        with registry.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    registry.remove_user("kim")
    assert _count_sessions(registry) == 1 and _user(registry, token) is None and _user(registry, kept) == "lee"


def test_an_inactive_user_s_session_gives_none_and_is_deleted(registry: Registry) -> None:
    _staff(registry, "kim")
    token = registry.open_session("kim")
    with registry.engine.begin() as connection:
        connection.execute(update(UserRow).where(UserRow.username == "kim").values(active=False))
    assert _user(registry, token) is None and _count_sessions(registry) == 0
    with pytest.raises(RegistryError, match="사용이 중지된"):
        registry.open_session("kim")


def test_sign_out_everywhere_closes_all_but_the_kept_session_and_says_how_many(registry: Registry) -> None:
    _staff(registry, "kim", "lee")
    first = registry.open_session("kim", "10.0.0.1", "Firefox")
    second = registry.open_session("kim", "10.0.0.2", "Chrome")
    third = registry.open_session("kim", "10.0.0.3", "Edge")
    others = registry.open_session("lee")
    listed = registry.sessions("kim")
    assert [(s.username, s.address, s.agent) for s in listed] == [
        ("kim", "10.0.0.3", "Edge"), ("kim", "10.0.0.2", "Chrome"), ("kim", "10.0.0.1", "Firefox")]
    assert all(s.created_at.tzinfo is not None and s.last_seen >= s.created_at for s in listed)
    assert registry.close_sessions("kim", keep=second) == 2
    assert [_user(registry, t) for t in (first, second, third, others)] == [None, "kim", None, "lee"]
    assert registry.close_sessions("kim") == 1 and registry.close_sessions("kim") == 0
    assert registry.sessions("kim") == [] and len(registry.sessions("lee")) == 1
    with pytest.raises(RegistryError, match="그런 사용자가 없습니다"):
        registry.close_sessions("nobody")


def test_purging_deletes_only_dead_sessions(registry: Registry) -> None:
    _staff(registry, "kim", "lee")
    live, idle, old = (registry.open_session("kim") for _ in range(3))
    inactive = registry.open_session("lee")
    _age(registry, idle, last_seen=timedelta(minutes=IDLE + 1))
    _age(registry, old, created_at=timedelta(hours=MAX + 1), last_seen=timedelta(0))
    with registry.engine.begin() as connection:
        connection.execute(update(UserRow).where(UserRow.username == "lee").values(active=False))
    assert registry.purge_sessions(IDLE, MAX) == 3
    assert _count_sessions(registry) == 1 and _user(registry, live) == "kim" and _user(registry, inactive) is None


def test_failed_sign_ins_are_counted_per_name_per_name_and_address_and_per_address(registry: Registry) -> None:
    for _ in range(3):
        registry.audit("", "sign_in_failed", "root", address="203.0.113.9")
    registry.audit("", "sign_in_failed", "root", address="10.0.0.7")
    for name in ("kim", "lee", "park@city.go.kr"):
        registry.audit("", "sign_in_failed", name, address="203.0.113.9")
    registry.audit("root", "bot_saved", "root", address="203.0.113.9")  # not a failure
    registry.audit("", "sign_in_failed", "root", address="203.0.113.9")
    with registry.engine.begin() as connection:  # the last failure is an hour old: outside the window
        newest = connection.scalar(select(func.max(AuditRow.id)))
        connection.execute(update(AuditRow).where(AuditRow.id == newest)
                           .values(at=datetime.now(UTC) - timedelta(hours=1)))
    assert registry.recent_failures("root", 15) == 4
    assert registry.recent_failures("root", 15, "203.0.113.9") == 3
    assert registry.recent_failures("root", 15, address="10.0.0.7") == 1
    assert registry.recent_failures("root", 15, address="192.0.2.1") == 0
    assert registry.recent_failures("root", 90) == 5
    assert registry.recent_failures("park@city.go.kr", 15) == 1  # counted although the log masks the e-mail
    assert registry.recent_failures_from("203.0.113.9", 15) == 6
    assert registry.recent_failures_from("10.0.0.7", 15) == 1 and registry.recent_failures_from("", 15) == 0


def test_an_upgrade_from_0004_keeps_the_users_and_adds_sessions(registry: Registry) -> None:
    """A registry of the release before sessions (schema 0004) opens with the current code: nothing is lost."""
    with registry.engine.begin() as connection:  # start again from an empty database, at schema 0004
        for table in ("conversation_turns", "conversations", "sessions", "audit_log", "api_tokens", "feedback",
                      "bot_versions", "bots", "memberships", "users", "departments", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    registry.upgrade("0004")
    assert registry.schema_version() == "0004"
    _staff(registry, "kim")
    registry.audit("", "sign_in_failed", "kim", address="10.0.0.7")
    upgraded = Registry.open(registry.url)
    try:
        assert upgraded.schema_version() == HEAD
        assert upgraded.user("kim").departments == ("총무과",) and upgraded.authenticate("kim", PASSWORD)
        assert upgraded.recent_failures("kim", 15, "10.0.0.7") == upgraded.recent_failures_from("10.0.0.7", 15) == 1
        indexes = {index["name"] for index in inspect(upgraded.engine).get_indexes("audit_log")}
        assert {"ix_audit_action_target_at", "ix_audit_address_at"} <= indexes
        token = upgraded.open_session("kim")
        assert _user(upgraded, token) == "kim"
    finally:
        upgraded.close()
