"""Drafts and publishing in the builder: which version staff get, what changed since, and the messages about it.

A save makes a draft (the bot's newest version); staff keep the published version until the lead publishes again
(`Registry.served`). The sharing area says so: `게시 중: 버전 3 · 초안: 버전 5 (게시 후 바뀐 항목: 지침, 대화 시작
문구)`; the publish button then reads "변경 사항 게시", and the version history marks the live version.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from builder.definitions import BotDefinition
from builder.registry import BotRecord, VersionInfo
from connectors.particles import josa
from ui.pages.builder_fields import LABELS

PUBLISH = "🚀 게시"
PUBLISH_CHANGES = "🚀 변경 사항 게시"
LIVE, DRAFT = "게시 중", "초안"
VERSION_HEADERS = ["버전", "상태", "저장 시각", "작성자", "메모"]
# A definition's fields in the form's order, with the label the form gives them (the generator is one field here).
_COMPARED = ("name", "slug", "icon", "description", "instructions", "departments", "documents", "starters", "refusal",
             "contact", "visibility", "generator")


def changed_fields(live: BotDefinition, draft: BotDefinition) -> list[str]:
    """The Korean labels of the fields whose values differ between the published version and the draft."""
    return [LABELS.get(field, "생성기") for field in _COMPARED if getattr(live, field) != getattr(draft, field)]


def sharing_status(bot: BotRecord, live: BotDefinition | None) -> str:
    """The sharing area's status line (Markdown): which version staff get, and what the draft changes."""
    if not bot.published:
        return f"**게시 안 됨** · 버전 {bot.draft_version}. 게시하면 공유 링크가 생깁니다."
    if not bot.has_unpublished_changes:
        return f"**{LIVE}: 버전 {bot.published_version}** · 게시 후 바뀐 것이 없습니다."
    changes = changed_fields(live, bot.definition) if live is not None else []
    what = f"게시 후 바뀐 항목: {', '.join(changes)}" if changes else "게시한 버전과 내용이 같습니다"
    return (f"**{LIVE}: 버전 {bot.published_version}** · **{DRAFT}: 버전 {bot.draft_version}** ({what}). "
            f"직원에게는 버전 {bot.published_version}{_ga(bot.published_version)} 보입니다. "
            "'변경 사항 게시'를 눌러야 초안이 보입니다.")


def publish_label(bot: BotRecord | None) -> str:
    """The publish button's text: "변경 사항 게시" while a published bot has a draft."""
    return PUBLISH_CHANGES if bot is not None and bot.has_unpublished_changes else PUBLISH


def can_publish(bot: BotRecord | None) -> bool:
    """Whether there is something to publish: an unpublished bot, or a draft staff do not get yet."""
    return bot is not None and (not bot.published or bot.has_unpublished_changes)


def saved_message(bot: BotRecord) -> str:
    """A save's status line: a published bot's save is a draft staff do not see yet."""
    message = f"✅ 저장했습니다 (버전 {bot.version})."
    if bot.has_unpublished_changes:
        message += (f" 초안입니다 — 직원에게는 아직 게시한 버전 {bot.published_version}{_ga(bot.published_version)} "
                    "보입니다. '변경 사항 게시'를 누르면 이 버전이 보입니다.")
    return message


def restored_message(number: int, bot: BotRecord) -> str:
    """A restore's status line: the old content is a new draft, published only when the lead publishes."""
    message = f"✅ 버전 {number}의 내용을 새 버전 {bot.version}{_ro(bot.version)} 저장했습니다."
    if bot.has_unpublished_changes:
        message += f" 초안입니다 — 게시해야 직원에게 보입니다 (지금은 버전 {bot.published_version})."
    return message


def published_message(bot: BotRecord) -> str:
    """The status line after publishing."""
    return (f"✅ 버전 {bot.version}{_ul(bot.version)} 게시했습니다. 이제 직원에게 이 버전이 보입니다. "
            "링크를 복사해 나눠 주세요.")


def version_rows(versions: list[VersionInfo], bot: BotRecord | None) -> list[list[Any]]:
    """The version history, newest first, the live version and an unpublished draft marked."""
    live = bot.published_version if bot is not None and bot.published else None
    rows = []
    for version in reversed(versions):
        when = version.created_at.replace(tzinfo=version.created_at.tzinfo or UTC).astimezone()
        state = LIVE if version.number == live else DRAFT if live is not None and version.number > live and (
            version.number == versions[-1].number) else ""
        rows.append([version.number, state, when.strftime("%Y-%m-%d %H:%M"), version.author, version.note])
    return rows


def _ga(number: int | None) -> str:
    return josa(str(number), "이")


def _ro(number: int) -> str:
    return josa(str(number), "으로")


def _ul(number: int) -> str:
    return josa(str(number), "을")
