"""Conversations of three turns on real statutes (공익신고자 보호법 and its 시행령, as a department holds them)."""

from __future__ import annotations

import shutil

import pytest

from bots.answer import Answerer, BotProfile
from tests.conftest import make_services, shared_path
from ui.wiring import build_answerer


@pytest.fixture(scope="module")
def whistleblower(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    corpus = shared_path("eval", "corpus", "법무담당관")
    folder = tmp_path_factory.mktemp("docs") / "법무담당관"
    folder.mkdir()
    for path in corpus.iterdir():
        if path.name.startswith("공익신고자 보호법"):
            shutil.copy(path, folder / path.name)
    assert len(list(folder.iterdir())) == 2
    services = make_services(tmp_path_factory.mktemp("data"))
    with services.reindexer:
        services.reindexer.reindex_many([(folder, "법무담당관")])
    return build_answerer(services, BotProfile(departments=["법무담당관"]), keep_traces=False)


def test_a_pointing_follow_up_is_answered_from_the_article_the_answer_cited(whistleblower: Answerer) -> None:
    question = "공익신고자가 불이익조치를 받으면 보호조치를 신청할 수 있나요?"
    first = whistleblower.ask(question)
    assert not first.refused and first.citations[0].article == "제17조"
    second = whistleblower.ask("그 신청은 언제까지 해야 하나요?", [first.turn(question)])
    assert (second.citations[0].title, second.citations[0].article) == ("공익신고자 보호법", "제17조")
    assert "1년 이내" in second.text
    # Third turn, on another subject of the same law, stated in full: not pulled back to 제17조.
    third = whistleblower.ask("비실명 대리신고는 누구에게 해야 하나요?",
                              [first.turn(question), second.turn("그 신청은 언제까지 해야 하나요?")])
    assert third.trace.named["articles"] == [] and third.citations[0].article == "제8조의2"


def test_a_short_question_on_a_subject_the_cited_law_does_not_hold_starts_afresh(whistleblower: Answerer) -> None:
    question = "공익신고자가 불이익조치를 받으면 보호조치를 신청할 수 있나요?"
    first = whistleblower.ask(question)
    second = whistleblower.ask("보상금은?", [first.turn(question)])  # the law holds 보상금: the topic continues
    assert second.trace.named["laws"] and not second.refused
    third = whistleblower.ask("여권 재발급은?", [first.turn(question), second.turn("보상금은?")])
    assert third.trace.named["laws"] == [] and third.trace.search_text == "여권 재발급은?"
    assert third.refused  # nothing on passports in these two files


def test_the_article_titled_by_the_question_s_words_comes_first(whistleblower: Answerer) -> None:
    """A starter of a whistleblower bot: 제6조(공익신고) says where to report; 제2조(정의) only defines the word."""
    retriever = whistleblower.retriever
    hits = retriever.retrieve("공익신고는 어디에 할 수 있나요?", 5)
    assert (hits[0].chunk.title, hits[0].chunk.article) == ("공익신고자 보호법", "제6조")
    retriever.title_weight = 0.0
    try:
        assert retriever.retrieve("공익신고는 어디에 할 수 있나요?", 5)[0].chunk.article == "제2조"
    finally:
        retriever.title_weight = 0.1


def test_a_follow_up_going_on_to_another_subject_is_not_answered_from_the_last_article(whistleblower: Answerer) -> None:
    """After the deadline of 보호조치 (제17조), "그럼 보상금은 누가 결정하나요?" is about 보상금 (제26조: 위원회가
    결정), and "그 신청은 …" then about the 보상금's 신청, not 보호조치's again."""
    question = "보호조치는 언제까지 신청해야 하나요?"
    first = whistleblower.ask(question)
    assert first.citations[0].article == "제17조"
    second = whistleblower.ask("그럼 보상금은 누가 결정하나요?", [first.turn(question)])
    assert second.trace.search_text == "그럼 보상금은 누가 결정하나요?"
    assert (second.citations[0].title, second.citations[0].article) == ("공익신고자 보호법", "제26조"), second.text
    assert all(c.article not in ("제17조", "제18조", "제19조") for c in second.citations), second.text
    third = whistleblower.ask("그 신청은 언제까지 해야 하나요?",
                              [first.turn(question), second.turn("그럼 보상금은 누가 결정하나요?")])
    assert third.citations[0].article == "제26조" and "3년 이내" in third.text, third.text

