"""A question that names an article by its law's short name ("소방시설법 제37조") is answered from that article.

Staff name acts by short names, and two acts can fit one: "소방시설법" is 소방시설 설치 및 관리에 관한 법률 (its
words' beginnings and 법률), not 소방시설공사업법 (which would need the middle cut out of one word), although both
have a 제37조. The rest of such a question is often in words no document has ("미인증 알람밸브", "Mock Up Test"):
evidence alone would refuse it, but the documents do hold what it asks about, so it is answered (with the caution
when the evidence is thin) and the named article is quoted.
"""

from __future__ import annotations

import pytest

from bots.answer import Answerer, BotProfile
from bots.query import short_name_mentions
from tests.conftest import index_texts
from ui.wiring import build_answerer

INSTALLATION = "소방시설 설치 및 관리에 관한 법률"
CONSTRUCTION = "소방시설공사업법"
QUESTION = "미인증 알람밸브를 Mock Up Test할 경우, 소방시설법 제37조를 위반하게 되는 것인가요?"


def _installation() -> str:
    return (f"{INSTALLATION}\n[시행 2023. 7. 4.] [법률 제19160호, 2023. 1. 3., 전부개정]\n\n"
            "제35조(등록의 취소와 영업정지 등) 시ㆍ도지사는 관리업자가 거짓으로 등록한 경우에는 그 등록을 "
            "취소하여야 한다.\n\n"
            "제36조(과징금처분) 시ㆍ도지사는 영업정지를 갈음하여 과징금을 부과할 수 있다.\n\n"
            "제37조(소방용품의 형식승인 등) ① 대통령령으로 정하는 소방용품을 제조하거나 수입하려는 자는 "
            "소방청장의 형식승인을 받아야 한다. 다만, 연구개발 목적으로 제조하거나 수입하는 소방용품은 그러하지 "
            "아니하다.\n"
            "⑥ 누구든지 형식승인을 받지 아니한 소방용품을 판매하거나 판매 목적으로 진열하거나 소방시설공사에 "
            "사용할 수 없다.\n\n"
            "제38조(형식승인의 변경) 형식승인을 받은 자가 그 형식을 변경하려면 변경승인을 받아야 한다.\n\n"
            "제39조(벌칙) 다음 각 호의 어느 하나에 해당하는 자는 3년 이하의 징역 또는 3천만원 이하의 벌금에 "
            "처한다.\n"
            "1. 제37조제6항을 위반하여 소방용품을 판매ㆍ진열하거나 소방시설공사에 사용한 자\n")


def _construction() -> str:
    return (f"{CONSTRUCTION}\n[시행 2025. 1. 31.] [법률 제20157호, 2024. 1. 30., 일부개정]\n\n"
            "제35조(벌칙) 소방시설업 등록을 하지 아니하고 영업을 한 자는 3년 이하의 징역에 처한다.\n\n"
            "제36조(벌칙) 영업정지처분을 받고 그 영업정지 기간에 영업을 한 자는 1년 이하의 징역에 처한다.\n\n"
            "제37조(벌칙) 다음 각 호의 어느 하나에 해당하는 자는 300만원 이하의 벌금에 처한다.\n"
            "1. 제8조제1항을 위반하여 다른 자에게 자기의 성명이나 상호를 사용하여 소방시설공사등을 수급 또는 "
            "시공하게 한 자\n\n"
            "제38조(양벌규정) 법인의 대표자가 위반행위를 하면 그 법인에도 벌금형을 과한다.\n")


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    services = index_texts(tmp_path_factory, "소방재난본부", {
        f"{INSTALLATION}(법률)(제19160호)(20230704).txt": _installation(),
        f"{CONSTRUCTION}(법률)(제20157호)(20250131).txt": _construction(),
    })
    return build_answerer(services, BotProfile(departments=["소방재난본부"]), keep_traces=False)


def test_a_short_name_is_the_act_whose_words_it_is_made_of() -> None:
    titles = [INSTALLATION, CONSTRUCTION, "화재의 예방 및 안전관리에 관한 법률",
              "화재의 예방 및 안전관리에 관한 법률 시행령", "다중이용업소의 안전관리에 관한 특별법",
              "지방자치단체를 당사자로 하는 계약에 관한 법률"]
    assert short_name_mentions(QUESTION, titles) == [INSTALLATION]
    assert short_name_mentions("화재예방법 시행령 제25조", titles) == ["화재의 예방 및 안전관리에 관한 법률 시행령"]
    assert short_name_mentions("다중이용업소법 제9조", titles) == ["다중이용업소의 안전관리에 관한 특별법"]
    assert short_name_mentions("지방계약법 제9조", titles) == ["지방자치단체를 당사자로 하는 계약에 관한 법률"]
    # When no act is made of the name's words, every act that fits is still offered, also beside a name that
    # has one.
    assert short_name_mentions("소방공사법 제37조", [CONSTRUCTION]) == [CONSTRUCTION]
    assert short_name_mentions("소방시설법 제37조, 소방공사법 제2조", titles) == [INSTALLATION, CONSTRUCTION]


def test_the_named_article_of_the_act_meant_comes_first(answerer: Answerer) -> None:
    hits = answerer.retriever.retrieve(QUESTION, 5)
    assert (hits[0].chunk.title, hits[0].chunk.article) == (INSTALLATION, "제37조")


def test_a_question_naming_an_article_the_bot_holds_is_answered_not_refused(answerer: Answerer) -> None:
    answer = answerer.ask(QUESTION)
    assert answer.trace.evidence < answerer.min_evidence_unknown  # evidence alone would have refused it
    assert not answer.refused and answer.cautious
    assert any(c.title == INSTALLATION and c.article == "제37조" for c in answer.citations), answer.text
    assert "형식승인을 받지 아니한 소방용품" in answer.text


def test_an_article_the_bot_does_not_hold_is_still_refused_on_thin_evidence(answerer: Answerer) -> None:
    answer = answerer.ask("미인증 알람밸브를 Mock Up Test할 경우, 소방시설법 제99조를 위반하게 되는 것인가요?")
    assert answer.refused and not answer.citations
