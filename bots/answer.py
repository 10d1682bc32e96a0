"""Answering: retrieve over the bot's departments, refuse on weak evidence, generate, check citations, trace.

`Answerer.stream` yields events as the answer is made (text pieces, a notice when the generator fell back, a
reset when text already shown is replaced) and ends with the finished `Answer`; `Answerer.ask` returns only that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bots.citations import Citation, FirstCited, MarkerFilter, Source, number_sources, resolve
from bots.generators.base import NO_ANSWER, GenerationRequest, Generator, GeneratorError, Turn
from bots.query import is_follow_up, points_back
from bots.retrieval import Hit, HybridRetriever, Retrieval
from bots.trace import AnswerTrace, TraceLog
from bots.versions import version_warnings
from connectors.chunk import Chunk

log = logging.getLogger(__name__)

DEFAULT_REFUSAL = "제공된 문서에서는 이 질문에 대한 답을 찾지 못했습니다. 정확한 내용은 {contact}에 문의해 주세요."
FALLBACK_NOTICE = "언어 모델 서버가 응답하지 않아, 문서에서 찾은 문장으로 대신 답합니다."
CAUTION_NOTICE = "문서에서 정확히 일치하는 조항을 찾지 못해 가장 가까운 조항을 보여 드립니다. 출처를 확인해 주세요."
_SOURCE_CHARS = 3000  # most text of one source shown to the generator


@dataclass(slots=True)
class BotProfile:
    """What answering needs to know of a bot."""

    departments: list[str]
    documents: list[str] = field(default_factory=list)  # "부서/파일" the knowledge is narrowed to (empty: all)
    name: str = ""
    slug: str = ""
    instructions: str = ""
    refusal_text: str = ""  # "" -> DEFAULT_REFUSAL; "{contact}" is replaced
    contact: str = ""  # who to ask instead, e.g. "민원여권과(02-120)"; default: the departments' names

    @property
    def refusal(self) -> str:
        """The refusal sentence, with the contact filled in."""
        contact = self.contact or ", ".join(self.departments) or "담당 부서"
        return (self.refusal_text or DEFAULT_REFUSAL).replace("{contact}", contact)


@dataclass(slots=True)
class Answer:
    """A finished answer: text with `[n]` markers, the sources it cites, whether it refused, its trace."""

    text: str
    citations: list[Citation]
    refused: bool
    trace: AnswerTrace
    notice: str = ""
    cautious: bool = False  # answered on thin evidence: the reader is told to check the sources
    # What the reader must know of the versions of the laws cited: an article not yet in force, another version
    # set aside (bots.versions). Shown above the answer like a notice.
    warnings: list[str] = field(default_factory=list)

    def turn(self, question: str) -> Turn:
        """This exchange as a turn of the conversation, with the laws and articles it cited."""
        return Turn(question, self.text, tuple((c.title, c.article) for c in self.citations))

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the command line and the API."""
        return {"answer": self.text, "citations": [c.to_dict() for c in self.citations], "refused": self.refused,
                "notice": self.notice, "cautious": self.cautious, "warnings": self.warnings,
                "trace_id": self.trace.id}


@dataclass(frozen=True, slots=True)
class Delta:
    """More answer text."""

    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader should know about this answer (the generator fell back)."""

    text: str


@dataclass(frozen=True, slots=True)
class Reset:
    """Text shown so far is replaced by what follows."""


@dataclass(frozen=True, slots=True)
class Done:
    """The finished answer."""

    answer: Answer


Event = Delta | Notice | Reset | Done


@dataclass
class Answerer:
    """Answers questions for one bot."""

    retriever: HybridRetriever
    generator: Generator
    fallback: Generator  # the extractive generator: used when `generator` fails
    profile: BotProfile
    k: int = 5  # sources given to the generator
    retrieve_k: int = 0  # units retrieved and traced (0: k); the evaluation asks for more than it shows
    min_evidence: float = 0.0  # refuse below this support (Retrieval.evidence)
    min_evidence_unknown: float = 0.0  # ... or below this one when the question has words no document has
    # ... unless one of the best units holds at least this share of the question (Retrieval.coverage): then it is
    # answered with a caution. Support adds up over the question's words, so a short question ("공익신고는 어디에
    # 할 수 있나요?", three terms) has little of it even when a unit holds every word of it.
    min_coverage: float = 2.0
    traces: TraceLog | None = None
    _timings: dict[str, float] = field(default_factory=dict)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """The finished answer."""
        for event in self.stream(question, history):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")  # pragma: no cover - stream always ends Done

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        """Events of the answer as it is made; the last is Done."""
        start = time.perf_counter()
        trace = AnswerTrace(bot=self.profile.slug, departments=list(self.profile.departments), question=question,
                            history=[turn.question for turn in history])
        retrieval = self._search(question, history, trace)
        trace.timings_ms["retrieve"] = _ms(start)
        trace.search_text = retrieval.search_text
        trace.named = {"articles": retrieval.analysis.articles, "paragraphs": retrieval.analysis.paragraphs,
                       "laws": retrieval.analysis.laws}
        trace.retrieved = [_hit_record(hit) for hit in retrieval.hits]
        trace.evidence = round(retrieval.evidence, 4)
        trace.unknown_terms = retrieval.unknown
        hits = retrieval.hits[: self.k]
        thin = self._thin(retrieval)
        trace.coverage = round(retrieval.coverage, 4)
        if not hits or (thin and retrieval.coverage < self.min_coverage and not _names_found(retrieval)):
            yield from self._refuse(trace, "evidence", start)
            return
        notice = ""
        if thin:
            trace.cautious = True
            notice = CAUTION_NOTICE
            yield Notice(notice)
        sources = number_sources([(hit.chunk, source_text(hit), hit.score, hit.context or [hit.chunk])
                                  for hit in hits])
        request = GenerationRequest(question=question, sources=sources, history=list(history),
                                    instructions=self.profile.instructions, bot_name=self.profile.name)
        shown = ""  # text passed on so far, held back or not
        displayed = False  # whether any of it reached the reader
        generator = self.generator
        while True:
            trace.generator = generator.name
            markers = MarkerFilter([s.n for s in sources])
            numbering = FirstCited()  # the reader sees [1], [2], ... in the order the text cites its sources
            try:
                for piece in generator.stream(request):
                    trace.timings_ms.setdefault("first_token", _ms(start))
                    text = numbering.feed(markers.feed(piece))
                    shown, ready = _hold_sentinel(shown, text)
                    if ready:
                        displayed = True
                        yield Delta(ready)
                tail = numbering.feed(markers.flush())
                shown, ready = _hold_sentinel(shown, tail, final=True)
                if ready:
                    displayed = True
                    yield Delta(ready)
                break
            except GeneratorError as exc:
                if generator is self.fallback:
                    raise
                log.warning("generator failed, falling back to extractive: %s", exc)
                trace.fallback = str(exc)[:500]
                notice = " ".join(filter(None, (notice, FALLBACK_NOTICE)))
                if displayed:
                    yield Reset()
                shown, displayed = "", False
                yield Notice(FALLBACK_NOTICE)
                generator = self.fallback
        trace.prompt = request.prompt
        trace.dropped_markers = markers.dropped
        trace.timings_ms["generate"] = _ms(start) - trace.timings_ms["retrieve"]
        if NO_ANSWER in markers.text:
            if displayed:
                yield Reset()
            yield from self._refuse(trace, "generator", start, notice)
            return
        resolved = numbering.renumbered(resolve(markers.text, sources))
        warnings = version_warnings(resolved.citations, self.retriever.versions(), self.retriever.today())
        for warning in warnings:
            yield Notice(warning)
        trace.warnings = warnings
        answer = Answer(resolved.text, resolved.citations, False, trace, notice, cautious=trace.cautious,
                        warnings=warnings)
        self._finish(trace, answer, start)
        yield Done(answer)

    def _search(self, question: str, history: Sequence[Turn], trace: AnswerTrace) -> Retrieval:
        """Search for a question in its conversation.

        A question that points back ("그 신청은 언제까지 …") is searched with the turn before it. A short one that
        does not may continue the topic ("보관기간은요?") or start another ("여권 재발급은?"): when the documents
        the previous answer cited hold its words it continues their topic; when they do not, or the previous
        answer cited nothing (refused, or a client sent no citations), it is searched alone unless the previous
        turn's context makes it answerable where alone it is not. A new topic does not inherit the last law.
        """
        k = max(self.k, self.retrieve_k)
        cited = history[-1].cited if history else ()
        if not history or not is_follow_up(question) or points_back(question):
            return self.retriever.search(question, k, trace.history, cited)
        titles = [title for title, _ in cited]
        if titles and self.retriever.holds(question, titles):
            return self.retriever.search(question, k, trace.history, cited)
        alone = self.retriever.search(question, k)
        if titles or self._level(alone) == 2:
            return alone
        joined = self.retriever.search(question, k, trace.history, cited)
        return joined if self._level(joined) > self._level(alone) else alone

    def _level(self, retrieval: Retrieval) -> int:
        """2: enough evidence; 1: thin, but a unit holds most of the question (answered with caution); 0: refused."""
        if not retrieval.hits:
            return 0
        if not self._thin(retrieval):
            return 2
        return 1 if retrieval.coverage >= self.min_coverage or _names_found(retrieval) else 0

    def _thin(self, retrieval: Retrieval) -> bool:
        """Whether the best units hold too little of the question's rare vocabulary to answer without caution.

        Not when the best unit is the article the question's own words title and it holds all of them
        (`Retrieval.exact`): the caution says no matching article was found, which would be false there. A bot's
        own starter on a whistleblower act (`공익신고는 어디에 할 수 있나요?`, three common words, answered from
        제6조(공익신고)) was answered under that caution.
        """
        if retrieval.exact:
            return False
        return retrieval.evidence < self.min_evidence or (
            bool(retrieval.unknown) and retrieval.evidence < self.min_evidence_unknown)

    def _refuse(self, trace: AnswerTrace, reason: str, start: float, notice: str = "") -> Iterator[Event]:
        trace.refused = True
        trace.refusal_reason = reason
        text = self.profile.refusal
        yield Delta(text)
        answer = Answer(text, [], True, trace, notice)
        self._finish(trace, answer, start)
        yield Done(answer)

    def _finish(self, trace: AnswerTrace, answer: Answer, start: float) -> None:
        trace.answer = answer.text
        trace.citations = [c.to_dict() for c in answer.citations]
        trace.timings_ms["total"] = _ms(start)
        if self.traces is not None:
            try:
                self.traces.write(trace)
            except OSError as exc:  # an answer is not lost because its trace could not be written
                log.error("trace not written: %s", exc)


def source_text(hit: Hit) -> str:
    """What the generator reads of a hit: the hit chunk and the neighbouring parts of its article, in order.

    Neighbours are added nearest first, alternately after and before the hit, while the text stays within
    _SOURCE_CHARS; a split article repeats its heading line on every part, which is shown once.
    """
    chunks = hit.context or [hit.chunk]
    at = next((i for i, chunk in enumerate(chunks) if chunk.id == hit.chunk.id), 0)
    texts = [_without_heading(chunk) if i else chunk.text for i, chunk in enumerate(chunks)]
    chosen = {at}
    size = len(texts[at])
    for step in range(1, len(chunks)):
        for i in (at + step, at - step):
            if 0 <= i < len(chunks) and size + len(texts[i]) <= _SOURCE_CHARS:
                chosen.add(i)
                size += len(texts[i])
    ordered = sorted(chosen)
    parts = [texts[i] if i != ordered[0] else chunks[i].text for i in ordered]
    return "\n".join(parts)[: max(_SOURCE_CHARS, len(texts[at]))]


def _without_heading(chunk: Chunk) -> str:
    """A split article's part without its repeated heading line ("제16조(여권 민원실의 운영)")."""
    first, _, rest = chunk.text.partition("\n")
    return rest if chunk.article and rest and first.startswith(chunk.article) else chunk.text


def _hold_sentinel(shown: str, text: str, final: bool = False) -> tuple[str, str]:
    """Hold back the start of an answer until it cannot be the NO_ANSWER sentinel; returns (shown, to show)."""
    total = shown + text
    if shown.strip() and not NO_ANSWER.startswith(shown.strip()):
        return total, text
    if not final and NO_ANSWER.startswith(total.strip()):
        return total, ""  # still possibly the sentinel (or nothing yet)
    if NO_ANSWER in total:
        return total, ""
    return total, total


def _hit_record(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    return {"id": chunk.id, "department": chunk.department, "file": chunk.file, "title": chunk.title,
            "article": chunk.article, "paragraph": chunk.paragraph, "page": chunk.page_start,
            "page_end": chunk.page_end, "heading": chunk.heading, "score": round(hit.score, 6),
            "dense_rank": hit.dense_rank, "keyword_rank": hit.keyword_rank, "named": hit.named,
            "coverage": round(hit.coverage, 4)}


def _names_found(retrieval: Retrieval) -> bool:
    """Whether the question names a law (by its title or short name) and an article of it that the bot holds: what
    the documents say there is shown (with a caution when the rest of the question is thin), never refused."""
    analysis = retrieval.analysis
    return bool(analysis.laws or analysis.short_names) and any(
        hit.named and hit.chunk.article in analysis.articles for hit in retrieval.hits)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


__all__ = [
    "DEFAULT_REFUSAL",
    "Answer",
    "Answerer",
    "BotProfile",
    "Delta",
    "Done",
    "Event",
    "Notice",
    "Reset",
    "Source",
    "Turn",
    "source_text",
]
