"""Drafts and publishing in the registry, on SQLite and PostgreSQL: a save is a draft, staff get the published
version until the bot is published again, a restore is a draft, and a bot published before drafts keeps serving."""

from __future__ import annotations

from sqlalchemy import text

from builder.definitions import BotDefinition
from builder.registry import Registry
from tests.builder import test_registry
from tests.builder.test_registry import HEAD, PASSWORD, old_bot

registry = test_registry.registry  # the same fixture: a fresh registry on SQLite and on PostgreSQL


def _bot(**fields: object) -> BotDefinition:
    values: dict[str, object] = {"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"]} | fields
    return BotDefinition.model_validate(values)


def _published_bot(registry: Registry) -> str:
    registry.add_department("총무과", "general-affairs")
    key = registry.create_bot(_bot(instructions="짧게 답하세요."), "kim").link_key
    registry.set_published("dangjik", True)
    return key


def test_a_save_of_a_published_bot_is_a_draft_staff_do_not_get(registry: Registry) -> None:
    key = _published_bot(registry)
    saved = registry.save_bot(_bot(name="당직 안내", instructions="표로 답하세요."), "kim")
    assert (saved.version, saved.published_version, saved.has_unpublished_changes) == (2, 1, True)
    # The builder reads the draft; the share link, the chat page and the API read what is served.
    assert registry.bot("dangjik").definition.name == "당직 안내"
    served = registry.served("dangjik")
    assert (served.version, served.definition.name) == (1, "당직 도우미")
    assert served.definition.instructions == "짧게 답하세요."
    assert served.draft_version == 2 and served.has_unpublished_changes
    assert [(b.version, b.definition.name) for b in registry.served_bots()] == [(1, "당직 도우미")]
    assert [(b.version, b.definition.name) for b in registry.bots()] == [(2, "당직 안내")]
    link = registry.bot_by_link("dangjik", key)
    assert link is not None and link.definition.name == "당직 도우미"


def test_publishing_again_moves_what_staff_get_to_the_draft(registry: Registry) -> None:
    key = _published_bot(registry)
    registry.save_bot(_bot(name="당직 안내"), "kim")
    registry.save_bot(_bot(name="당직 안내 2"), "kim")
    published = registry.set_published("dangjik", True)
    assert (published.published_version, published.version, published.has_unpublished_changes) == (3, 3, False)
    assert registry.served("dangjik").definition.name == "당직 안내 2"
    link = registry.bot_by_link("dangjik", key)
    assert link is not None and link.version == 3


def test_a_restore_is_a_draft_not_a_live_change(registry: Registry) -> None:
    _published_bot(registry)
    registry.save_bot(_bot(name="당직 안내"), "kim")
    registry.set_published("dangjik", True)  # version 2 is live
    restored = registry.restore("dangjik", 1, "lee")
    assert (restored.version, restored.definition.name, restored.published_version) == (3, "당직 도우미", 2)
    assert registry.served("dangjik").definition.name == "당직 안내"


def test_unpublishing_stops_the_link_and_an_unpublished_bot_serves_its_draft_to_its_managers(
        registry: Registry) -> None:
    key = _published_bot(registry)
    registry.save_bot(_bot(name="당직 안내"), "kim")
    stopped = registry.set_published("dangjik", False)
    assert not stopped.published and stopped.published_version is None and not stopped.has_unpublished_changes
    assert registry.bot_by_link("dangjik", key) is None
    # Unpublished, only its managers may use it (builder.access): they try the draft, as before drafts existed.
    assert registry.served("dangjik").definition.name == "당직 안내"
    again = registry.set_published("dangjik", True)
    assert again.published_version == 2


def test_an_upgrade_from_0006_keeps_a_published_bot_serving_what_it_served(registry: Registry) -> None:
    """A registry of the release before drafts (schema 0006): a published bot serves its newest version after the
    upgrade, an unpublished one has no published version, and the next save is a draft."""
    with registry.engine.begin() as connection:  # start again from an empty database, at schema 0006
        for table in ("conversation_turns", "conversations", "sessions", "audit_log", "api_tokens", "feedback",
                      "bot_versions", "bots", "memberships", "users", "departments", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    registry.upgrade("0006")
    registry.add_department("총무과", "general-affairs")
    registry.add_user("kim", PASSWORD, "lead", ["총무과"])
    for bot_id, slug, published in ((1, "dangjik", True), (2, "draft-only", False)):
        old_bot(registry, bot_id, slug, [_bot(slug=slug, name="옛 이름"), _bot(slug=slug)], published=published)
    upgraded = Registry.open(registry.url)
    try:
        assert upgraded.schema_version() == HEAD
        live = upgraded.served("dangjik")
        assert (live.published_version, live.version, live.definition.name) == (2, 2, "당직 도우미")
        assert upgraded.bot("draft-only").published_version is None
        upgraded.save_bot(_bot(name="새 이름"), "kim")
        assert upgraded.served("dangjik").definition.name == "당직 도우미"
        assert upgraded.bot("dangjik").definition.name == "새 이름"
    finally:
        upgraded.close()
