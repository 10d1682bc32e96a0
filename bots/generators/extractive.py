"""The offline answerer: quotes the sentences of the sources that answer the question, each with its `[n]`.

No model and no download: sentences are scored by the question's content morphemes (and character pairs) they
share, weighted by how rare each is among the candidate sentences (so "민원" in every sentence counts little),
favouring better-ranked sources, short sentences that state the point, and, for a question asking how much or
how long, sentences with a quantity. The best few are given source by source (the best source first, its best
sentence first, then the others in document order), each followed by its source's marker; a table row is read
with its column names, and a sentence announcing a list ("다음의 경우에는 …") brings its items.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bots.citations import split_sentences
from bots.generators.base import NO_ANSWER, GenerationRequest
from connectors.korean import KoreanTokenizer
from connectors.lru import LRU

# Question words and light verbs that every question has and no sentence answers.
_QUESTION_WORDS = frozenset((
    "무엇", "어떻다", "어떠하다", "어디", "언제", "얼마", "얼마나", "몇", "누구", "왜", "어느", "여부", "경우", "관련",
    "대하다", "알다", "궁금하다", "하다", "되다", "있다", "없다", "이다", "가능하다", "필요하다", "수", "것", "등",
    "때", "좀", "문의", "질문", "내용", "방법", "무슨",
))
_HEADING_ONLY = re.compile(r"^제\d+조(?:의\d+)?\s*\([^)]*\)$")
# A short line without a sentence ending is a heading or caption ("Ⅱ. 여권 민원 처리기한"), not an answer.
_SENTENCE_END = re.compile(r"(다|요|음|함|됨|임|것|[.?!)])\s*$")
_TABLE_CELL = " | "
# A question asking "how many / how much / when / how long" is answered by a sentence with a quantity in it.
_ASKS_QUANTITY = re.compile(r"몇|얼마|며칠|언제|기한|기간|시간|금액|한도|"
                            r"비율|상한|하한|이내|까지")
_QUANTITY = re.compile(r"\d[\d,.]*\s*(?:근무일|근무시간|일|시간|시|분|원|만원|천원|억원|"
                       r"개월|달|년|주|명|회|퍼센트|%|배|층|㎡|m)|"
                       r"[한두세네]\s?(?:달|시간|차례|번)|(?:천|만|억)분의")
_QUANTITY_BONUS = 1.5
# Two words of the question that stand together in a sentence ("보완 기간") say more than the same words apart.
_PARTICLE = re.compile(r"(?:은|는|이|가|을|를|의|에|에서|으로|로|과|와|도|만|에게|께서|이나|나)$")
_PHRASE_BONUS = 1.3
# "다음의 경우에는 …할 수 없다." announces a list; its items follow as lines of their own.
_ANNOUNCES_LIST = re.compile(r"다음(?:의|과 같| 각)")
_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[가-하][.)]|[○◦·•\-–]|\(\d{1,2}\))\s*")
_LIST_ITEMS = 6
_MIN_CHARS = 12
_ANALYSED = 40  # sentences analysed into morphemes, at most
_CACHE: LRU[str, frozenset[str]] = LRU(20_000)  # analysed sentences (a few tens of MB)


@dataclass(slots=True)
class _Sentence:
    source: int  # source number
    position: int
    text: str
    terms: frozenset[str]
    score: float = 0.0
    items: tuple[str, ...] = ()  # the list the sentence announces, when it announces one


class ExtractiveGenerator:
    """Picks the answering sentences of the sources; the offline default."""

    name = "extractive"

    def _analyse(self, texts: list[str]) -> list[frozenset[str]]:
        """Morpheme terms of the candidate sentences, from the cache when a sentence was analysed before.

        Analysis is three quarters of an extractive answer's time (bench/load.py), and the same documents'
        sentences come back question after question; the cache is bounded and shared by every bot of the process.
        """
        known = _CACHE.get_many(texts)
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            analysed = {text: frozenset(terms) for text, terms in
                        zip(missing, self.tokenizer.tokenize_many(missing), strict=True)}
            _CACHE.put_many(analysed)
            known |= analysed
        return [known[text] for text in texts]

    def __init__(self, tokenizer: KoreanTokenizer, *, max_sentences: int = 4, per_source: int = 2,
                 floor: float = 0.3) -> None:
        self.tokenizer = tokenizer
        self.max_sentences = max_sentences
        self.per_source = per_source
        self.floor = floor  # a sentence scoring below this share of the best one is left out

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The chosen sentences, one line each, or NO_ANSWER when no sentence shares a content word."""
        chosen = self.choose(request)
        if not chosen:
            yield NO_ANSWER
            return
        for i, sentence in enumerate(chosen):
            items = "".join(f"\n  {item}" for item in sentence.items)
            yield ("\n" if i else "") + f"{sentence.text} [{sentence.source}]{items}"

    def choose(self, request: GenerationRequest) -> list[_Sentence]:
        """The answering sentences, grouped by source: the best source first, its best sentence first."""
        question = request.question
        if request.history:
            question = f"{request.history[-1].question} {question}"
        wanted = {t for t in self.tokenizer.tokenize(question) if t not in _QUESTION_WORDS}
        if not wanted:
            return []
        # Character pairs of the question's content words too: kiwi reads "재발급" as the prefix 재 + 발급, and the
        # pair "재발" is what tells the 재발급 row of a table from the 신규 발급 row.
        wanted |= _pairs(" ".join(t for t in wanted if len(t) > 1) + " " + _content_words(question))
        sentences: list[_Sentence] = []
        for source in request.sources:
            headings = {part.strip() for part in source.chunk.heading.split(">")}
            lines = _readable(split_sentences(source.text))
            for position, text in enumerate(lines):
                if len(text) < _MIN_CHARS or _HEADING_ONLY.match(text) or text in headings:
                    continue
                if _TABLE_CELL not in text and len(text) < 40 and not _SENTENCE_END.search(text):
                    continue
                items = _items_after(lines, position) if _ANNOUNCES_LIST.search(text) else ()
                sentences.append(_Sentence(source.n, position, text, frozenset(), items=items))
        if not sentences:
            return []
        # Morpheme analysis is the costly part (a long case story brings five long articles): only the sentences
        # sharing most character pairs with the question are analysed.
        wanted_pairs = {t for t in wanted if t.startswith("\u0001")}
        for sentence in sentences:
            sentence.terms = _pairs(" ".join((sentence.text, *sentence.items)))
        if len(sentences) > _ANALYSED:
            sentences = sorted(sentences, key=lambda s: -len(wanted_pairs & s.terms))[:_ANALYSED]
        texts = (" ".join((s.text, *s.items)) for s in sentences)  # a list's items answer for its sentence
        for sentence, terms in zip(sentences, self._analyse(list(texts)), strict=True):
            sentence.terms = terms | sentence.terms
        spread = {t: sum(t in s.terms for s in sentences) for t in wanted}
        # Pairs count half: they back up the morphemes, they do not outvote them.
        weights = {t: math.log(1 + len(sentences) / n) ** 2 * (0.5 if t.startswith("\u0001") else 1.0)
                   for t, n in spread.items() if n}
        asks_quantity = bool(_ASKS_QUANTITY.search(request.question))
        phrases = _phrases(request.question)
        average = sum(len(s.text) for s in sentences) / len(sentences)
        for sentence in sentences:
            shared = sum(w for t, w in weights.items() if t in sentence.terms)
            if asks_quantity and any(_QUANTITY.search(text) for text in (sentence.text, *sentence.items)):
                shared *= _QUANTITY_BONUS
            shared *= _PHRASE_BONUS ** sum(1 for phrase in phrases if phrase.search(sentence.text))
            # Better-ranked sources first; as in BM25, a long sentence shares more words by its length alone, so
            # a short one that states the point ("보완 기간은 10일 이내로 정한다.") is not outvoted by it.
            length = 0.5 + 0.5 * len(sentence.text) / average
            sentence.score = shared / (1 + 0.15 * (sentence.source - 1)) / length
        ranked = sorted((s for s in sentences if s.score > 0), key=lambda s: -s.score)
        if not ranked:
            return []
        floor = ranked[0].score * self.floor
        chosen: list[_Sentence] = []
        per_source: dict[int, int] = {}
        for sentence in ranked:
            if sentence.score < floor or len(chosen) == self.max_sentences:
                break
            if per_source.get(sentence.source, 0) == self.per_source:
                continue
            per_source[sentence.source] = per_source.get(sentence.source, 0) + 1
            chosen.append(sentence)
        # Source by source, the best source first; in a source, the best sentence first, so that it is the one
        # the citation quotes (and whose paragraph it names), then the others in document order.
        best: dict[int, _Sentence] = {}
        for sentence in chosen:
            if sentence.source not in best or sentence.score > best[sentence.source].score:
                best[sentence.source] = sentence
        return sorted(chosen, key=lambda s: (-best[s.source].score, s.source, s is not best[s.source], s.position))


def _readable(sentences: list[str]) -> list[str]:
    """Table rows ("a | b | c") read with their column names: "구분: a, 처리기한: b, 비고: c".

    Parsers write a table as one line per row with " | " between cells, the first row being the header.
    """
    out: list[str] = []
    header: list[str] | None = None
    for sentence in sentences:
        if _TABLE_CELL not in sentence:
            header = None
            out.append(sentence)
            continue
        cells = [cell.strip() for cell in sentence.split("|")]
        if header is None:
            header = cells
            out.append(sentence)  # the header row itself, kept so positions stay in order (rarely chosen)
            continue
        if len(cells) == len(header):
            out.append(", ".join(f"{name}: {value}" for name, value in zip(header, cells, strict=True)
                                 if value and value != "-"))
        else:
            out.append(sentence)
    return out


_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
_QUESTION_STEMS = ("며칠", "얼마", "어떻", "무엇", "언제", "어디", "누가", "몇")


def _content_words(text: str) -> str:
    """The Hangul words of a question without its question words and endings ("며칠인가요" adds little)."""
    return " ".join(w for w in _HANGUL_WORD.findall(text) if not w.startswith(_QUESTION_STEMS))


def _pairs(text: str) -> frozenset[str]:
    """Hangul character pairs inside words, marked so they never collide with morpheme terms."""
    return frozenset("\u0001" + w[i:i + 2] for w in _HANGUL_WORD.findall(text) for i in range(len(w) - 1))


def _items_after(lines: list[str], position: int) -> tuple[str, ...]:
    """The item lines that follow a sentence announcing a list (the next sentence may come first)."""
    items: list[str] = []
    for line in lines[position + 1: position + 2 + 2 * _LIST_ITEMS]:
        if _ITEM.match(line):
            items.append(line)
        elif items and line.startswith(("다만", "단,")):
            items[-1] += " " + line  # the proviso of the item before
        elif items:
            break
    return tuple(items[:_LIST_ITEMS])


def _phrases(question: str) -> list[re.Pattern[str]]:
    """Adjacent content words of the question (particles stripped), as patterns allowing a space or none."""
    stems = [_PARTICLE.sub("", word) for word in _HANGUL_WORD.findall(question)]
    stems = [stem for stem in stems if len(stem) >= 2 and not stem.startswith(_QUESTION_STEMS)]
    return [re.compile(re.escape(a) + r"\s?" + re.escape(b)) for a, b in itertools.pairwise(stems)][:4]
