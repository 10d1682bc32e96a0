"""`deptbot ask` and `deptbot eval` on the sample manuals, as an operator runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import SAMPLES
from ui.cli import main

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "sample_questions.jsonl"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Two sample departments indexed once: (corpus root, data folder)."""
    base = tmp_path_factory.mktemp("ask")
    root = base / "부서문서"
    for name in ("민원여권과", "총무과"):
        shutil.copytree(SAMPLES / name, root / name)
    data = str(base / "data")
    assert run("reindex", "--all", str(root), "--data-dir", data).exit_code == 0
    return root, data


def test_ask_json_gives_the_answer_its_citations_and_a_trace_id(indexed: tuple[Path, str]) -> None:
    _, data = indexed
    result = run("ask", "당직 근무비는 얼마인가요?", "--department", "총무과", "--data-dir", data, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert "60,000원" in answer["answer"] and not answer["refused"]
    citation = answer["citations"][0]
    assert citation["file"] == "당직근무 운영지침.txt" and citation["label"].endswith("당직근무 운영지침.txt")
    assert {"n", "file", "page", "article", "paragraph", "heading", "quote"} <= set(citation)
    traces = list((Path(data) / "traces").glob("*.jsonl"))
    assert traces and answer["trace_id"] in traces[0].read_text(encoding="utf-8")


def test_ask_prints_the_answer_then_its_sources(indexed: tuple[Path, str]) -> None:
    _, data = indexed
    result = run("ask", "여권 민원실은 목요일에 몇 시까지 운영하나요?", "--data-dir", data)
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("출처:")
    assert "오후 8시" in answer and "[1]" in answer
    assert "[1] 「한빛시 민원 처리에 관한 조례」 제16조제4항 (시행 2025. 7. 1.) — " in sources and "3쪽" in sources


def test_ask_prints_a_quoted_table_row_under_its_column_names(indexed: tuple[Path, str]) -> None:
    _, data = indexed
    result = run("ask", "관내 출장을 3시간 다녀오면 여비를 얼마 받나요?", "--department", "총무과", "--data-dir", data)
    assert result.exit_code == 0, result.output
    sources = result.stdout.partition("출처:")[2].splitlines()
    assert sources[2:4] == ["    (출장 시간 | 지급액)", "    “4시간 미만 | 10,000원”"], sources


def test_ask_refuses_what_the_documents_do_not_say(indexed: tuple[Path, str]) -> None:
    _, data = indexed
    result = run("ask", "청사 내 직원 체력단련실의 월 이용료는 얼마인가요?", "--data-dir", data, "--json")
    answer = json.loads(result.stdout)
    assert answer["refused"] and answer["citations"] == [] and "민원여권과, 총무과에 문의해 주세요" in answer["answer"]


def test_ask_as_a_saved_bot_uses_its_departments_and_refusal(indexed: tuple[Path, str], tmp_path: Path) -> None:
    _, data = indexed
    bot = {"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
           "refusal": "당직 지침에 없는 내용입니다. {contact}에 문의하세요.", "contact": "총무과 청사관리팀"}
    source = tmp_path / "bot.json"
    source.write_text(json.dumps(bot, ensure_ascii=False), encoding="utf-8")
    assert run("departments", "add", "총무과", "--slug", "general-affairs", "--data-dir", data).exit_code == 0
    created = run("bots", "create", "--from", str(source), "--data-dir", data)
    assert created.exit_code == 0 and "dangjik" in created.stdout
    answer = json.loads(run("ask", "여권 재발급 처리기한은 며칠인가요?", "--bot", "dangjik", "--data-dir", data,
                            "--json").stdout)
    assert all(c["department"] == "총무과" for c in answer["citations"])
    assert "4일" not in answer["answer"]  # the passport manual is not this bot's knowledge
    refused = json.loads(run("ask", "청사 내 직원 체력단련실의 월 이용료는 얼마인가요?", "--bot", "dangjik",
                             "--data-dir", data, "--json").stdout)
    assert refused["answer"] == "당직 지침에 없는 내용입니다. 총무과 청사관리팀에 문의하세요."


@pytest.mark.parametrize(("args", "message"), [
    (["--department", "건축과"], "색인되지 않은 부서: 건축과"),
    (["--bot", "nobot"], "그런 봇이 없습니다"),
])
def test_ask_with_an_unknown_department_or_bot_says_what_exists(indexed: tuple[Path, str], args: list[str],
                                                                message: str) -> None:
    _, data = indexed
    result = CliRunner().invoke(main, ["ask", "질문입니다", *args, "--data-dir", data])
    assert result.exit_code in (1, 2) and message in result.output


def test_eval_reports_metrics_and_writes_one_line_per_question(indexed: tuple[Path, str], tmp_path: Path) -> None:
    root, data = indexed
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in rows if not r["gold"] or r["gold"][0]["file"].split("/")[0] in ("민원여권과", "총무과")]
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mine), encoding="utf-8")
    output = tmp_path / "run.jsonl"
    result = run("eval", str(questions), "--corpus", str(root), "--data-dir", data, "--k", "5",
                 "--output", str(output), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    samples = metrics["datasets"]["samples"]
    assert samples["hit@5"] == 1.0 and samples["citation_accuracy"] >= 0.8
    assert metrics["refusal"]["recall"] >= 2 / 3
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in mine]
    first = lines[0]
    assert len(first["retrieved"]) == 5 and (root / first["retrieved"][0]["file"]).is_file()
    table = run("eval", str(questions), "--corpus", str(root), "--data-dir", data)
    assert "hit@5" in table.stdout and "거절: 정밀도" in table.stdout
    # Both fixed halves, side by side: what a constant was chosen on (A) and what checks it (B).
    assert "절반별" in table.stdout and "거절 (A)" in table.stdout and "거절 (B)" in table.stdout
    halves = metrics["halves"]
    assert halves["A"]["overall"]["questions"] + halves["B"]["overall"]["questions"] == len(mine)
    assert {line["half"] for line in lines} <= {"A", "B"}


def test_the_openai_generator_without_a_server_is_a_clear_settings_error(indexed: tuple[Path, str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, data = indexed
    monkeypatch.setenv("DEPTBOT_LLM__GENERATOR", "openai")
    result = CliRunner().invoke(main, ["ask", "당직 근무비는 얼마인가요?", "--data-dir", data])
    assert result.exit_code == 1
    assert "DEPTBOT_LLM__BASE_URL" in result.output and "서버 주소와 모델 이름" in result.output
