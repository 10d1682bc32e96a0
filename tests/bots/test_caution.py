"""The caution on thin evidence ("문서에서 정확히 일치하는 조항을 찾지 못해 …") is not shown when the article the
question asks about was found: its title is the question's own words and it holds every one of them.

A short question brings little rare vocabulary, so its evidence is thin even when it matches an article exactly:
a whistleblower bot's own starters were answered from the right article under a notice saying that no matching
article had been found.
"""

from __future__ import annotations

import pytest

from bots.answer import Answerer, BotProfile
from tests.conftest import index_texts
from ui.wiring import build_answerer

ACT = "내부신고자 보호법"


def _act() -> str:
    # Every article speaks of 신고 and 보호: a short question's words are common here, its evidence thin.
    return (f"{ACT}\n[시행 2026. 1. 1.] [법률 제20001호, 2025. 6. 1., 제정]\n\n"
            "제1조(목적) 이 법은 내부신고를 한 사람을 보호하고 지원함으로써 공정한 사회를 만드는 데 이바지함을 "
            "목적으로 한다.\n\n"
            "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n"
            "1. \"내부신고\"란 소속 기관의 법 위반 행위를 신고하는 것을 말한다.\n"
            "2. \"보호조치\"란 신고를 이유로 한 불이익을 원상으로 돌리는 조치를 말한다.\n\n"
            "제6조(내부신고) 누구든지 소속 기관의 법 위반 행위를 알게 된 때에는 감독기관, 수사기관 또는 위원회에 "
            "내부신고를 할 수 있다.\n\n"
            "제14조(책임의 감면 등) ① 내부신고와 관련하여 신고자의 범죄행위가 발견된 경우에는 그 형을 감경하거나 "
            "면제할 수 있다.\n② 내부신고를 한 사람이 직무상 비밀을 누설한 경우에도 그 책임을 묻지 아니한다.\n\n"
            "제15조(불이익조치 등의 금지) 누구든지 내부신고를 한 사람에게 신고를 이유로 불이익조치를 하여서는 "
            "아니 된다.\n\n"
            "제17조(보호조치의 신청) ① 내부신고를 이유로 불이익조치를 받은 사람은 위원회에 보호조치를 신청할 수 "
            "있다.\n② 보호조치는 불이익조치가 있었던 날부터 1년 이내에 신청하여야 한다.\n\n"
            "제18조(보호조치 신청의 각하) 위원회는 신청기간이 지나 보호조치를 신청한 경우에는 신청을 각하할 수 "
            "있다.\n\n"
            "제19조(보호조치 신청의 조사) 위원회는 보호조치의 신청을 받으면 지체 없이 필요한 조사를 하여야 "
            "한다.\n\n"
            "제20조(보호조치결정) 위원회는 조사 결과 신청인이 신고를 이유로 불이익조치를 받았다고 인정될 때에는 "
            "보호조치를 요구하는 결정을 하여야 한다.\n\n"
            "제21조(보호조치 신청 사실의 통보) 위원회는 보호조치의 신청을 받으면 그 사실을 신청인의 소속 기관에 "
            "알려야 한다.\n\n"
            "제21조의2(이행강제금) 위원회는 보호조치결정을 이행하지 아니한 자에게 3천만원 이하의 이행강제금을 "
            "부과한다.\n\n"
            "제28조(보상금 등의 중복 지급 금지) 이 법에 따라 보상금 또는 포상금을 받을 사람이 같은 원인으로 다른 "
            "법령에 따른 보상금을 받았으면 그 금액을 빼고 지급한다.\n")


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    services = index_texts(tmp_path_factory, "감사담당관", {f"{ACT}(법률)(제20001호)(20260101).txt": _act()})
    return build_answerer(services, BotProfile(departments=["감사담당관"]), keep_traces=False)


@pytest.mark.parametrize(("question", "article"), [
    ("보호조치는 언제까지 신청해야 하나요?", "제17조"),
    ("내부신고는 어디에 할 수 있나요?", "제6조"),
    # Kiwi reads "이행강제금은" as one word and the title "이행강제금" as 이행 + 강제금 + the compound: the title
    # written in the question counts as its words.
    ("이행강제금은 얼마인가요?", "제21조의2"),
])
def test_a_short_question_answered_by_the_article_it_names_carries_no_caution(
        answerer: Answerer, question: str, article: str) -> None:
    answer = answerer.ask(question)
    assert answer.trace.evidence < answerer.min_evidence  # thin: without the rule it was answered with the caution
    assert not answer.refused and not answer.cautious and answer.notice == "", answer.notice
    assert answer.citations[0].title == ACT and answer.citations[0].article == article, answer.text


def test_the_deadline_is_the_first_line_of_the_answer(answerer: Answerer) -> None:
    answer = answerer.ask("보호조치는 언제까지 신청해야 하나요?")
    assert answer.text.splitlines()[0].startswith("② 보호조치는 불이익조치가 있었던 날부터 1년 이내에"), answer.text


def test_a_short_question_no_article_is_titled_by_keeps_the_caution(answerer: Answerer) -> None:
    # 포상금 is only mentioned in 제28조, which rules on double payment: the article found holds the words of the
    # question but is not about what it asks.
    answer = answerer.ask("포상금은 얼마까지 받을 수 있나요?")
    assert answer.trace.evidence < answerer.min_evidence
    assert not answer.refused and answer.cautious and "가장 가까운 조항" in answer.notice
    assert answer.trace.retrieved[0]["article"] == "제28조", answer.text


def test_a_compound_kiwi_cuts_wrongly_is_searched_as_the_words_the_act_writes(answerer: Answerer) -> None:
    """"책임감면" is cut 책임감 ("sense of duty") + 면, words the act never uses; it writes "책임의 감면". The
    question is searched with 책임 and 감면 too, and answered from 제14조 instead of being refused."""
    answer = answerer.ask("내부신고자에게 책임감면이 되나요?")
    assert not answer.refused, answer.text
    assert answer.citations[0].article == "제14조", answer.text
    assert answer.trace.unknown_terms == []
