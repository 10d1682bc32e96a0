"""The registry on SQLite and on a real PostgreSQL server: departments, users, roles, bots, versions, links."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from builder.conversations import SavedTurn
from builder.definitions import BotDefinition
from builder.registry import Registry, RegistryError, default_url

PASSWORD = "correct-horse-battery"
HEAD = "0007"


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """A fresh registry: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        url = default_url(tmp_path)
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(server.url).set(database=name).render_as_string(hide_password=False)
    opened = Registry.open(url)
    yield opened
    opened.close()


def _bot(slug: str = "dangjik", **fields: object) -> BotDefinition:
    values: dict[str, object] = {"slug": slug, "name": "당직 도우미", "departments": ["총무과"]} | fields
    return BotDefinition.model_validate(values)


def test_a_reopened_registry_keeps_everything_and_is_at_the_head(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs", "청사관리팀 내선 1135")
    registry.add_user("kim", PASSWORD, "lead", ["총무과"])
    registry.create_bot(_bot(), "kim")
    again = Registry.open(registry.url)
    assert again.schema_version() == registry.schema_version() == HEAD
    assert [d.name for d in again.departments()] == ["총무과"]
    assert again.user("kim").departments == ("총무과",)
    assert again.bot("dangjik").definition.name == "당직 도우미"
    again.close()


def test_passwords_are_hashed_and_checked(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    registry.add_user("kim", PASSWORD, "staff", ["총무과"])
    with registry.engine.connect() as connection:
        stored = connection.execute(text("select password_hash from users")).scalar_one()
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert registry.authenticate("kim", PASSWORD) is not None
    assert registry.authenticate("kim", "wrong-password-123") is None
    assert registry.authenticate("nobody", PASSWORD) is None
    registry.set_password("kim", "another-long-secret")
    assert registry.authenticate("kim", PASSWORD) is None and registry.authenticate("kim", "another-long-secret")


@pytest.mark.parametrize(("password", "problem"), [("short", "10자 이상"), ("kim-is-my-name", "사용자 이름"),
                                                   ("aaaaaaaaaaaa", "되풀이")])
def test_weak_passwords_are_refused(registry: Registry, password: str, problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        registry.add_user("kim", password, "admin")


def test_roles_and_departments(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    registry.add_department("민원여권과", "civil-passport")
    assert not registry.has_admin()
    admin = registry.add_user("root", PASSWORD, "admin")
    lead = registry.add_user("lee", PASSWORD, "lead", ["민원여권과"])
    assert registry.has_admin() and admin.leads(["총무과", "민원여권과"])
    assert lead.leads(["민원여권과"]) and not lead.leads(["총무과"]) and not lead.leads(["민원여권과", "총무과"])
    with pytest.raises(RegistryError, match="소속 부서"):
        registry.add_user("park", PASSWORD, "staff")
    with pytest.raises(RegistryError, match="그런 부서가 없습니다"):
        registry.add_user("park", PASSWORD, "staff", ["건축과"])
    with pytest.raises(RegistryError, match="이미 있습니다"):
        registry.add_user("lee", PASSWORD, "staff", ["총무과"])
    with pytest.raises(RegistryError, match="마지막 관리자"):
        registry.remove_user("root")
    registry.remove_user("lee")
    assert [u.username for u in registry.users()] == ["root"]


def test_every_save_is_a_version_and_an_old_one_can_be_restored(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    registry.create_bot(_bot(instructions="짧게 답하세요."), "kim")
    registry.save_bot(_bot(name="당직 안내", instructions="표로 답하세요."), "kim")
    restored = registry.restore("dangjik", 1, "lee")
    assert restored.version == 3 and restored.definition.name == "당직 도우미"
    history = registry.versions("dangjik")
    assert [(v.number, v.author) for v in history] == [(1, "kim"), (2, "kim"), (3, "lee")]
    assert history[1].definition.instructions == "표로 답하세요." and "버전 1" in history[2].note
    # What a question reads (the bot alone, and the list): the current version, whatever the history.
    assert registry.bot("dangjik").definition.name == "당직 도우미" and registry.bot("dangjik").version == 3
    registry.save_bot(_bot(name="당직 도우미 2", instructions="표로 답하세요."), "kim")
    assert [(b.slug, b.version, b.definition.name) for b in registry.bots()] == [("dangjik", 4, "당직 도우미 2")]


def test_a_bot_needs_registered_departments_and_a_free_slug(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="그런 부서가 없습니다"):
        registry.create_bot(_bot())
    registry.add_department("총무과", "general-affairs")
    registry.create_bot(_bot())
    with pytest.raises(RegistryError, match="같은 slug"):
        registry.create_bot(_bot())
    copy = registry.clone("dangjik", "dangjik-2")
    assert copy.definition.departments == ["총무과"] and "사본" in copy.definition.name and not copy.published


def test_share_links_work_only_while_published_and_only_with_the_current_key(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    key = registry.create_bot(_bot()).link_key
    assert registry.bot_by_link("dangjik", key) is None  # not published yet
    registry.set_published("dangjik", True)
    assert registry.bot_by_link("dangjik", key) is not None
    new_key = registry.rotate_link("dangjik").link_key
    assert new_key != key and registry.bot_by_link("dangjik", key) is None
    assert registry.bot_by_link("dangjik", new_key) is not None
    registry.set_published("dangjik", False)
    assert registry.bot_by_link("dangjik", new_key) is None
    assert registry.bot_by_link("nobot", new_key) is None


def test_an_export_imports_back_and_missing_fields_take_their_defaults(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    minimal = BotDefinition.model_validate({"slug": "mini", "name": "미니", "departments": ["총무과"]})
    assert minimal.visibility == "link" and minimal.starters == [] and minimal.generator.kind == ""
    full = _bot(starters=["당직비는?"], refusal="모릅니다", visibility="department",
                generator={"kind": "openai", "model": "qwen", "temperature": 0.2})
    registry.create_bot(full)
    exported = registry.bot("dangjik").definition.model_dump(mode="json")
    assert BotDefinition.model_validate(exported) == full
    assert set(exported) >= {"slug", "name", "description", "instructions", "departments", "starters", "refusal",
                             "visibility", "generator"}


def test_an_upgrade_from_the_first_schema_keeps_every_bot_user_and_department(registry: Registry) -> None:
    """A registry made by the first release (schema 0001) opens with the current code: nothing is lost."""
    with registry.engine.begin() as connection:  # start again from an empty database, at the first schema
        for table in ("conversation_turns", "conversations", "sessions", "audit_log", "api_tokens", "feedback",
                      "bot_versions", "bots", "memberships", "users", "departments", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    registry.upgrade("0001")
    assert registry.schema_version() == "0001"
    registry.add_department("총무과", "general-affairs")
    registry.add_user("kim", PASSWORD, "lead", ["총무과"])
    old_bot(registry, 1, "dangjik", [_bot()], published=False)  # as the first release wrote it
    upgraded = Registry.open(registry.url)
    assert upgraded.schema_version() == HEAD
    assert upgraded.user("kim").departments == ("총무과",) and upgraded.bot("dangjik").version == 1
    assert upgraded.authenticate("kim", PASSWORD) is not None
    upgraded.rate("dangjik", "trace-1234", 1)  # the new tables work
    upgraded.audit("kim", "bot_saved", "dangjik")
    assert [e.action for e in upgraded.audit_log()] == ["bot_saved"]
    kim = upgraded.user("kim").id
    saved = upgraded.conversations.add_turn(kim, "dangjik", SavedTurn("당직 근무비는?", "60,000원"))
    assert [c.id for c in upgraded.conversations.listed(kim, "dangjik")] == [saved]
    upgraded.close()


def old_bot(registry: Registry, bot_id: int, slug: str, versions: list[BotDefinition], *, published: bool) -> None:
    """A bot as the code before drafts (schema 0006 and older) wrote it: its newest version current, no
    published_version column (the ORM of today would write one)."""
    with registry.engine.begin() as connection:
        connection.execute(text("INSERT INTO bots (id, slug, current_version, published, link_key, created_at) "
                                "VALUES (:id, :slug, :current, :published, 'old-key', CURRENT_TIMESTAMP)"),
                           {"id": bot_id, "slug": slug, "current": len(versions), "published": published})
        for number, definition in enumerate(versions, start=1):
            connection.execute(text("INSERT INTO bot_versions (bot_id, number, definition, author, note, created_at) "
                                    "VALUES (:id, :number, :definition, 'kim', '', CURRENT_TIMESTAMP)"),
                               {"id": bot_id, "number": number, "definition": definition.model_dump_json()})


def test_a_rating_is_kept_once_per_answer_and_can_change(registry: Registry) -> None:
    registry.rate("dangjik", "trace-aaaa", 1, "정확합니다", "kim")
    registry.rate("dangjik", "trace-aaaa", -1, "다시 보니 틀렸습니다", "kim")
    registry.rate("dangjik", "trace-bbbb", 1)
    ratings = registry.feedback("dangjik")
    assert sorted((f.trace_id, f.rating) for f in ratings) == [("trace-aaaa", -1), ("trace-bbbb", 1)]
    assert registry.feedback("other") == []
    with pytest.raises(RegistryError, match="좋아요"):
        registry.rate("dangjik", "trace-cccc", 0)


def test_api_tokens_act_as_their_user_until_revoked_and_only_their_hash_is_kept(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    registry.add_user("portal", PASSWORD, "staff", ["총무과"])
    token = registry.issue_token("portal", "민원 포털")
    assert token.startswith("dbt_") and len(token) > 40
    user = registry.user_for_token(token)
    assert user is not None and user.username == "portal"
    with registry.engine.connect() as connection:
        stored = connection.execute(text("select token_sha256 from api_tokens")).scalar_one()
    assert token not in stored and len(stored) == 64
    assert registry.user_for_token(token + "x") is None and registry.user_for_token("not-a-token") is None
    [issued] = registry.tokens()
    assert (issued.username, issued.label, issued.revoked) == ("portal", "민원 포털", False)
    registry.revoke_token(issued.id)
    assert registry.user_for_token(token) is None and registry.tokens()[0].revoked
    with pytest.raises(RegistryError, match="그런 토큰"):
        registry.revoke_token(999)


def test_an_administrator_changes_a_users_role_and_departments(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs")
    registry.add_department("민원여권과", "civil-passport")
    registry.add_user("root", PASSWORD, "admin")
    registry.add_user("lee", PASSWORD, "staff", ["총무과"])
    token = registry.open_session("lee")
    changed = registry.update_user("lee", "lead", ["민원여권과", "총무과", "총무과"], display_name="이수진")
    assert (changed.role, changed.departments, changed.display_name) == ("lead", ("민원여권과", "총무과"), "이수진")
    assert registry.user("lee") == changed
    seen = registry.session_user(token, idle_minutes=60, max_hours=8)  # the open session sees the new role at once
    assert seen is not None and seen.role == "lead"
    assert registry.update_user("lee", "admin", []).departments == ()
    with pytest.raises(RegistryError, match="소속 부서"):
        registry.update_user("lee", "staff", [])
    with pytest.raises(RegistryError, match="그런 부서가 없습니다"):
        registry.update_user("lee", "staff", ["건축과"])
    with pytest.raises(RegistryError, match="역할"):
        registry.update_user("lee", "owner", ["총무과"])
    with pytest.raises(RegistryError, match="그런 사용자가 없습니다"):
        registry.update_user("nobody", "staff", ["총무과"])
    registry.update_user("root", "staff", ["총무과"])  # another administrator (lee) remains
    with pytest.raises(RegistryError, match="마지막 관리자"):
        registry.update_user("lee", "lead", ["총무과"])
    assert registry.user("lee").role == "admin" and registry.user("lee").departments == ()


def test_a_departments_contact_and_slug_change_and_its_name_only_while_no_bot_uses_it(registry: Registry) -> None:
    registry.add_department("총무과", "general-affairs", "내선 1135")
    registry.add_department("민원여권과", "civil-passport")
    changed = registry.update_department("general-affairs", slug="general", contact=" 청사관리팀 내선 1136 ")
    assert (changed.name, changed.slug, changed.contact) == ("총무과", "general", "청사관리팀 내선 1136")
    assert registry.department("general") == changed
    renamed = registry.update_department("총무과", name="행정지원과")
    assert (renamed.name, renamed.slug) == ("행정지원과", "general")
    with pytest.raises(RegistryError, match="이미 있습니다"):
        registry.update_department("행정지원과", name="민원여권과")
    with pytest.raises(RegistryError, match="이미 있습니다"):
        registry.update_department("행정지원과", slug="civil-passport")
    with pytest.raises(RegistryError, match="slug"):
        registry.update_department("행정지원과", slug="행정")
    with pytest.raises(RegistryError, match="비어"):
        registry.update_department("행정지원과", name=" ")
    registry.create_bot(_bot(departments=["민원여권과"]), "kim")
    registry.save_bot(_bot(departments=["행정지원과"]), "kim")  # an earlier version still names 민원여권과
    for name in ("민원여권과", "행정지원과"):
        with pytest.raises(RegistryError, match="dangjik"):
            registry.update_department(name, name="새 부서")
    assert registry.update_department("민원여권과", contact="02-120").name == "민원여권과"  # the rest may change
    assert [d.name for d in registry.departments()] == ["민원여권과", "행정지원과"]


def test_the_audit_log_filters_by_action_user_and_time(registry: Registry) -> None:
    registry.audit("root", "user_added", "lee", "lead 총무과", "10.0.0.1")
    registry.audit("lee", "bot_saved", "dangjik")
    registry.audit("root", "user_removed", "kim")
    registry.audit("", "sign_in_failed", "hong@example.com")
    assert [e.action for e in registry.audit_log()] == ["sign_in_failed", "user_removed", "bot_saved", "user_added"]
    assert [e.target for e in registry.audit_log(action="user_added")] == ["lee"]
    assert [e.action for e in registry.audit_log(user="lee")] == ["bot_saved", "user_added"]  # by or about
    assert [e.action for e in registry.audit_log(user="hong@example.com")] == ["sign_in_failed"]
    assert [e.action for e in registry.audit_log(action="user_removed", user="root")] == ["user_removed"]
    first = registry.audit_log()[-1]
    assert first.at.tzinfo is not None and first.address == "10.0.0.1"
    hour = timedelta(hours=1)
    assert len(registry.audit_log(since=first.at - hour, until=first.at + hour)) == 4
    assert registry.audit_log(since=first.at + hour) == [] and registry.audit_log(until=first.at - hour) == []
    assert registry.audit_actions() == ["bot_saved", "sign_in_failed", "user_added", "user_removed"]
