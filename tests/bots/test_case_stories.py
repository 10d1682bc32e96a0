"""A case story with parties ("갑은 을에게 …", "甲 지방자치단체가 …") is answered from the statutes first.

Its narrative words (건물, 계약, 차임, 수리) also fill contract templates and requests for proposals, which then took
the statutes' places (DEV koblex and precedent questions). Other documents still answer when they match far better,
and a question without parties ranks as before.
"""

from __future__ import annotations

import pytest

from bots.answer import BotProfile
from bots.query import tells_a_case
from bots.retrieval import HybridRetriever
from tests.conftest import index_texts
from ui.wiring import build_answerer

CIVIL = "민법"


def _civil() -> str:
    return (f"{CIVIL}\n[시행 2026. 3. 17.] [법률 제21454호, 2026. 3. 17., 일부개정]\n\n"
            "제618조(임대차의 의의) 임대차는 당사자 일방이 상대방에게 목적물을 사용, 수익하게 할 것을 약정하고 "
            "상대방이 이에 대하여 차임을 지급할 것을 약정함으로써 그 효력이 생긴다.\n\n"
            "제623조(임대인의 의무) 임대인은 목적물을 임차인에게 인도하고 계약존속중 그 사용, 수익에 필요한 "
            "상태를 유지하게 할 의무를 부담한다.\n\n"
            "제624조(임대인의 보존행위, 인용의무) 임대인이 임대물의 보존에 필요한 행위를 하는 때에는 임차인은 "
            "이를 거절하지 못한다.\n\n"
            "제626조(임차인의 상환청구권) ① 임차인이 임차물의 보존에 관한 필요비를 지출한 때에는 임대인에 대하여 "
            "그 상환을 청구할 수 있다.\n\n"
            "제627조(일부멸실 등과 감액청구, 해지권) ① 임차물의 일부가 임차인의 과실없이 멸실 기타 사유로 인하여 "
            "사용, 수익할 수 없는 때에는 임차인은 그 부분의 비율에 의한 차임의 감액을 청구할 수 있다.\n\n"
            "제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 "
            "배상할 책임이 있다.\n")


def _template() -> str:
    # A city's lease template: the story's words, many times over, and no rule of law.
    return ("청사 부속 건물 임대차 계약서(표준안)\n\n"
            "1. 계약 당사자\n갑(임대인)과 을(임차인)은 건물 임대차 계약을 다음과 같이 체결한다. 갑은 건물을 을에게 "
            "임대하고 을은 매월 차임을 갑에게 지급한다.\n\n"
            "2. 건물 사용\n을은 건물을 계약서에 정한 용도로 사용하고, 수리가 필요하면 갑에게 알린다.\n\n"
            "3. 계약의 해지\n갑 또는 을이 계약을 위반하면 상대방은 계약을 해지할 수 있다.\n")


STORY = ("갑은 을에게 자신의 건물을 임대하고 을은 매월 차임을 지급하기로 계약하였다. 계약 후 건물 지붕에서 물이 "
         "새어 을이 건물을 사용하지 못하게 되었다. 을은 갑에게 수리를 요구할 수 있는가?")


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:
    services = index_texts(tmp_path_factory, "법무담당관", {
        f"{CIVIL}(법률)(제21454호)(20260317).txt": _civil(),
        "건물 임대차 계약서 표준안.txt": _template(),
    })
    answerer = build_answerer(services, BotProfile(departments=["법무담당관"]), keep_traces=False)
    return answerer.retriever


@pytest.mark.parametrize(("question", "story"), [
    ("갑은 을에게 건물을 임대하였다.", True),
    ("甲 지방자치단체가 乙 주식회사와 계약을 체결한 다음", True),
    ("갑, 을, 병은 공동으로 투자하였다.", True),
    ("“갑”이 계약을 해지하면 어떻게 되나요?", True),
    ("어느 정도 비율을 온라인으로 주문하나요?", False),  # 정도, 을: words of their own
    ("갑작스러운 정전에는 어떻게 하나요?", False),
    ("갑상선 검사는 건강검진에 포함되나요?", False),
])
def test_a_case_story_is_told_by_its_parties(question: str, story: bool) -> None:
    assert tells_a_case(question) is story


def test_a_case_story_is_answered_from_the_statute_before_a_contract_template(retriever: HybridRetriever) -> None:
    hits = retriever.retrieve(STORY, 3)
    assert (hits[0].chunk.title, hits[0].chunk.kind) == (CIVIL, "statute"), [(h.chunk.title, h.chunk.article)
                                                                          for h in hits]
    assert any(hit.chunk.file == "건물 임대차 계약서 표준안.txt" for hit in hits)  # still found, after the law


def test_a_question_without_parties_ranks_the_template_as_before(retriever: HybridRetriever) -> None:
    hits = retriever.retrieve("계약서상 건물 수리가 필요하면 누구에게 알리나요?", 3)
    assert hits[0].chunk.file == "건물 임대차 계약서 표준안.txt"
