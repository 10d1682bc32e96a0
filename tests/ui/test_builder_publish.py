"""What the builder says about drafts: the changed fields by their form labels, the status line, the history."""

from __future__ import annotations

from datetime import UTC, datetime

from builder.definitions import BotDefinition, GeneratorChoice
from builder.registry import BotRecord, VersionInfo
from ui.pages.builder_publish import (
    PUBLISH,
    PUBLISH_CHANGES,
    can_publish,
    changed_fields,
    publish_label,
    saved_message,
    sharing_status,
    version_rows,
)

LIVE = BotDefinition(slug="dangjik", name="당직 도우미", departments=["총무과"], instructions="짧게 답하세요.",
                     starters=["당직비는?"])
DRAFT = LIVE.model_copy(update={"instructions": "표로 답하세요.", "starters": ["당직비는?", "순찰은?"],
                                "generator": GeneratorChoice(kind="extractive")})


def _record(definition: BotDefinition, version: int, published_version: int | None, draft: int) -> BotRecord:
    return BotRecord("dangjik", definition, version, published_version is not None, "key", datetime.now(UTC),
                     published_version, draft)


def test_the_changed_fields_are_named_by_their_form_labels_in_the_form_s_order() -> None:
    assert changed_fields(LIVE, DRAFT) == ["지침", "대화 시작 문구", "생성기"]
    assert changed_fields(LIVE, LIVE) == []


def test_the_status_line_says_which_version_is_live_and_what_the_draft_changes() -> None:
    waiting = _record(DRAFT, 5, 3, 5)
    line = sharing_status(waiting, LIVE)
    assert "게시 중: 버전 3" in line and "초안: 버전 5" in line
    assert "게시 후 바뀐 항목: 지침, 대화 시작 문구, 생성기" in line
    assert publish_label(waiting) == PUBLISH_CHANGES and can_publish(waiting)
    assert "초안입니다" in saved_message(waiting) and "버전 3이 보입니다" in saved_message(waiting)
    current = _record(LIVE, 3, 3, 3)
    assert "게시 후 바뀐 것이 없습니다" in sharing_status(current, None)
    assert publish_label(current) == PUBLISH and not can_publish(current)
    assert "초안" not in saved_message(current)
    unpublished = _record(DRAFT, 2, None, 2)
    assert "게시 안 됨" in sharing_status(unpublished, None) and can_publish(unpublished)
    assert "초안" not in saved_message(unpublished)  # nobody but its managers uses it: nothing waits


def test_the_history_marks_the_live_version_and_the_draft() -> None:
    moment = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    versions = [VersionInfo(n, "kim", "", moment, LIVE) for n in (1, 2, 3)]
    assert [row[:2] for row in version_rows(versions, _record(DRAFT, 3, 2, 3))] == [[3, "초안"], [2, "게시 중"],
                                                                                     [1, ""]]
    assert [row[1] for row in version_rows(versions, _record(DRAFT, 3, None, 3))] == ["", "", ""]
