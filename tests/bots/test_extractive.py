"""The extractive answerer reads sources as statutes and manuals are written, and its answers read in order.

Hand-made sources pin one rule each; golden answers pin whole answers on the real 공익신고자 보호법 and its 시행령
(../shared, skipped when absent) and on the demo bot's 여비 question.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest

from bots.answer import Answer, Answerer, BotProfile, Delta, Done
from bots.citations import FirstCited, Resolved, citation_of, number_sources
from bots.generators import ExtractiveGenerator, GenerationRequest
from connectors.chunk import Chunk
from connectors.korean import KoreanTokenizer
from tests.conftest import make_services, shared_path
from ui.wiring import Services, build_answerer

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "answers"
STATUTES = ("공익신고자 보호법(법률)(제21512호)(20270401).pdf",
            "공익신고자 보호법 시행령(대통령령)(제34783호)(20240807).hwpx")
# Golden questions on the statutes: the three starters of a 공익신고 bot, then deadlines, amounts and procedures.
STATUTE_QUESTIONS = {
    "p01": "공익신고는 어디에 할 수 있나요?",
    "p02": "공익신고자 보상금은 언제까지 신청해야 하나요?",
    "p03": "비실명 대리신고는 누구에게 해야 하나요?",
    "p04": "보호조치는 언제까지 신청해야 하나요?",
    "p05": "위원회는 공익신고를 받은 날부터 며칠 이내에 이첩해야 하나요?",
    "p06": "보상금이 얼마 이하이면 지급하지 않나요?",
    "p07": "공익신고자의 인적사항을 공개한 자는 몇 년 이하의 징역에 처하나요?",
    "p08": "보호조치결정을 이행하지 않으면 이행강제금은 얼마인가요?",
    "p09": "신고서를 제출할 수 없으면 어떻게 공익신고를 하나요?",
    "p10": "보상금 지급결정을 통지받은 공공기관은 언제까지 보상금을 지급해야 하나요?",
}
DEMO_QUESTIONS = {"demo01": "관내 출장을 3시간 다녀오면 여비를 얼마 받나요?"}


@pytest.fixture(scope="module")
def tokenizer() -> KoreanTokenizer:
    return KoreanTokenizer()


def _answer(tokenizer: KoreanTokenizer, question: str, *texts: str) -> str:
    """The extractive text for hand-made sources, markers renumbered as the answerer shows them."""
    chunks = [Chunk(text=text, file=f"문서{i}.txt", kind="manual", title=f"문서{i}") for i, text in enumerate(texts, 1)]
    sources = number_sources([(chunk, chunk.text, 1.0, [chunk]) for chunk in chunks])
    numbering = FirstCited()
    return numbering.feed("".join(ExtractiveGenerator(tokenizer).stream(GenerationRequest(question, sources))))


def test_rule_lines_are_never_quoted(tokenizer: KoreanTokenizer) -> None:
    text = ("신·구조문대비표\n현 행 | 개 정 안\n------------------------------ | ------------------------------\n"
            "제5조(보관기간) 영상정보의 보관기간은 30일로 한다. | 제5조(보관기간) 영상정보의 보관기간은 60일로 한다.\n"
            "==============================\n───────────\n")
    answer = _answer(tokenizer, "영상정보 보관기간은 며칠인가요?", text)
    assert "60일" in answer and not re.search(r"---|===|───", answer), answer


def test_a_markdown_table_row_is_read_with_its_column_names(tokenizer: KoreanTokenizer) -> None:
    text = "| 점검 항목 | 기준 |\n| --- | --- |\n| 비밀번호 | 9자리 이상, 90일마다 변경 |\n| 화면보호기 | 10분 |"
    answer = _answer(tokenizer, "비밀번호는 며칠마다 바꿔야 하나요?", text)
    assert answer.startswith("점검 항목: 비밀번호, 기준: 9자리 이상, 90일마다 변경 [1]"), answer


def test_a_proviso_is_quoted_only_with_the_sentence_it_qualifies(tokenizer: KoreanTokenizer) -> None:
    text = ("① 보상금은 신청일부터 90일 이내에 지급한다.\n② 보상금의 지급신청은 안 날부터 3년 이내에 하여야 한다. "
            "다만, 천재지변으로 신청할 수 없었던 경우에는 그 사유가 해소된 날부터 6개월 이내에 신청할 수 있다.")
    answer = _answer(tokenizer, "천재지변으로 신청하지 못하면 언제까지 신청할 수 있나요?", text)
    lines = answer.splitlines()
    assert all(not line.startswith("다만") for line in lines), answer
    assert any(line.startswith("② 보상금의 지급신청은") and "6개월" in line for line in lines), answer


def test_a_parenthesis_is_not_cut_at_its_full_stop(tokenizer: KoreanTokenizer) -> None:
    text = "① 신고하려는 사람은 문서(전자문서를 포함한다. 이하 \"신고서\"라 한다)를 위원회에 제출하여야 한다."
    answer = _answer(tokenizer, "신고서는 어디에 제출하나요?", text)
    assert answer == f"{text} [1]", answer


def test_a_line_in_two_sources_is_said_once_and_markers_count_from_one(tokenizer: KoreanTokenizer) -> None:
    same = "□ 당직 근무비는 1회 60,000원이며, 다음 달 급여와 함께 지급합니다."
    answer = _answer(tokenizer, "당직 근무비는 얼마인가요?", "□ 당직은 오후 6시에 시작합니다.",
                     same, same.replace(" ", "  "), "당직 근무비 지급 기준은 총무과가 정합니다.")
    assert answer.count("60,000원") == 1, answer
    assert answer.startswith(same + " [1]"), answer
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer)]
    assert list(dict.fromkeys(numbers)) == list(range(1, len(set(numbers)) + 1)), answer


def test_a_long_list_is_not_quoted_for_one_of_its_later_items(tokenizer: KoreanTokenizer) -> None:
    """"용어의 뜻은 다음과 같다" followed by seven definitions is quoted with the first six, so it is not matched on
    the seventh either: a question on dismissal was answered with the lead sentence and six definitions that only
    share its common words (공익신고), quoted as one sentence."""
    definitions = [
        '"공익침해행위"란 국민의 건강과 안전, 환경을 침해하는 행위를 말한다.',
        '"공익신고"란 공익침해행위가 발생하였다는 사실을 신고하는 것을 말한다.',
        '"공익신고등"이란 공익신고와 공익신고에 대한 조사 등에서 진술하는 것을 말한다.',
        '"공익신고자"란 공익신고를 한 사람을 말한다.',
        '"공익신고자등"이란 공익신고자와 진술한 사람을 말한다.',
        '"불이익조치"란 다음 각 목의 어느 하나에 해당하는 조치를 말한다.\n가. 파면, 해임, 해고, 그 밖에 신분상실에 '
        '해당하는 신분상의 불이익조치\n나. 징계, 정직, 감봉',
        '"내부 공익신고자"란 소속 기관의 공익신고자를 말한다.',
    ]
    article = "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n" + "\n".join(
        f"{i}. {text}" for i, text in enumerate(definitions, 1))
    rule = "① 누구든지 공익신고자등에게 공익신고등을 이유로 불이익조치를 하여서는 아니 된다."
    answer = _answer(tokenizer, "공익신고를 했다는 이유로 해고되면 어떻게 해야 하나요?", article, rule)
    assert answer.startswith(rule), answer
    assert "다음과 같다" not in answer and "공익침해행위" not in answer, answer
    assert '6. "불이익조치"란' in answer and "가. 파면, 해임, 해고" in answer, answer


def test_an_item_that_is_no_sentence_is_quoted_under_the_sentence_announcing_its_list(
        tokenizer: KoreanTokenizer) -> None:
    """"1. … 공개한 자" says nothing of the penalty asked about, its list's sentence does: the item is not quoted
    alone. In a short list it comes with the sentence and the other items; further down a long list, alone under
    the sentence, which is what the citation quotes."""
    fee = ("① 위원회는 내부 신고자가 변호사로부터 다음 각 호의 조력을 받은 경우에는 그 비용의 전부 또는 일부를 "
           "해당 변호사에게 지급할 수 있다.\n1. 내부 신고자가 변호사로 하여금 신고를 대리하도록 한 경우\n"
           "2. 내부 신고자가 신고에 대한 조사 절차와 관련하여 변호사의 조력을 받은 경우\n"
           "3. 그 밖에 내부 신고자가 신고와 관련하여 변호사의 법률상담을 받은 경우")
    answer = _answer(tokenizer, "변호사에게 법률상담을 받으면 그 비용을 지원받을 수 있나요?", fee)
    assert answer.startswith(fee.splitlines()[0] + " [1]\n  1. "), answer
    assert "  3. 그 밖에 내부 신고자가" in answer and "받은 경우 [" not in answer, answer
    offences = [f"{i}. 제{i + 10}조를 위반하여 {what} 자" for i, what in enumerate([
        "자료를 거짓으로 제출한", "출석 요구에 따르지 아니한", "조사를 거부한", "장부를 감춘",
        "시정명령을 이행하지 아니한", "등록증을 빌려준", "명의를 빌려준", "신고자의 인적사항을 공개한"], 1)]
    penalty = ("제30조(벌칙) ① 다음 각 호의 어느 하나에 해당하는 자는 5년 이하의 징역 또는 5천만원 이하의 벌금에 "
               "처한다. <개정 2017. 10. 31.>\n" + "\n".join(offences))
    answer = _answer(tokenizer, "신고자의 인적사항을 공개하면 어떤 처벌을 받나요?", penalty)
    assert answer.startswith("① 다음 각 호의 어느 하나에 해당하는 자는 5년 이하의 징역"), answer
    assert answer.splitlines()[1] == "  " + offences[7], answer
    assert "자료를 거짓으로" not in answer, answer


def test_a_sentence_announcing_its_list_in_any_words_is_quoted_with_it(tokenizer: KoreanTokenizer) -> None:
    """"다음 서류를 모두 확인한다" announces its items as "다음 각 호의" does; "다음 날까지" (the next day) does not
    announce the line after it."""
    lead = "□ 대리인이 수령하는 경우에는 다음 서류를 모두 확인한다."
    text = (f"{lead}\n○ 여권 수령 위임장(서식 제3호)\n○ 대리인의 신분증\n○ 신청인 신분증의 사본\n"
            "□ 미수령 여권은 발급일 다음 날까지 보관함에 넣는다.\n○ 보관함 열쇠는 팀장이 관리한다.")
    answer = _answer(tokenizer, "대리인이 여권을 수령할 때 확인할 서류는?", text)
    assert answer.startswith(f"{lead} [1]\n  ○ 여권 수령 위임장"), answer
    assert "  ○ 신청인 신분증의 사본" in answer, answer
    answer = _answer(tokenizer, "미수령 여권은 언제까지 보관함에 넣나요?", text)
    assert answer.startswith("□ 미수령 여권은 발급일 다음 날까지 보관함에 넣는다. [1]"), answer
    assert "  ○ 보관함 열쇠" not in answer, answer


def test_a_period_named_as_the_object_of_the_question_is_not_what_it_asks_for(tokenizer: KoreanTokenizer) -> None:
    """"처리 기간을 연장할 수 있나요?" asks whether, not how long: the rule that allows it answers first, not the
    sentence stating a time ("지체 없이"); "처리 기간은?" still asks for the period."""
    text = ("① 부서의 장은 부득이한 사유로 처리기간 내에 민원을 처리할 수 없는 경우에는 한 차례만 처리기간을 연장할 수 "
            "있다.\n② 제1항에 따라 처리기간을 연장한 경우에는 연장 사유를 지체 없이 민원인에게 문서로 알려야 한다.\n"
            "③ 민원의 처리기간은 접수한 날부터 7일로 한다.")
    answer = _answer(tokenizer, "민원 처리 기간을 연장할 수 있나요?", text)
    assert answer.startswith("① 부서의 장은"), answer
    answer = _answer(tokenizer, "민원 처리 기간은?", text)
    assert answer.startswith("③ 민원의 처리기간은 접수한 날부터 7일로 한다."), answer


def test_the_documents_own_title_is_not_quoted(tokenizer: KoreanTokenizer) -> None:
    """A manual's first line is its title; "무인민원발급기 운영 안내(2025년 하반기)" ends in a bracket, as a sentence
    may, and was quoted first for a question on its machines' hours."""
    title = "무인민원발급기 운영 안내(2025년 하반기)"
    text = (f"{title}\n□ 무인민원발급기는 근무일 오전 7시부터 오후 10시까지 운영합니다.\n"
            "□ 관리 부서 담당자는 용지 잔량을 매일 점검합니다.")
    chunk = Chunk(text=text, file="무인민원발급기 운영 안내.txt", kind="manual", title=title)
    sources = number_sources([(chunk, chunk.text, 1.0, [chunk])])
    answer = FirstCited().feed("".join(ExtractiveGenerator(tokenizer).stream(
        GenerationRequest("무인민원발급기 운영 시간은?", sources))))
    assert answer.startswith("□ 무인민원발급기는 근무일 오전 7시부터 오후 10시까지 운영합니다. [1]"), answer
    assert title not in answer, answer


def test_up_to_how_much_asks_for_an_amount_not_a_period(tokenizer: KoreanTokenizer) -> None:
    """"얼마까지" asks how much: the row stating the amount answers first, not a sentence on the same thing that
    states a period ("30일 이내")."""
    answer = _answer(tokenizer, "숙박비는 얼마까지 받을 수 있나요?",
                     "② 숙박비는 출장을 마친 날부터 30일 이내에 청구하여야 받을 수 있다.",
                     "항목 | 지급 방식 | 금액\n숙박비 | 상한액 이내의 실비 | 1박 70,000원")
    assert answer.startswith("항목: 숙박비, 지급 방식: 상한액 이내의 실비, 금액: 1박 70,000원 [1]"), answer


def test_the_row_whose_condition_the_question_meets_answers_it(tokenizer: KoreanTokenizer) -> None:
    text = "1. 관내 출장 여비\n출장 시간 | 지급액\n4시간 이상 | 20,000원\n4시간 미만 | 10,000원"
    answer = _answer(tokenizer, "관내 출장을 3시간 다녀오면 여비를 얼마 받나요?", text)
    assert answer.splitlines()[0] == "출장 시간: 4시간 미만, 지급액: 10,000원 [1]", answer
    assert "20,000원" not in answer


def test_rows_stating_nothing_asked_are_left_out_once_a_line_states_it(tokenizer: KoreanTokenizer) -> None:
    fares = "1. 관내 출장 여비\n출장 시간 | 지급액\n4시간 이상 | 20,000원\n4시간 미만 | 10,000원"
    approvers = ("2. 출장 명령 결재권자\n출장 구분 | 결재권자 | 비고\n관내 출장 | 팀장 | 출장 시간과 관계없음\n"
                 "관외 출장(3일 이상) | 실장·국장 | 출장 계획서 첨부")
    rule = "같은 날 관내 출장을 여러 번 다녀온 경우에는 출장 시간을 합산하여 1회분만 지급한다."
    answer = _answer(tokenizer, "관내 출장을 3시간 다녀오면 여비를 얼마 받나요?", fares, approvers, rule)
    assert answer.splitlines()[0] == "출장 시간: 4시간 미만, 지급액: 10,000원 [1]", answer
    assert "결재권자" not in answer  # rows about something else the question's words touch
    assert "1회분만 지급한다" in answer  # prose that conditions the amount stays
    # When prose states it, a row on the same subject may still say what to do: it stays.
    rule = "부서의 장은 보유기간이 지난 개인정보를 그날부터 5일 이내에 파기하여야 한다."
    checks = ("점검 항목 | 기준 | 미흡할 때 조치\n"
              "보유기간이 지난 개인정보 파일 | 보관하지 않음 | 파기 후 파기 관리대장 기록")
    answer = _answer(tokenizer, "보유기간이 지난 개인정보는 언제까지 파기해야 하나요?", rule, checks)
    assert answer.splitlines()[0].startswith("부서의 장은"), answer
    assert "파기 관리대장" in answer, answer
    # Asked who approves, the approvers' rows are the answer.
    answer = _answer(tokenizer, "관외 출장 결재권자는 누구인가요?", fares, approvers)
    assert "실장·국장" in answer, answer


def test_first_cited_renumbers_as_the_text_streams_and_keeps_the_generators_number() -> None:
    chunks = [Chunk(text=f"문장 {i}이다.", file=f"{i}.txt", kind="manual") for i in range(1, 6)]
    sources = number_sources([(chunk, chunk.text, 1.0, [chunk]) for chunk in chunks])
    numbering = FirstCited()
    shown = "".join(numbering.feed(piece) for piece in ("문장 5이다. [5]\n", "문장 2이다. [2][5]\n", "[별표 1] [1]"))
    assert shown == "문장 5이다. [1]\n문장 2이다. [2][1]\n[별표 1] [3]"
    resolved = numbering.renumbered(Resolved("문장 5이다. [5]\n문장 2이다. [2][5]\n[별표 1] [1]",
                                             [citation_of(sources[n - 1], n) for n in (1, 2, 5)]))
    assert resolved.text == shown
    assert [(c.n, c.source) for c in resolved.citations] == [(1, 5), (2, 2), (3, 1)]


def test_the_answer_cites_one_two_three_in_order_and_streams_the_same_text(sample_index: Services) -> None:
    departments = ["민원여권과", "정보보호담당관", "총무과", "회계과"]
    answerer = build_answerer(sample_index, BotProfile(departments=departments))
    events = list(answerer.stream("여권 재발급 처리기한은 며칠인가요?"))
    done = events[-1]
    assert isinstance(done, Done)
    answer = done.answer
    assert answer.text == "".join(e.text for e in events if isinstance(e, Delta)).strip()
    numbers = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", answer.text)))
    assert numbers == list(range(1, len(numbers) + 1)) == [c.n for c in answer.citations]
    # The citation keeps the number of the source the generator cited (the evaluation reads its pages by it).
    assert all(c.file == answer.trace.retrieved[c.source - 1]["file"] for c in answer.citations)


def _record(answer: Answer) -> dict[str, Any]:
    return {"answer": answer.text, "refused": answer.refused, "warnings": answer.warnings,
            "citations": [{"n": c.n, "label": c.label, "quote": c.quote} for c in answer.citations]}


# The golden answers are read on one fixed day: 공익신고자 보호법 of the corpus takes effect on 2027. 4. 1., so its
# articles are flagged as not yet in force until then.
TODAY = date(2026, 12, 5)


def _check_golden(name: str, question: str, answer: Answer) -> None:
    """The whole answer as the golden file has it; UPDATE_GOLDEN=1 rewrites it and git diff shows the change."""
    golden = GOLDEN / f"{name}.json"
    record = {"question": question, **_record(answer)}
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden answer for {name}: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert record == json.loads(golden.read_text(encoding="utf-8"))


def _unrefused(answerer: Answerer) -> Answerer:
    # These tests pin what the extractive answerer makes of the retrieved sources, not whether the evidence
    # threshold lets the question through (that is the refusal's own test).
    answerer.min_evidence = answerer.min_evidence_unknown = 0.0
    return answerer


@pytest.fixture(scope="module")
def statutes(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """공익신고자 보호법 and its 시행령 from the evaluation corpus, indexed as 법무담당관's documents."""
    corpus = shared_path("eval", "corpus", "법무담당관")
    folder = tmp_path_factory.mktemp("statutes") / "법무담당관"
    folder.mkdir()
    for name in STATUTES:
        shutil.copy(corpus / name, folder / name)
    built = make_services(tmp_path_factory.mktemp("statutes-data") / "data")
    with built.reindexer:
        report = built.reindexer.reindex(folder, "법무담당관")
        assert not report.failed, [r.error for r in report.files if r.error]
    return built


@pytest.mark.parametrize(("name", "question"), STATUTE_QUESTIONS.items(), ids=list(STATUTE_QUESTIONS))
def test_golden_answers_on_the_statutes(statutes: Services, name: str, question: str) -> None:
    answerer = _unrefused(build_answerer(statutes, BotProfile(departments=["법무담당관"]), keep_traces=False))
    answerer.retriever.today = lambda: TODAY
    answer = answerer.ask(question)
    assert not answer.refused
    assert not any(line.startswith(("다만", "단,", "이 경우")) for line in answer.text.split("\n")), answer.text
    _check_golden(name, question, answer)


@pytest.mark.parametrize(("name", "question"), DEMO_QUESTIONS.items(), ids=list(DEMO_QUESTIONS))
def test_golden_answers_of_the_demo_bot(sample_index: Services, name: str, question: str) -> None:
    demo = json.loads((Path(__file__).resolve().parents[2] / "demo" / "bots" / "city-admin.json").read_text("utf-8"))
    answerer = _unrefused(build_answerer(sample_index, BotProfile(departments=demo["departments"])))
    answer = answerer.ask(question)
    assert answer.text.startswith("출장 시간: 4시간 미만, 지급액: 10,000원 [1]"), answer.text
    _check_golden(name, question, answer)



def test_a_row_of_a_long_table_is_read_with_its_column_names(tmp_path: Path) -> None:
    """A table longer than a chunk is split over several; a row far down is still read with its column names."""
    document = docx.Document()
    document.add_paragraph("민원 처리기한표")
    table = document.add_table(rows=1, cols=3)
    for cell, name in zip(table.rows[0].cells, ("민원 종류", "처리기한", "담당 부서"), strict=True):
        cell.text = name
    for n in range(1, 81):
        for cell, value in zip(table.add_row().cells, (f"민원 {n}호 증명서 발급", f"{n}일", f"민원{n % 4 + 1}팀"),
                               strict=True):
            cell.text = value
    folder = tmp_path / "민원과"
    folder.mkdir()
    document.save(str(folder / "처리기한표.docx"))
    services = make_services(tmp_path / "data")
    with services.reindexer:
        report = services.reindexer.reindex(folder, "민원과")
    assert not report.failed
    answerer = _unrefused(build_answerer(services, BotProfile(departments=["민원과"]), keep_traces=False))
    answer = answerer.ask("민원 67호 증명서 발급은 처리기한이 며칠인가요?")
    assert answer.text.splitlines()[0] == "민원 종류: 민원 67호 증명서 발급, 처리기한: 67일, 담당 부서: 민원4팀 [1]", \
        answer.text
