"""Evaluation: questions with gold sources in, hit@k / MRR / citation accuracy / refusal / latency out.

The question file is the format of the shared evaluation set: one JSON object per line with `id`, `question`,
`dataset`, `gold` (a list of `{file, article, paragraph, page}`, `file` relative to the corpus root) and
`answerable`. A retrieved or cited unit is correct when its file is a gold's file and, for a gold article, its
article is that article; for a page gold (no article), its pages hold that page.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from bots.answer import Answer, Answerer

CUTOFFS = (1, 5, 10)
HALVES = ("A", "B")  # A: where constants are chosen; B: where they are checked (never tuned on)


def half(question_id: str) -> str:
    """The fixed half of the questions an id falls in, by a hash of the id.

    Constants, thresholds, word lists and weights are chosen on half A and kept only if they help half B too.
    The hash is salted: the shared set was itself split into DEV and HIDDEN by `sha256(id) % 10`, so the unsalted
    hash's parity is not balanced within DEV (its ids all have remainders 0, 1 or 2).
    """
    digest = hashlib.sha256(f"deptbot-half:{question_id}".encode()).digest()
    return HALVES[digest[0] % 2]


class EvaluationFileError(ConnectorError):
    """A question file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Gold:
    """One gold source of a question."""

    file: str
    article: str = ""
    paragraph: str = ""
    page: int = 0


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One evaluation question."""

    id: str
    question: str
    dataset: str
    gold: tuple[Gold, ...]
    answerable: bool


@dataclass(slots=True)
class Unit:
    """A retrieved or cited unit, as scored: a file (relative to the corpus root), its article or pages."""

    file: str
    article: str = ""
    paragraph: str = ""
    page_start: int = 0
    page_end: int = 0
    score: float = 0.0
    cited_page: int = 0  # a citation's own page (the page of its quote)

    def matches(self, gold: Gold) -> bool:
        """Same file, and the gold's article (or, for a page gold, a page range holding its page)."""
        if self.file != gold.file:
            return False
        if gold.article:
            return self.article == gold.article
        if gold.page:
            return self.page_start <= gold.page <= max(self.page_end, self.page_start)
        return True


@dataclass(slots=True)
class QuestionResult:
    """What the bot did with one question."""

    question: EvalQuestion
    retrieved: list[Unit]
    cited: list[Unit] = field(default_factory=list)
    refused: bool = False
    seconds: float = 0.0
    answer: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first_hit(self) -> int:
        """Rank (1-based) of the first retrieved unit matching a gold; 0 when none does."""
        for rank, unit in enumerate(self.retrieved, 1):
            if any(unit.matches(gold) for gold in self.question.gold):
                return rank
        return 0

    @property
    def cites_gold(self) -> bool:
        """Whether the answer cites a gold unit."""
        return any(unit.matches(gold) for unit in self.cited for gold in self.question.gold)

    @property
    def cites_gold_page(self) -> bool:
        """Whether the answer cites a gold unit at the right page: for a page gold (a manual page), the cited page
        is that page; for an article gold with a page, the cited page is one of the article's pages (from its
        heading's page to the last page of the unit retrieved); a gold without a page needs the unit only."""
        for unit in self.cited:
            for gold in self.question.gold:
                if not unit.matches(gold):
                    continue
                if not gold.page or unit.cited_page == gold.page:
                    return True
                if gold.article and gold.page <= unit.cited_page <= max(unit.page_end, gold.page):
                    return True
        return False


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file; a malformed line is a clear error naming the line."""
    questions: list[EvalQuestion] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationFileError(str(path), f"질문 파일을 읽을 수 없습니다 ({exc})",
                                  "UTF-8 JSONL 파일 경로를 확인해 주세요") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold = tuple(Gold(str(g["file"]), str(g.get("article") or ""), str(g.get("paragraph") or ""),
                              int(g.get("page") or 0)) for g in row.get("gold") or [])
            questions.append(EvalQuestion(str(row["id"]), str(row["question"]), str(row.get("dataset") or "-"),
                                          gold, bool(row.get("answerable", bool(gold)))))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvaluationFileError(f"{path}:{number}", f"질문 줄을 해석할 수 없습니다 ({exc})",
                                      "각 줄이 id, question, gold, answerable을 가진 JSON인지 확인해 주세요") from exc
    return questions


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[position]


def _retrieval_metrics(results: Sequence[QuestionResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.question.answerable]
    metrics: dict[str, Any] = {"questions": len(results), "answerable": len(answerable)}
    if answerable:
        for cutoff in CUTOFFS:
            metrics[f"hit@{cutoff}"] = sum(0 < r.first_hit <= cutoff for r in answerable) / len(answerable)
        metrics["mrr"] = sum(1 / r.first_hit for r in answerable if r.first_hit) / len(answerable)
        metrics["citation_accuracy"] = sum(r.cites_gold for r in answerable) / len(answerable)
        metrics["citation_page_accuracy"] = sum(r.cites_gold_page for r in answerable) / len(answerable)
        metrics["false_refusals"] = sum(r.refused for r in answerable) / len(answerable)
    seconds = [r.seconds for r in results]
    metrics["latency_p50_ms"] = round(_percentile(seconds, 0.5) * 1000, 1)
    metrics["latency_p95_ms"] = round(_percentile(seconds, 0.95) * 1000, 1)
    return metrics


def refusal_metrics(results: Iterable[QuestionResult]) -> dict[str, float]:
    """Precision and recall of refusing, the unanswerable questions being the ones to refuse."""
    results = list(results)
    refused = [r for r in results if r.refused]
    unanswerable = [r for r in results if not r.question.answerable]
    right = sum(not r.question.answerable for r in refused)
    return {
        "refused": len(refused),
        "unanswerable": len(unanswerable),
        "precision": right / len(refused) if refused else (1.0 if not unanswerable else 0.0),
        "recall": right / len(unanswerable) if unanswerable else 1.0,
    }


def report(results: Sequence[QuestionResult], *, halves: bool = True) -> dict[str, Any]:
    """Metrics per dataset and overall, and the same for each fixed half of the questions (see `half`)."""
    datasets: dict[str, list[QuestionResult]] = {}
    for result in results:
        datasets.setdefault(result.question.dataset, []).append(result)
    metrics: dict[str, Any] = {
        "datasets": {name: _retrieval_metrics(group) for name, group in sorted(datasets.items())},
        "overall": _retrieval_metrics(results),
        "refusal": refusal_metrics(results),
    }
    if halves:
        metrics["halves"] = {name: report([r for r in results if half(r.question.id) == name], halves=False)
                             for name in HALVES}
    return metrics


def ask_all(answerer: Answerer, questions: Sequence[EvalQuestion],
            progress: Callable[[int, int], None] | None = None) -> list[QuestionResult]:
    """Ask every question (without conversation history) and keep what was retrieved, cited and refused."""
    results: list[QuestionResult] = []
    for done, question in enumerate(questions, 1):
        start = time.perf_counter()
        answer = answerer.ask(question.question)
        results.append(result_of(question, answer, time.perf_counter() - start))
        if progress is not None:
            progress(done, len(questions))
    return results


def result_of(question: EvalQuestion, answer: Answer, seconds: float) -> QuestionResult:
    """Score units of an answer: files as `department/file`, relative to the corpus root."""
    retrieved = [Unit(f"{r['department']}/{r['file']}", r["article"], r["paragraph"], r["page"] or 0,
                      r["page_end"] or 0, r["score"]) for r in answer.trace.retrieved]
    cited = [Unit(f"{c.department}/{c.file}", c.article, c.paragraph, _page_start(answer, c.source) or c.page or 0,
                  _page_end(answer, c.source), cited_page=c.page or 0) for c in answer.citations]
    return QuestionResult(question, retrieved, cited, answer.refused, seconds, answer.text,
                          [c.to_dict() for c in answer.citations])


def _record(answer: Answer, source: int) -> dict[str, Any]:
    return answer.trace.retrieved[source - 1] if 0 < source <= len(answer.trace.retrieved) else {}


def _page_start(answer: Answer, source: int) -> int:
    return int(_record(answer, source).get("page") or 0)


def _page_end(answer: Answer, source: int) -> int:
    return int(_record(answer, source).get("page_end") or 0)


def output_line(result: QuestionResult) -> dict[str, Any]:
    """One line of `deptbot eval --output`."""
    return {
        "id": result.question.id,
        "half": half(result.question.id),
        "retrieved": [{"file": u.file, "article": u.article or None, "paragraph": u.paragraph or None,
                       "page": u.page_start or None, "page_end": u.page_end or u.page_start or None,
                       "score": u.score} for u in result.retrieved],
        "answer": result.answer,
        "citations": [{**c, "file": f"{c['department']}/{c['file']}"} for c in result.citations],
        "refused": result.refused,
    }
