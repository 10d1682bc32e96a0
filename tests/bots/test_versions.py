"""Statutes that stay current: a citation names its law's version, an article not yet in force is flagged, and a
bot holding two versions of one law answers from the one in force on the day it is asked.

The department holds 시험법 as the law portal gives it: the version in force since 2025. 1. 1. and an amendment
taking effect on 2028. 1. 1. that changes the reporting period and adds an article (the second file has no
"[시행 …]" line: its version comes from the portal's file name).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots.answer import Answerer, BotProfile
from connectors.chunking import chunk_document
from connectors.parsers import parse_bytes
from tests.conftest import make_services
from ui.cli import main
from ui.wiring import build_answerer

CURRENT = "시험법(법률)(제100호)(20250101).txt"
AMENDED = "시험법(법률)(제200호)(20280101).txt"
QUESTION = "시험 신고는 며칠 이내에 해야 하나요?"


def _law(header: str, period: str, extra: str = "") -> str:
    return (f"시험법\n{header}\n\n제1조(목적) 이 법은 시험의 신고에 관한 사항을 정함을 목적으로 한다.\n\n"
            "제2조(정의) 이 법에서 \"시험\"이란 시장이 정하는 검사를 말한다.\n\n"
            f"제3조(신고기한) ① 시험을 하려는 자는 시험일부터 {period} 이내에 시장에게 신고하여야 한다.\n"
            "② 신고의 방법은 시장이 정한다.\n" + extra)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs") / "법무담당관"
    folder.mkdir()
    (folder / CURRENT).write_text(_law("[시행 2025. 1. 1.] [법률 제100호, 2024. 6. 1., 일부개정]", "30일"),
                                  encoding="utf-8")
    (folder / AMENDED).write_text(_law("", "60일", "\n제4조(전자신고) 신고는 전자문서로 할 수 있다.\n"),
                                  encoding="utf-8")
    path = tmp_path_factory.mktemp("data") / "data"
    services = make_services(path)
    with services.reindexer:
        report = services.reindexer.reindex(folder, "법무담당관")
        assert not report.failed
    return path


def _answerer(data: Path, today: date) -> Answerer:
    answerer = build_answerer(make_services(data), BotProfile(departments=["법무담당관"]), keep_traces=False)
    answerer.retriever.today = lambda: today
    return answerer


def test_each_chunk_carries_its_law_s_version_from_the_text_or_else_the_file_name() -> None:
    text = _law("[시행 2025. 1. 1.] [법률 제100호, 2024. 6. 1., 일부개정]", "30일")
    chunks = chunk_document(parse_bytes(text.encode("utf-8"), CURRENT))
    assert {(c.effective_date, c.promulgation) for c in chunks} == {("2025-01-01", "법률 제100호, 2024. 6. 1.")}
    named = chunk_document(parse_bytes(_law("", "60일").encode("utf-8"), AMENDED))
    assert {(c.effective_date, c.promulgation) for c in named} == {("2028-01-01", "법률 제200호")}


def test_the_version_in_force_today_answers_and_the_other_is_named(data: Path) -> None:
    answer = _answerer(data, date(2026, 12, 5)).ask(QUESTION)
    assert not answer.refused and "30일 이내" in answer.text and "60일" not in answer.text
    first = answer.citations[0]
    assert (first.file, first.article, first.effective_date) == (CURRENT, "제3조", "2025-01-01")
    assert "「시험법」 제3조제1항 (시행 2025. 1. 1.)" in first.label
    assert (f"「시험법」: 문서에 있는 두 판 가운데 지금 시행 중인 판(시행 2025. 1. 1.)으로 답했습니다. "
            f"2028. 1. 1. 시행 예정인 판({AMENDED})은 쓰지 않았습니다.") in answer.warnings
    assert answer.to_dict()["warnings"] == answer.warnings  # the API's and `deptbot ask --json`'s answer


def test_once_the_amendment_takes_effect_it_answers(data: Path) -> None:
    answer = _answerer(data, date(2028, 1, 1)).ask(QUESTION)
    assert "60일 이내" in answer.text and "30일" not in answer.text
    assert answer.citations[0].file == AMENDED
    assert "2025. 1. 1. 시행된 이전 판" in answer.warnings[0]


def test_an_article_only_the_amendment_has_is_flagged_as_not_in_force(data: Path) -> None:
    answer = _answerer(data, date(2026, 12, 5)).ask("전자신고를 할 수 있나요?")
    assert not answer.refused and answer.citations[0].article == "제4조"
    assert "「시험법」 제4조: 2028. 1. 1. 시행 예정 — 현재 시행 중인 조문이 아닙니다" in answer.warnings


def test_the_warning_is_shown_above_the_answer_on_the_command_line(data: Path) -> None:
    """`deptbot ask` prints notices as the chat shows them (⚠️ above the answer); --json carries `warnings`."""
    result = CliRunner().invoke(main, ["ask", "전자신고를 할 수 있나요?", "--department", "법무담당관",
                                       "--data-dir", str(data), "--json"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    # Asked on the real day: the amendment is in force from 2028. 1. 1. on, so the warning holds until then.
    if date.today() < date(2028, 1, 1):
        assert any("2028. 1. 1. 시행 예정" in w for w in warnings)
    else:
        assert not any("시행 예정" in w for w in warnings)


def test_the_document_list_says_which_version_is_in_force_and_flags_a_duplicate(tmp_path: Path) -> None:
    """What the builder's document list shows beside each statute (`bots.versions.statute_notes`)."""
    from bots.versions import statute_notes

    folder = tmp_path / "법무담당관"
    folder.mkdir()
    current = _law("[시행 2025. 1. 1.] [법률 제100호, 2024. 6. 1., 일부개정]", "30일")
    (folder / CURRENT).write_text(current, encoding="utf-8")
    (folder / "시험법 사본.txt").write_text(current + "\n", encoding="utf-8")  # the same version, uploaded twice
    (folder / AMENDED).write_text(_law("", "60일"), encoding="utf-8")
    (folder / "안내.txt").write_text("민원 안내\n\n창구는 1층에 있습니다.\n", encoding="utf-8")
    services = make_services(tmp_path / "data")
    with services.reindexer:
        assert not services.reindexer.reindex(folder, "법무담당관").failed
    keywords = services.store.open("법무담당관", services.embedder).keyword_index()
    notes = statute_notes(keywords, date(2026, 12, 5))
    assert notes[CURRENT] == "시행 2025. 1. 1. · 시행 중 · ⚠️ 같은 판 중복: 시험법 사본.txt"
    assert notes["시험법 사본.txt"] == f"시행 2025. 1. 1. · 시행 중 · ⚠️ 같은 판 중복: {CURRENT}"
    assert notes[AMENDED] == "시행 2028. 1. 1. · 시행 예정"
    assert "안내.txt" not in notes  # a manual has no version
    later = statute_notes(keywords, date(2028, 1, 1))
    assert later[AMENDED] == "시행 2028. 1. 1. · 시행 중"
    assert later[CURRENT].startswith(f"시행 2025. 1. 1. · 이전 판 (시행 중인 판: {AMENDED})")
