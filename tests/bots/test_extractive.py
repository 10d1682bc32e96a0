"""The extractive answerer reads sources as statutes and manuals are written, and its answers read in order."""

from __future__ import annotations

import re

from bots.answer import BotProfile, Delta, Done
from bots.citations import FirstCited, Resolved, citation_of, number_sources
from connectors.chunk import Chunk
from ui.wiring import Services, build_answerer


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
