"""What department leads see of their bot: questions per day, refusals, most cited documents, poorly rated answers,
and the question log as a CSV file for Excel.

Everything is read from the answer traces (`TraceLog`) and the users' ratings (`Feedback`); personal data is masked
again on the way out, since comments and older trace lines may not have been.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bots.trace import TraceLog
from builder.privacy import mask
from builder.registry import Feedback

TOP_DOCUMENTS = 10
LOW_RATED = 50
CSV_HEADER = ["일시", "질문", "이전 질문 수", "답변", "거절", "인용", "평가", "의견", "생성기", "응답 시간(ms)"]
# What a spreadsheet may read as the start of a formula (OWASP "CSV injection": = + - @, TAB and CR), and their
# full-width forms, which Korean input methods type.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@dataclass(slots=True)
class LowRated:
    """An answer rated 싫어요, with what was asked and what the user said."""

    created: str  # when the question was asked (the trace's ISO time)
    question: str
    answer: str
    comment: str
    username: str
    trace_id: str


@dataclass(slots=True)
class Insights:
    """One bot's use over a window of days."""

    slug: str
    days: list[tuple[str, int]] = field(default_factory=list)  # ("YYYY-MM-DD", questions), every day, oldest first
    questions: int = 0
    refused: int = 0
    refusal_rate: float = 0.0
    fallbacks: int = 0  # answers where the configured generator was replaced by the extractive one
    top_documents: list[tuple[str, str, int]] = field(default_factory=list)  # (department, file, answers citing it)
    ratings_up: int = 0
    ratings_down: int = 0
    low_rated: list[LowRated] = field(default_factory=list)
    # What answers said of the versions of the laws they cited (an article not yet in force, a version set aside),
    # each with how many answers said it, most frequent first: the laws a lead should look at.
    law_warnings: list[tuple[str, int]] = field(default_factory=list)


def bot_insights(traces: TraceLog, feedback: Sequence[Feedback], slug: str, *, days: int = 30,
                 today: date | None = None) -> Insights:
    """The insights of bot `slug` over the last `days` days, today included (UTC today by default).

    Ratings are those of the answers in the window.
    """
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=max(days, 1) - 1)
    rows = [row for row in _bot_traces(traces, slug, start) if _day(row) <= today.isoformat()]
    per_day = Counter(_day(row) for row in rows)
    cited: Counter[tuple[str, str]] = Counter()
    for row in rows:
        cited.update({(_text(c.get("department")), _text(c.get("file"))) for c in _citations(row)})
    warned: Counter[str] = Counter()
    for row in rows:
        found = row.get("warnings")
        warned.update({_text(w) for w in found} if isinstance(found, list) else set())
    ratings = _ratings(feedback, slug)
    rated = [(ratings[_text(row.get("id"))], row) for row in rows if _text(row.get("id")) in ratings]
    down = sorted(((f, row) for f, row in rated if f.rating < 0), key=lambda pair: _text(pair[1].get("created")),
                  reverse=True)
    questions = len(rows)
    refused = sum(1 for row in rows if row.get("refused"))
    return Insights(
        slug=slug,
        days=[(d.isoformat(), per_day[d.isoformat()]) for d in (start + timedelta(n) for n in range(max(days, 1)))],
        questions=questions,
        refused=refused,
        refusal_rate=refused / questions if questions else 0.0,
        fallbacks=sum(1 for row in rows if row.get("fallback")),
        top_documents=[(dept, file, n) for (dept, file), n in
                       sorted(cited.items(), key=lambda item: (-item[1], item[0]))[:TOP_DOCUMENTS]],
        ratings_up=sum(1 for f, _ in rated if f.rating > 0),
        ratings_down=len(down),
        low_rated=[LowRated(created=_text(row.get("created")), question=mask(_text(row.get("question"))),
                            answer=mask(_text(row.get("answer"))), comment=mask(f.comment), username=f.username,
                            trace_id=f.trace_id)
                   for f, row in down[:LOW_RATED]],
        law_warnings=sorted(warned.items(), key=lambda item: (-item[1], item[0]))[:TOP_DOCUMENTS],
    )


def question_log_csv(traces: TraceLog, feedback: Sequence[Feedback], slug: str, *, days: int | None = None) -> str:
    """The question log of bot `slug` as CSV text for Excel (UTF-8 BOM, Korean header), oldest first.

    Every text cell is masked and guarded against formula injection; `days` limits it to the last days (UTC).
    """
    start = datetime.now(UTC).date() - timedelta(days=max(days, 1) - 1) if days is not None else None
    ratings = _ratings(feedback, slug)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in _bot_traces(traces, slug, start):
        rating = ratings.get(_text(row.get("id")))
        timings = row.get("timings_ms")
        total = timings.get("total") if isinstance(timings, dict) else None
        history = row.get("history")
        writer.writerow([
            _cell(row.get("created")),
            _cell(row.get("question")),
            len(history) if isinstance(history, list) else 0,
            _cell(row.get("answer")),
            "예" if row.get("refused") else "아니오",
            _cell(" | ".join(_text(c.get("label")) for c in _citations(row))),
            "" if rating is None else ("좋아요" if rating.rating > 0 else "싫어요"),
            _cell(rating.comment if rating else ""),
            _cell(row.get("generator")),
            round(total) if isinstance(total, int | float) else "",
        ])
    return out.getvalue()


def _bot_traces(traces: TraceLog, slug: str, start: date | None) -> Iterable[dict[str, Any]]:
    """The bot's traces from `start` on (all when None), oldest first."""
    first = start.isoformat() if start else ""
    return (row for row in traces.iter_traces(start) if row.get("bot") == slug and _day(row) >= first)


def _ratings(feedback: Sequence[Feedback], slug: str) -> dict[str, Feedback]:
    """The newest rating of each answer of the bot, by trace id."""
    newest: dict[str, Feedback] = {}
    for f in feedback:
        if f.bot_slug == slug and (f.trace_id not in newest or f.created_at > newest[f.trace_id].created_at):
            newest[f.trace_id] = f
    return newest


def _citations(row: dict[str, Any]) -> list[dict[str, Any]]:
    citations = row.get("citations")
    return [c for c in citations if isinstance(c, dict)] if isinstance(citations, list) else []


def _day(row: dict[str, Any]) -> str:
    return _text(row.get("created"))[:10]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell(value: Any) -> str:
    """A masked text cell that a spreadsheet will not run as a formula."""
    text = mask(_text(value))
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
