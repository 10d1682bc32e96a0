"""An embedding server whose vectors mean something: its prefixes reach it, and its fusion weight is chosen by
evidence (`deptbot eval --dense-weights`, on half A, checked on half B), not by its kind.

The server is the one thing we cannot run here (a real model), so the test's server stands in for one: its
vectors place a text by the concepts its words name, synonyms alike (월급 and 봉급, 세금 and 조세), as a
trained model does for paraphrases. The questions are staff's plain words; the documents use the formal ones,
so keyword search alone cannot find them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots.evaluation import half
from tests.support.fake_openai import Behaviour, fake_openai_server
from ui.cli import main

CONCEPTS = [
    ("봉급", "월급", "급여", "보수"),
    ("과태료", "벌금", "범칙금"),
    ("조세", "세금", "국세"),
    ("청사", "건물", "사옥"),
    ("출장", "외근", "파견"),
    ("휴가", "연차", "휴무"),
    ("민원", "진정", "불만"),
    ("계약", "약정", "협약"),
]
DOCUMENTS = {
    "봉급 지급 안내.txt": "봉급은 매월 20일에 지급한다. 봉급 명세는 인사 시스템에서 확인한다.",
    "과태료 부과 기준.txt": "과태료는 위반 행위 1회당 50만원을 부과한다. 과태료 납부 기한은 고지일부터 30일이다.",
    "조세 감면 절차.txt": "조세 감면은 납기 10일 전까지 신청한다. 조세 감면 대상은 조례로 정한다.",
    "청사 관리 규정.txt": "청사 출입은 오전 7시부터 오후 10시까지 허용한다. 청사 안전점검은 분기마다 한다.",
    "출장 처리 지침.txt": "출장은 출발 하루 전까지 결재를 받는다. 출장 보고서는 복귀 후 3일 안에 낸다.",
    "휴가 사용 지침.txt": "휴가는 사용 3일 전까지 신청한다. 휴가 일수는 재직 기간에 따라 정한다.",
    "민원 처리 절차.txt": "민원은 접수 후 7일 안에 처리한다. 민원 처리 결과는 문자로 알린다.",
    "계약 체결 기준.txt": "계약은 2천만원 이상이면 입찰로 체결한다. 계약 보증금은 계약금액의 10퍼센트이다.",
}
QUESTIONS = [  # plain words, none of them in the documents
    ("월급", "봉급 지급 안내.txt", "월급 받는 날이 며칠이죠"), ("급여", "봉급 지급 안내.txt", "급여 나오는 날"),
    ("벌금", "과태료 부과 기준.txt", "벌금 내야 하는 금액"), ("범칙금", "과태료 부과 기준.txt", "범칙금 얼마"),
    ("세금", "조세 감면 절차.txt", "세금 깎아 주는 신청"), ("국세", "조세 감면 절차.txt", "국세 줄이는 방법"),
    ("건물", "청사 관리 규정.txt", "건물 들어가는 시각"), ("사옥", "청사 관리 규정.txt", "사옥 개방 시각"),
    ("외근", "출장 처리 지침.txt", "외근 가기 전 결재"), ("파견", "출장 처리 지침.txt", "파견 다녀온 뒤 보고"),
    ("연차", "휴가 사용 지침.txt", "연차 쓰려면 언제 말하나"), ("휴무", "휴가 사용 지침.txt", "휴무 며칠 주나"),
    ("진정", "민원 처리 절차.txt", "진정 넣으면 답 오는 기간"), ("불만", "민원 처리 절차.txt", "불만 접수 후 결과"),
    ("약정", "계약 체결 기준.txt", "약정 맺을 때 입찰"), ("협약", "계약 체결 기준.txt", "협약 보증금 비율"),
]


def concept_vector(text: str) -> list[float]:
    """Where a text is in meaning: one dimension per concept its words name, and a little of everything."""
    vector = [1.0 if any(word in text for word in words) else 0.0 for words in CONCEPTS] + [0.05]
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]


@pytest.fixture()
def paraphrase_set(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    (corpus / "총무과").mkdir(parents=True)
    for name, text in DOCUMENTS.items():
        (corpus / "총무과" / name).write_text(text + "\n", encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    rows = [{"id": f"para-{key}", "question": text, "dataset": "paraphrase", "answerable": True,
             "gold": [{"file": f"총무과/{file}", "article": None, "paragraph": None, "page": None}]}
            for key, file, text in QUESTIONS]
    assert {half(row["id"]) for row in rows} == {"A", "B"}  # both halves hold questions
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return corpus, questions


def test_a_meaningful_embedding_model_gets_its_weight_from_the_evidence_and_its_prefixes(
        paraphrase_set: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, questions = paraphrase_set
    behaviour = Behaviour(embed=lambda text: concept_vector(text))
    with fake_openai_server(behaviour) as url:
        for name, value in {"KIND": "openai", "BASE_URL": url, "MODEL": "multilingual-e5-small",
                            "QUERY_PREFIX": "query: ", "PASSAGE_PREFIX": "passage: "}.items():
            monkeypatch.setenv(f"DEPTBOT_EMBEDDER__{name}", value)
        result = CliRunner().invoke(main, ["eval", str(questions), "--corpus", str(corpus), "--data-dir",
                                           str(tmp_path / "data"), "--dense-weights", "0,0.5,1", "--json"],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sweep = json.loads(result.stdout)
    by_weight = {row["weight"]: row for row in sweep["weights"]}
    # Keyword search alone cannot find a paraphrase; with the model's vote it finds them, on both halves.
    assert by_weight[0.0]["A"]["hit@5"] < 0.5 and by_weight[0.0]["B"]["hit@5"] < 0.5
    assert sweep["chosen"] > 0 and sweep["setting"] == f"DEPTBOT_ANSWER__DENSE_WEIGHT={sweep['chosen']:g}"
    chosen = by_weight[sweep["chosen"]]
    assert chosen["A"]["hit@5"] == 1.0 and chosen["B"]["hit@5"] == 1.0
    # The e5 prefixes reached the server: every indexed text as a passage, every question as a query.
    inputs = [text for r in behaviour.requests if r["path"].endswith("/embeddings")
              for text in (r["input"] if isinstance(r["input"], list) else [r["input"]])]
    passages = [t for t in inputs if t.startswith("passage: ")]
    queries = [t for t in inputs if t.startswith("query: ")]
    assert len(passages) >= len(DOCUMENTS)
    assert {q.removeprefix("query: ") for q in queries} >= {q for *_, q in QUESTIONS}
    assert all(t.startswith(("passage: ", "query: ")) for t in inputs)


def test_the_sweep_gives_no_weight_to_a_model_that_adds_nothing(paraphrase_set: tuple[Path, Path], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same questions reworded with the documents' own words: keyword search finds them all, and a model
    whose vectors say nothing (the same for every text) is given weight 0, the smallest of the best."""
    corpus, questions = paraphrase_set
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    formal = {key: words[0] for words in CONCEPTS for key in words}
    for row in rows:
        key = row["id"].removeprefix("para-")
        row["question"] = row["question"].replace(key, formal[key])
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with fake_openai_server(Behaviour(embed=lambda text: [1.0, 0.0, 0.0, 0.0])) as url:
        monkeypatch.setenv("DEPTBOT_EMBEDDER__KIND", "openai")
        monkeypatch.setenv("DEPTBOT_EMBEDDER__BASE_URL", url)
        monkeypatch.setenv("DEPTBOT_EMBEDDER__MODEL", "flat")
        result = CliRunner().invoke(main, ["eval", str(questions), "--corpus", str(corpus), "--data-dir",
                                           str(tmp_path / "data"), "--dense-weights", "0,1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "절반 A에서 고른 가중치: 0 " in result.output and "DEPTBOT_ANSWER__DENSE_WEIGHT=0" in result.output
