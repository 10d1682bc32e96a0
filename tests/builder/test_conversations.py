"""Saved conversations in the registry, on SQLite and on a real PostgreSQL server: kept per user and bot, listed
newest first, resumed with their citations, renamed, deleted, masked as traces are, deleted with their user; and
another user's conversation id opens, renames and deletes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from builder.conversations import ConversationError, SavedTurn
from builder.registry import Registry
from tests.builder.test_registry import PASSWORD, registry  # noqa: F401  (the fixture: SQLite and PostgreSQL)

CITATION = {"n": 1, "file": "당직근무 운영지침.txt", "page": 2, "article": "", "paragraph": "", "heading": "3. 근무비",
            "quote": "당직 근무비는 1회 60,000원으로 한다.", "title": "당직근무 운영지침", "department": "총무과",
            "source": 1, "label": "당직근무 운영지침 — 당직근무 운영지침.txt 2쪽"}


def _people(registry: Registry) -> tuple[int, int]:  # noqa: F811
    registry.add_department("총무과", "general-affairs")
    kim = registry.add_user("kim", PASSWORD, "staff", ["총무과"])
    lee = registry.add_user("lee", PASSWORD, "staff", ["총무과"])
    return kim.id, lee.id


def test_a_conversation_is_kept_listed_and_resumed_with_its_citations(registry: Registry) -> None:  # noqa: F811
    kim, lee = _people(registry)
    store = registry.conversations
    first = store.add_turn(kim, "dangjik", SavedTurn("당직 근무비는 얼마인가요?", "1회 60,000원입니다 [1].",
                                                    (CITATION,), "trace-1"))
    assert store.add_turn(kim, "dangjik", SavedTurn("주말에도 같나요?", "네 [1].", (CITATION,)), first) == first
    other = store.add_turn(kim, "dangjik", SavedTurn("청사 순찰은 언제 하나요?", "22시입니다."))
    store.add_turn(kim, "passport", SavedTurn("여권 발급 기간은?", "4일입니다."))
    store.add_turn(lee, "dangjik", SavedTurn("이씨의 질문", "답"))
    listed = store.listed(kim, "dangjik")
    assert [(c.id, c.title, c.turns) for c in listed] == [(other, "청사 순찰은 언제 하나요?", 1),
                                                          (first, "당직 근무비는 얼마인가요?", 2)]
    assert listed[0].updated_at >= listed[1].updated_at and listed[1].created_at.tzinfo is not None
    again = Registry.open(registry.url)  # another server on the same database sees the same turns
    try:
        resumed = again.conversations.get(kim, first)
    finally:
        again.close()
    assert [(t.question, t.answer, t.trace_id) for t in resumed.turns] == [
        ("당직 근무비는 얼마인가요?", "1회 60,000원입니다 [1].", "trace-1"), ("주말에도 같나요?", "네 [1].", "")]
    assert resumed.turns[0].citations == (CITATION,)


def test_rename_and_delete(registry: Registry) -> None:  # noqa: F811
    kim, _ = _people(registry)
    store = registry.conversations
    kept = store.add_turn(kim, "dangjik", SavedTurn("당직 근무비는 얼마인가요?", "60,000원"))
    gone = store.add_turn(kim, "dangjik", SavedTurn("청사 순찰은 언제 하나요?", "22시"))
    assert store.rename(kim, kept, "  근무비\n문의 ").title == "근무비 문의"
    with pytest.raises(ConversationError, match="비어"):
        store.rename(kim, kept, "   ")
    store.delete(kim, gone)
    assert [(c.id, c.title) for c in store.listed(kim, "dangjik")] == [(kept, "근무비 문의")]
    with pytest.raises(ConversationError):
        store.get(kim, gone)
    with registry.engine.connect() as connection:  # its turns went with it
        assert connection.execute(text("select count(*) from conversation_turns")).scalar_one() == 1


def test_another_user_s_conversation_opens_renames_and_deletes_nothing(registry: Registry) -> None:  # noqa: F811
    kim, lee = _people(registry)
    store = registry.conversations
    secret = store.add_turn(kim, "dangjik", SavedTurn("김의 질문", "김의 답"))
    for attempt in (lambda: store.get(lee, secret), lambda: store.rename(lee, secret, "가로챔"),
                    lambda: store.delete(lee, secret),
                    lambda: store.add_turn(lee, "dangjik", SavedTurn("끼어들기", "답"), secret)):
        with pytest.raises(ConversationError, match="그런 대화가 없습니다"):  # as for an unknown id
            attempt()
    with pytest.raises(ConversationError, match="그런 대화가 없습니다"):
        store.get(kim, "0" * 32)
    assert store.listed(lee, "dangjik") == []
    kept = store.get(kim, secret)
    assert kept.info.title == "김의 질문" and [t.question for t in kept.turns] == ["김의 질문"]


def test_personal_data_is_masked_as_in_traces(registry: Registry) -> None:  # noqa: F811
    kim, _ = _people(registry)
    store = registry.conversations
    cited = CITATION | {"quote": "담당자 010-1234-5678, duty@city.go.kr", "file": "연락처 010-1234-5678.txt"}
    saved = store.add_turn(kim, "dangjik", SavedTurn("주민번호 900101-1234567 인 직원의 근무비는?",
                                                    "문의: 010-9876-5432 [1]", (cited,)))
    turn = store.get(kim, saved).turns[0]
    assert turn.question == "주민번호 900101-1****** 인 직원의 근무비는?"
    assert turn.answer == "문의: 010-****-5432 [1]"
    assert turn.citations[0]["quote"] == "담당자 010-****-5678, ***@city.go.kr"
    assert turn.citations[0]["file"] == "연락처 010-1234-5678.txt"  # the document's name, so its link still works
    assert store.listed(kim, "dangjik")[0].title == "주민번호 900101-1****** 인 직원의 근무비는?"
    assert store.rename(kim, saved, "010-1111-2222 건").title == "010-****-2222 건"
    with registry.engine.connect() as connection:
        stored = " ".join(str(row) for row in connection.execute(text("select * from conversation_turns")))
    assert "1234567" not in stored and "9876" not in stored and "duty@" not in stored


def test_conversations_are_deleted_with_their_user(registry: Registry) -> None:  # noqa: F811
    kim, lee = _people(registry)
    store = registry.conversations
    store.add_turn(kim, "dangjik", SavedTurn("김의 질문", "답"))
    kept = store.add_turn(lee, "dangjik", SavedTurn("이의 질문", "답"))
    registry.remove_user("kim")
    with registry.engine.connect() as connection:
        owners = connection.execute(text("select user_id from conversations")).scalars().all()
        turns = connection.execute(text("select question from conversation_turns")).scalars().all()
    assert owners == [lee] and turns == ["이의 질문"]
    assert store.get(lee, kept).turns[0].question == "이의 질문"
