"""A department lead's insights tab: questions per day, refusals, most cited documents, poorly rated answers, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bots.citations import Citation
from bots.insights import CSV_HEADER, bot_insights, question_log_csv
from bots.trace import AnswerTrace, TraceLog
from builder.registry import Feedback

MANUAL = ("여권과", "여권 매뉴얼.hwpx")
STATUTE = ("법무과", "여권법.pdf")
OTHER = ("세무과", "지방세법.pdf")
TODAY = date(2025, 3, 10)


def _cite(document: tuple[str, str], n: int = 1, article: str = "") -> dict[str, Any]:
    department, file = document
    return Citation(n=n, file=file, page=3, article=article, paragraph="", heading="", quote="", title=file,
                    department=department).to_dict()


def _trace(log: TraceLog, trace_id: str, created: str, bot: str = "passport", **fields: Any) -> AnswerTrace:
    fields = {"question": f"질문 {trace_id}", "answer": f"답변 {trace_id}", **fields}
    trace = AnswerTrace(id=trace_id, created=created, bot=bot, **fields)
    log.write(trace)
    return trace


def _rating(trace_id: str, rating: int, comment: str = "", bot: str = "passport", minute: int = 0) -> Feedback:
    return Feedback(bot_slug=bot, trace_id=trace_id, rating=rating, comment=comment, username="kim",
                    created_at=datetime(2025, 3, 10, 12, minute, tzinfo=UTC))


IDS: dict[str, str] = {}  # the week's answers by name -> the ids their traces got when written


def _week(tmp_path: Path) -> tuple[TraceLog, list[Feedback]]:
    """A week of the passport bot, an older answer before the window, and the tax bot on the same days."""
    log = TraceLog(tmp_path / "traces")
    written = [
        _trace(log, "old", "2025-03-01T09:00:00+00:00", refused=True, citations=[_cite(STATUTE), _cite(OTHER, 2)]),
        _trace(log, "t1", "2025-03-04T09:00:00+00:00", citations=[_cite(MANUAL), _cite(STATUTE, 2)]),
        _trace(log, "t2", "2025-03-04T10:30:00+00:00", citations=[_cite(MANUAL)]),
        _trace(log, "tax", "2025-03-05T09:00:00+00:00", bot="tax", refused=True, citations=[_cite(OTHER)]),
        _trace(log, "t3", "2025-03-06T09:00:00+00:00", refused=True, refusal_reason="evidence", fallback="timeout"),
        # the statute cited three times in one answer counts once for that answer
        _trace(log, "t4", "2025-03-10T23:59:00+00:00",
               citations=[_cite(MANUAL), _cite(STATUTE, 2, "제1조"), _cite(STATUTE, 3, "제2조"),
                          _cite(STATUTE, 4, "제3조")]),
    ]
    IDS.update({trace.question.removeprefix("질문 "): trace.id for trace in written})
    feedback = [  # newest first, as Registry.feedback gives them
        _rating("missing", -1, "없는 답변", minute=6),
        _rating(IDS["old"], -1, "예전 답변", minute=5),
        _rating(IDS["tax"], -1, "세금 봇", bot="tax", minute=4),
        _rating(IDS["t4"], -1, "조문이 틀림", minute=3),
        _rating(IDS["t2"], -1, "틀렸어요 연락 010-1234-5678", minute=2),
        _rating(IDS["t1"], 1, "고마워요", minute=1),
    ]
    return log, feedback


def test_questions_per_day_cover_every_day_of_the_window_with_zeros(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    insights = bot_insights(log, feedback, "passport", days=7, today=TODAY)
    assert insights.slug == "passport"
    assert insights.days == [("2025-03-04", 2), ("2025-03-05", 0), ("2025-03-06", 1), ("2025-03-07", 0),
                             ("2025-03-08", 0), ("2025-03-09", 0), ("2025-03-10", 1)]
    assert insights.questions == 4  # the older answer and the tax bot's are not counted


def test_refusals_and_fallbacks_are_counted_for_the_window_only(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    insights = bot_insights(log, feedback, "passport", days=7, today=TODAY)
    assert (insights.refused, insights.refusal_rate, insights.fallbacks) == (1, 0.25, 1)
    wider = bot_insights(log, feedback, "passport", days=10, today=TODAY)
    assert (wider.questions, wider.refused, wider.refusal_rate) == (5, 2, 0.4)
    assert wider.days[0] == ("2025-03-01", 1)


def test_most_cited_documents_count_answers_not_citations(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    insights = bot_insights(log, feedback, "passport", days=7, today=TODAY)
    # the statute has four citations but in two answers; the manual is cited by three answers
    assert insights.top_documents == [(*MANUAL, 3), (*STATUTE, 2)]


def test_most_cited_documents_are_at_most_ten(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    for i in range(12):
        _trace(log, f"t{i}", "2025-03-10T09:00:00+00:00",
               citations=[_cite(("여권과", f"문서{j:02}.pdf"), j + 1) for j in range(i + 1)])
    top = bot_insights(log, [], "passport", days=1, today=TODAY).top_documents
    assert [file for _, file, _ in top] == [f"문서{j:02}.pdf" for j in range(10)]
    assert [n for _, _, n in top] == list(range(12, 2, -1))


def test_low_rated_answers_show_question_answer_and_masked_comment_newest_first(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    insights = bot_insights(log, feedback, "passport", days=7, today=TODAY)
    assert (insights.ratings_up, insights.ratings_down) == (1, 2)
    assert [(r.trace_id, r.question, r.answer) for r in insights.low_rated] == [
        (IDS["t4"], "질문 t4", "답변 t4"), (IDS["t2"], "질문 t2", "답변 t2")]
    assert insights.low_rated[0].created == "2025-03-10T23:59:00+00:00"
    assert insights.low_rated[1].comment == "틀렸어요 연락 010-****-5678"
    assert insights.low_rated[1].username == "kim"


def test_a_bot_without_questions_has_a_zero_refusal_rate(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    insights = bot_insights(log, feedback, "nobody", days=3, today=TODAY)
    assert insights.days == [("2025-03-08", 0), ("2025-03-09", 0), ("2025-03-10", 0)]
    assert (insights.questions, insights.refusal_rate, insights.top_documents, insights.low_rated) == (0, 0.0, [], [])


def test_a_corrupt_line_in_a_trace_file_is_skipped(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    _trace(log, "before", "2025-03-10T09:00:00+00:00")
    with (tmp_path / "traces" / "2025-03-10.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"id": "cut", "bot": "passport", "question": "잘린\n')  # a line cut by a crash
        out.write("[1, 2]\n")
    with (tmp_path / "traces" / "2025-03-10.jsonl").open("ab") as out:
        out.write(b"\xff\xfe garbage\n")
    _trace(log, "after", "2025-03-10T10:00:00+00:00")
    (tmp_path / "traces" / "notes.jsonl").write_text("not a trace file\n", encoding="utf-8")
    assert [row["question"] for row in log.iter_traces()] == ["질문 before", "질문 after"]
    assert bot_insights(log, [], "passport", days=1, today=TODAY).questions == 2


def test_traces_are_read_oldest_first_from_the_given_date(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    for trace_id, created in [("c", "2025-03-09T09:00:00+00:00"), ("a", "2025-03-01T09:00:00+00:00"),
                              ("b", "2025-03-05T09:00:00+00:00")]:
        _trace(log, trace_id, created)
    assert [row["question"] for row in log.iter_traces()] == ["질문 a", "질문 b", "질문 c"]
    assert [row["question"] for row in log.iter_traces(date(2025, 3, 5))] == ["질문 b", "질문 c"]


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_question_log_csv_has_a_korean_header_and_one_row_per_answer_oldest_first(tmp_path: Path) -> None:
    log, feedback = _week(tmp_path)
    _trace(log, "t5", "2025-03-07T09:00:00+00:00", history=["이전 질문 1", "이전 질문 2"], generator="openai",
           timings_ms={"retrieve": 10.2, "total": 1234.6})
    rows = _rows(question_log_csv(log, feedback, "passport"))
    assert rows[0] == CSV_HEADER == ["일시", "질문", "이전 질문 수", "답변", "거절", "인용", "평가", "의견", "생성기",
                                     "응답 시간(ms)"]
    body = rows[1:]
    assert [row[1] for row in body] == ["질문 old", "질문 t1", "질문 t2", "질문 t3", "질문 t5", "질문 t4"]
    by_question = {row[1]: row for row in body}
    assert by_question["질문 t1"][5] == "「여권 매뉴얼.hwpx」 — 여권 매뉴얼.hwpx 3쪽 | 「여권법.pdf」 — 여권법.pdf 3쪽"
    assert by_question["질문 t1"][6:8] == ["좋아요", "고마워요"]
    assert (by_question["질문 t1"][4], by_question["질문 t3"][4]) == ("아니오", "예")
    assert (by_question["질문 t2"][6], by_question["질문 t3"][6]) == ("싫어요", "")
    assert by_question["질문 t5"][2] == "2" and by_question["질문 t1"][2] == "0"
    assert (by_question["질문 t5"][8], by_question["질문 t5"][9], by_question["질문 t1"][9]) == ("openai", "1235", "")
    assert by_question["질문 t1"][0] == "2025-03-04T09:00:00+00:00"


def test_the_question_log_csv_never_shows_phone_or_resident_numbers(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    new = _trace(log, "new", "2025-03-10T09:00:00+00:00")
    # an older line written before traces were masked
    unmasked = {"id": "raw", "created": "2025-03-09T09:00:00+00:00", "bot": "passport",
                "question": "제 번호 010-1234-5678, 주민번호 900101-1234567 인데요", "answer": "010-1234-5678로 연락",
                "refused": False, "citations": [], "timings_ms": {}}
    (tmp_path / "traces" / "2025-03-09.jsonl").write_text(json.dumps(unmasked, ensure_ascii=False) + "\n",
                                                          encoding="utf-8")
    feedback = [_rating(new.id, -1, "제 주민번호 900101-1234567, 전화 010-1234-5678")]
    text = question_log_csv(log, feedback, "passport")
    for secret in ("010-1234-5678", "900101-1234567", "1234567"):
        assert secret not in text
    rows = _rows(text)
    assert rows[1][1] == "제 번호 010-****-5678, 주민번호 900101-1****** 인데요"
    assert rows[2][7] == "제 주민번호 900101-1******, 전화 010-****-5678"


def test_the_question_log_csv_guards_cells_against_formulas(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    _trace(log, "f1", "2025-03-10T09:00:00+00:00", question='=HYPERLINK("http://x","y")', answer="-5일 이내")
    f2 = _trace(log, "f2", "2025-03-10T10:00:00+00:00", question="+1 문의", answer="1. 신청서")
    _trace(log, "f3", "2025-03-10T11:00:00+00:00", question="\t=1+1", answer="\r=cmd|' /C calc'!A0")
    _trace(log, "f4", "2025-03-10T12:00:00+00:00", question="＝SUM(A1)", answer="＠이름")
    feedback = [_rating(f2.id, -1, "@SUM(A1:A9)")]
    rows = _rows(question_log_csv(log, feedback, "passport"))
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")' and rows[1][3] == "'-5일 이내"
    assert (rows[2][1], rows[2][3], rows[2][7]) == ("'+1 문의", "1. 신청서", "'@SUM(A1:A9)")
    # a TAB or CR before the formula (spreadsheets skip them), and the full-width signs Korean keyboards type
    assert (rows[3][1], rows[3][3]) == ("'\t=1+1", "'\r=cmd|' /C calc'!A0")
    assert (rows[4][1], rows[4][3]) == ("'＝SUM(A1)", "'＠이름")


def test_the_question_log_csv_can_be_limited_to_recent_days(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    now = datetime.now(UTC)
    _trace(log, "recent", now.isoformat(timespec="seconds"))
    _trace(log, "stale", (now - timedelta(days=40)).isoformat(timespec="seconds"))
    _trace(log, "other", now.isoformat(timespec="seconds"), bot="tax")
    assert [row[1] for row in _rows(question_log_csv(log, [], "passport", days=30))[1:]] == ["질문 recent"]
    assert [row[1] for row in _rows(question_log_csv(log, [], "passport"))[1:]] == ["질문 stale", "질문 recent"]


def test_every_written_trace_is_found_again_by_its_id_and_no_other_id_reads_anything(tmp_path: Path) -> None:
    """Masking applies to texts, not ids: an id with a phone-number-like digit run (its date and offset digits)
    must still be found (ratings use it). An id is a locator: a made-up or altered one finds nothing."""
    log = TraceLog(tmp_path / "traces")
    traces = [AnswerTrace(bot="b", question=f"010-1234-5678로 연락 주세요 {i}") for i in range(200)]
    for trace in traces:
        log.write(trace)
    for trace in traces:
        found = log.read(trace.id)
        assert found is not None and found["id"] == trace.id
        assert "010-1234-5678" not in found["question"] and "010-****-5678" in found["question"]
    first, second = traces[0].id, traces[1].id
    forged = second[:20] + first[20:]  # the second line's place with the first one's random part
    assert log.read(forged) is None
    assert log.read(first[:8] + "f" * 24) is None  # past the end of the file
    assert log.read("a0712341153bcdef0123456789abcdef") is None  # not a locator (an old uuid id)
    assert log.read("../../etc/passwd") is None


def test_the_lead_sees_which_cited_laws_answers_warned_of_most_often(tmp_path: Path) -> None:
    log = TraceLog(tmp_path / "traces")
    pending = "「시험법」 제4조: 2028. 1. 1. 시행 예정 — 현재 시행 중인 조문이 아닙니다"
    older = "「시험법」 제3조: 지금 시행 중인 판에는 없는 이전 판의 조문입니다"
    _trace(log, "a", "2025-03-09T09:00:00+00:00", warnings=[pending])
    _trace(log, "b", "2025-03-10T09:00:00+00:00", warnings=[pending, older])
    _trace(log, "c", "2025-03-10T10:00:00+00:00")
    _trace(log, "d", "2025-03-10T11:00:00+00:00", bot="tax", warnings=[older])  # another bot's
    _trace(log, "e", "2025-01-10T11:00:00+00:00", warnings=[older])  # before the window
    insights = bot_insights(log, [], "passport", days=7, today=TODAY)
    assert insights.law_warnings == [(pending, 2), (older, 1)]
    assert bot_insights(log, [], "passport", days=1, today=date(2025, 3, 8)).law_warnings == []
