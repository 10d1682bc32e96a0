"""The offline answerer: quotes the sentences of the sources that answer the question, each with its `[n]`.

No model and no download: sentences are scored by the question's content morphemes (and character pairs) they
share, weighted by how rare each is among the candidate sentences (so "민원" in every sentence counts little),
favouring better-ranked sources, short sentences that state the point, sentences whose subject or verb is the
question's, and the table row whose condition the question's case meets ("4시간 미만" for "3시간"). A question
asking how much, until when or to whom is answered first by a sentence stating an amount, a period or a recipient.
The best few are given source by source (the source of the first sentence first, that sentence first, then the
others in document order), each followed by its source's marker; the answerer renumbers the markers 1, 2, 3 in
the order they appear.

Sentences are read as the documents are written (bots.generators.reading): a table row with its column names, a
sentence announcing a list ("다음의 경우에는 …") with its items, a proviso ("다만, …", "이 경우 …") only with the
sentence it qualifies, no rule line ("-----"); and no line is said twice.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bots.generators.base import NO_ANSWER, GenerationRequest
from bots.generators.reading import ANNOUNCES_LIST, SENTENCE_END, is_item, items_after, lead_of, read_lines
from bots.query import analyse
from connectors.korean import KoreanTokenizer
from connectors.lru import LRU

# Question words and light verbs that every question has and no sentence answers.
_QUESTION_WORDS = frozenset((
    "무엇", "어떻다", "어떠하다", "어디", "언제", "얼마", "얼마나", "몇", "누구", "왜", "어느", "여부", "경우", "관련",
    "대하다", "알다", "궁금하다", "하다", "되다", "있다", "없다", "이다", "가능하다", "필요하다", "수", "것", "등",
    "때", "좀", "문의", "질문", "내용", "방법", "무슨",
))
_HEADING_ONLY = re.compile(r"^제\d+조(?:의\d+)?\s*\([^)]*\)$")
# A question asking "how many / how much / when / how long" is answered by a sentence with a quantity in it; one
# asking for money by an amount, one asking for a deadline or a period by a period, a date or a time limit.
# A noun such as 기간 or 한도 asks for one only as what the question is about ("처리 기간은?"), not as the object of
# another verb ("처리 기간을 연장할 수 있나요?" asks whether, and is answered by the rule that allows it); "까지"
# asks for a period except after an amount or a count ("얼마까지", "몇 명까지": how much, how many).
_NOT_OBJECT = r"(?!\s?[을를])"
_ASKS_QUANTITY = re.compile(rf"몇|얼마|며칠|언제|(?:기한|기간|시간|금액|한도|비율|상한|하한){_NOT_OBJECT}|이내|까지")
_ASKS_AMOUNT = re.compile(rf"얼마(?!\s?(?:나|동안|만에|간))|(?:금액|비용|요금|수수료|액수){_NOT_OBJECT}|몇\s?원")
_ASKS_PERIOD = re.compile(rf"언제|며칠|몇\s?(?:일|개월|달|년|주|시)|(?:기한|기간){_NOT_OBJECT}|"
                          r"얼마\s?(?:동안|만에|간)|이내|(?<!얼마)(?<![명개원번회장대매]\s)(?<![명개원번회장대매])까지")
_QUANTITY = re.compile(r"\d[\d,.]*\s*(?:근무일|근무시간|일|시간|시|분|원|만원|천원|억원|"
                       r"개월|달|년|주|명|회|퍼센트|%|배|층|㎡|m)|"
                       r"(?<![가-힣])[한두세네]\s?(?:달|시간|차례|번)|(?:천|만|억)분의")
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:원|만\s?원|천\s?원|억\s?원)|[천만억]원")
_PERIOD = re.compile(r"\d[\d,.]*\s*(?:근무일|근무시간|일|시간|개월|달|년|주)|(?<![가-힣])[한두세네]\s?(?:달|시간)|"
                     r"\d{1,2}\s?시|\d{1,2}\s?월\s?\d{1,2}\s?일|\d{4}\s?[.년]\s?\d{1,2}\s?[.월]|"
                     r"(?:날|일|때|전|말)\s?까지|지체\s?없이|즉시|(?:오전|오후)\s?\d|[월화수목금토일]요일|매(?:일|주|월|년)|"
                     r"다음\s?(?:날|달|주|해)|익(?:일|월|년)|당일")
# One asking where or to whom ("어디에 할 수 있나요", "누구에게 해야") by a sentence naming a recipient.
_ASKS_RECIPIENT = re.compile(r"어디[에로서]|누구[에한]|어느\s?(?:기관|곳|부서)")
# The recipient of the act: "…자에게 공익신고를 할 수 있다", "위원회에 하여야 한다"; not "…에게 통지하여야" nor
# "…음에도 불구하고 공익신고를": the act is the word right after the recipient.
_ACT = r"(?:[가-힣]*(?:신고|신청|제출|요청|문의|보고|접수)|하여야|해야|할\s?수)"
_RECIPIENT = re.compile(rf"[가-힣)](?:에게|에)\s+{_ACT}")
# A statute's sentence states its subject first, marked 은/는 ("② 보호조치는 … 1년 이내에 신청하여야 한다"): the
# sentence whose subject is what the question asks about, or its act, is about the question.
_TOPIC = re.compile(r"([가-힣]{2,})(?<!에)(?<!에서)(?<![으로])(?:은|는)\s")  # not "목요일에는", "처리로는"
# The question's own predicate after its question word ("어디에 할 수 있나요" -> "할 수 있"): a sentence saying it of
# the question's subject ("… 자에게 공익신고를 할 수 있다") is the one that answers, in the question's words.
_QUESTION_WORD = re.compile(r"(?:어디|누구|언제|얼마|며칠|몇|무엇|어떻게|어떤|어느)\S*\s+")
_ENDING = re.compile(r"(?:나요|까요|습니까|니까|가요|요)?\s*[?？.]*$")
_ACT_WORD = re.compile(r"(?<![가-힣])([가-힣]{2,}?)(?:하여야|해야|하려면|하나요|합니까|할|하면|한)(?![가-힣])")
# A question stating its case ("3시간 다녀오면") is answered by the row or sentence whose condition that case meets
# ("4시간 미만 | 10,000원"): as telling as a phrase of the question.
_GIVEN = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(시간|일|개월|년|주|분|세|명|회|km|원|만원)")
_LIMIT = re.compile(_GIVEN.pattern + r"\s*(이상|이하|미만|초과|이내|까지|넘는)")
# Two words of the question that stand together in a sentence ("보완 기간") say more than the same words apart.
_PARTICLE = re.compile(r"(?:은|는|이|가|을|를|의|에|에서|으로|로|과|와|도|만|에게|께서|이나|나)$")
_PHRASE_BONUS = 1.3
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
    main: int = 0
    row: bool = False
    subject: str = ""
    answers: int = 0  # 1: states what the question asks for (an amount, a period, a recipient); 2: and says it
    # in the question's words
    long_list: bool = False  # its list goes on past the items quoted with it (a definitions article)
    under: bool = False  # an item quoted under the sentence announcing its list: matched on the item alone

    @property
    def scored(self) -> str:
        """The text the sentence is matched on: its heading when a table row, the sentence without its provisos
        (they qualify the answer, they do not make it one), its list's items. Not the items of a list longer than
        what is quoted: "용어의 뜻은 다음과 같다" with the first six of twelve definitions matched a question on
        the twelfth, and quoted six that say nothing of it (the twelfth is a line of its own, quoted by itself)."""
        if self.under:
            return " ".join(self.items)
        items = () if self.long_list else self.items
        return " ".join(part for part in (self.subject, self.text[: self.main], *items) if part)

    @property
    def own(self) -> str:
        """What the sentence itself says: the item quoted under its list's sentence, else the sentence."""
        return self.items[0] if self.under else self.text[: self.main]


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
            marker = f" [{sentence.source}]"
            # Each sentence ends with its marker, the proviso too: the citation quotes the sentence stating the rule.
            provisos = sentence.text[sentence.main:]
            said = sentence.text[: sentence.main] + marker + (provisos + marker if provisos else "")
            yield ("\n" if i else "") + said + items

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
        sentences = _candidates(request)
        if not sentences:
            return []
        self._score(sentences, wanted, request.question, _named_sources(request))
        # The sentence that states what is asked (the amount, the deadline, the body to report to) comes first:
        # a question asking "언제까지" is not answered by a sentence stating no time, however many words it shares.
        ranked = sorted((s for s in sentences if s.score > 0), key=lambda s: (-s.answers, -s.score))
        if ranked and ranked[0].answers and ranked[0].row:
            # A table row is a record of its own: once a row states what is asked ("지급액: 10,000원"), a row
            # stating none of it is about something else the question's words touch (the 결재권자 of 관외 출장),
            # not a condition of the answer, as a sentence of prose can be. (When prose answers, a row on the same
            # subject can still say what to do: "보유기간이 지난 파일 | … | 파기 후 파기 관리대장 기록".)
            ranked = [s for s in ranked if s.answers or not s.row]
        return _pick(ranked, self.max_sentences, self.per_source, self.floor)

    def _score(self, sentences: list[_Sentence], wanted: set[str], question: str,
               named: dict[int, str] | None = None) -> None:
        """Each sentence's score: the rarity-weighted question terms it shares, for its length and source rank.

        `named`: sources that are an article the question names with its law ("소방시설법 제37조"), by number, with
        the article: every sentence of it holds that term, as its heading does, so the article asked about is
        quoted even when the rest of the question is in other words ("미인증 알람밸브를 Mock Up Test할 경우").
        """
        named = named or {}
        # Morpheme analysis is the costly part (a long case story brings five long articles): only the sentences
        # sharing most character pairs with the question are analysed (and those of a named article).
        wanted_pairs = {t for t in wanted if t.startswith("\u0001")}
        for sentence in sentences:
            sentence.terms = _pairs(sentence.scored)
        if len(sentences) > _ANALYSED:
            sentences = sorted(sentences, key=lambda s: (s.source not in named, -len(wanted_pairs & s.terms)))
            sentences = sentences[:_ANALYSED]
        for sentence, terms in zip(sentences, self._analyse([s.scored for s in sentences]), strict=True):
            sentence.terms = terms | sentence.terms | ({named[sentence.source]} if sentence.source in named else set())
        spread = {t: sum(t in s.terms for s in sentences) for t in wanted}
        # Pairs count half: they back up the morphemes, they do not outvote them.
        weights = {t: math.log(1 + len(sentences) / n) ** 2 * (0.5 if t.startswith("\u0001") else 1.0)
                   for t, n in spread.items() if n}
        asked = _asked(question)
        given = _GIVEN.findall(question)
        phrases = _phrases(question)
        topics = _topics(question)
        # The question's act used as a verb ("운영하나요" -> "… 연장하여 운영하며"), not only as a noun ("운영일").
        acts = [re.compile(re.escape(act) + r"(?:하|할|한|해|되|된|될)") for act in _ACT_WORD.findall(question)
                if not act.startswith(_QUESTION_STEMS)]
        predicate = _predicate(question)
        average = sum(s.main for s in sentences) / len(sentences)
        for sentence in sentences:
            shared = sum(w for t, w in weights.items() if t in sentence.terms)
            said = (sentence.own, sentence.text[: sentence.main], *sentence.items)
            if asked and any(asked.search(text) for text in said):
                sentence.answers = 2 if predicate and predicate.search(said[0]) else 1
            meets = _meets(given, said[0]) if given else None
            if meets is False and sentence.row:
                continue  # a table row for another case than the one asked ("4시간 이상" for 3시간)
            if meets:
                shared *= _PHRASE_BONUS
            shared *= _PHRASE_BONUS ** sum(1 for phrase in phrases if phrase.search(said[0]))
            if topics and _topic_of(said[0]) and any(t in _topic_of(said[0]) for t in topics):
                shared *= _PHRASE_BONUS
            if any(act.search(said[0]) for act in acts):
                shared *= _PHRASE_BONUS
            # Better-ranked sources first; as in BM25, a long sentence shares more words by its length alone, so
            # a short one that states the point ("보완 기간은 10일 이내로 정한다.") is not outvoted by it.
            length = 0.5 + 0.5 * len(sentence.own) / average
            sentence.score = shared / (1 + 0.15 * (sentence.source - 1)) / length


def _named_sources(request: GenerationRequest) -> dict[int, str]:
    """The sources that are an article the question names beside its law's title or short name: number -> article."""
    titles = {source.chunk.title for source in request.sources if source.chunk.kind == "statute" and source.chunk.title}
    if not titles:
        return {}
    analysis = analyse(request.question, titles)
    laws = set(analysis.laws or analysis.short_names)
    return {source.n: source.chunk.article for source in request.sources
            if source.chunk.article in analysis.articles and source.chunk.title in laws}


def _candidates(request: GenerationRequest) -> list[_Sentence]:
    """The quotable lines of every source: not headings, captions or rules."""
    sentences: list[_Sentence] = []
    for source in request.sources:
        # The section headings and the document's own title ("무인민원발급기 운영 안내(2025년 하반기)", which ends like
        # a sentence) name what follows; they answer nothing.
        headings = {part.strip() for part in source.chunk.heading.split(">")} | {source.chunk.title.strip()}
        lines = read_lines(source.text, source.chunk.heading.split(">")[-1].strip())
        texts = [line.text for line in lines]
        quoted: dict[int, tuple[str, ...]] = {}  # the items quoted with each sentence announcing a list
        for position, line in enumerate(lines):
            text = line.text
            if line.header or len(text) < _MIN_CHARS or _HEADING_ONLY.match(text) or text in headings:
                continue
            if not line.row and is_item(text) and not SENTENCE_END.search(text):
                # An item that is no sentence ("3. 그 밖에 … 법률상담을 받은 경우", "1. … 공개한 자") means
                # nothing without the sentence announcing its list (who pays, what penalty): an item quoted with
                # that sentence is left to it; one further down a long list is quoted under it (matched on its
                # own words, so that a long list asked about as a whole keeps its first items), and the citation
                # quotes the sentence.
                lead = lead_of(texts, position)
                if lead is not None:
                    if lead not in quoted:
                        quoted[lead] = items_after(texts, lead)[0]
                    if text not in quoted[lead]:
                        head = lines[lead]
                        sentences.append(_Sentence(source.n, lead, head.text, frozenset(), items=(text,),
                                                   main=head.main, subject=head.subject, under=True))
                    continue
            if not line.row and len(text) < 40 and not SENTENCE_END.search(text):
                continue
            items, cut = items_after(texts, position) if ANNOUNCES_LIST.search(text) else ((), False)
            sentences.append(_Sentence(source.n, position, text, frozenset(), items=items, main=line.main,
                                       row=line.row, subject=line.subject, long_list=cut))
    return sentences


def _pick(ranked: list[_Sentence], most: int, per_source: int, floor_share: float) -> list[_Sentence]:
    """The first sentences above the floor, no source more than `per_source` times, no line said twice.

    Given source by source, the best source first; in a source, the best sentence first, so that it is the one
    the citation quotes (and whose paragraph it names), then the others in document order.
    """
    if not ranked:
        return []
    # Sentences stating what is asked are measured against the best of them, the others against the best of all.
    floor = {kind: max((s.score for s in ranked if s.answers or not kind), default=0.0) * floor_share
             for kind in (True, False)}
    chosen: list[_Sentence] = []
    said: list[str] = []  # what the chosen lines say, spaces and punctuation aside
    counts: dict[int, int] = {}
    for sentence in ranked:
        if len(chosen) == most:
            break
        if sentence.score < floor[bool(sentence.answers)] or counts.get(sentence.source, 0) == per_source:
            continue
        # The same sentence in two sources (a paragraph shown with its neighbours, a manual quoting the law) or
        # inside a list already given is said once.
        says = [_said(text) for text in (sentence.text, *sentence.items)]
        if any(a in b or b in a for a in says for b in said):
            continue
        counts[sentence.source] = counts.get(sentence.source, 0) + 1
        chosen.append(sentence)
        said += says
    first: dict[int, tuple[int, _Sentence]] = {}  # each source's first sentence in the ranking
    for rank, sentence in enumerate(chosen):
        first.setdefault(sentence.source, (rank, sentence))
    return sorted(chosen, key=lambda s: (first[s.source][0], s is not first[s.source][1], s.position))


def _said(text: str) -> str:
    """What a line says, for telling repeats: without spaces and punctuation."""
    return re.sub(r"[\s.,·ㆍ]+", "", text)


def _asked(question: str) -> re.Pattern[str] | None:
    """What a sentence answering the question states: an amount, a period or date, a recipient, any quantity."""
    kinds = [pattern for asks, pattern in ((_ASKS_AMOUNT, _AMOUNT), (_ASKS_PERIOD, _PERIOD),
                                          (_ASKS_RECIPIENT, _RECIPIENT)) if asks.search(question)]
    if not kinds and _ASKS_QUANTITY.search(question):
        kinds = [_QUANTITY]
    return re.compile("|".join(f"(?:{k.pattern})" for k in kinds)) if kinds else None


def _meets(given: list[tuple[str, str]], text: str) -> bool | None:
    """Whether the text's conditions ("4시간 미만") hold for a quantity the question states ("3시간"); None when the
    text states no condition on it."""
    verdict: bool | None = None
    for number, unit, bound in _LIMIT.findall(text):
        limit = float(number.replace(",", ""))
        for value, asked_unit in given:
            if asked_unit != unit:
                continue
            case = float(value.replace(",", ""))
            holds = {"이상": case >= limit, "초과": case > limit, "넘는": case > limit, "미만": case < limit}
            if holds.get(bound, case <= limit):  # 이하, 이내, 까지
                return True
            verdict = False
    return verdict


_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
_QUESTION_STEMS = ("며칠", "얼마", "어떻", "무엇", "언제", "어디", "누가", "몇")


def _content_words(text: str) -> str:
    """The Hangul words of a question without its question words and endings ("며칠인가요" adds little)."""
    return " ".join(w for w in _HANGUL_WORD.findall(text) if not w.startswith(_QUESTION_STEMS))


def _pairs(text: str) -> frozenset[str]:
    """Hangul character pairs inside words, marked so they never collide with morpheme terms."""
    return frozenset("\u0001" + w[i:i + 2] for w in _HANGUL_WORD.findall(text) for i in range(len(w) - 1))


def _topics(question: str) -> set[str]:
    """What the question is about: its subject marked 은/는 ("보상금은") and its act ("신청해야" -> 신청)."""
    found = {match.group(1) for match in (_TOPIC.search(question + " "),) if match}
    found |= {word for word in _ACT_WORD.findall(question) if not word.startswith(_QUESTION_STEMS)}
    return {word for word in found if len(word) >= 2}


def _predicate(question: str) -> re.Pattern[str] | None:
    """The question's subject followed by its predicate ("공익신고는 어디에 할 수 있나요" -> 공익신고… 할 수 있)."""
    topic = _TOPIC.search(question + " ")
    parts = _QUESTION_WORD.split(question)
    words = _ENDING.sub("", parts[-1]).split() if len(parts) > 1 else []
    if topic is None or not words:
        return None
    body = r"\s?".join(re.escape(word) for word in words).replace("해야", "(?:해야|하여야)")
    return re.compile(re.escape(topic.group(1)) + r"[가-힣]{0,2}\s+" + body)


def _topic_of(sentence: str) -> str:
    """The subject of a sentence: its first word marked 은/는, within the sentence's first words."""
    match = _TOPIC.search(" ".join(sentence.split()[:6]) + " ")
    return match.group(1) if match else ""


def _phrases(question: str) -> list[re.Pattern[str]]:
    """Adjacent content words of the question (particles stripped), as patterns allowing a space or none."""
    stems = [_PARTICLE.sub("", word) for word in _HANGUL_WORD.findall(question)]
    stems = [stem for stem in stems if len(stem) >= 2 and not stem.startswith(_QUESTION_STEMS)]
    return [re.compile(re.escape(a) + r"\s?" + re.escape(b)) for a, b in itertools.pairwise(stems)][:4]
