"""Retrieval over a bot's knowledge: dense (Chroma) and keyword (BM25 on Korean morphemes), fused, statute-aware.

Steps, for one question over one or several departments:
1. the question is read for the articles and laws it names (full titles, or short names beside an article), a
   follow-up is joined to the turn before, and its search terms are its distinct tokens less question words
   (`bots.query`);
2. both methods rank chunks across all departments (one global ranking each, so a department's best chunk is not
   a "rank 1" when it is poor), and the rankings are fused by weighted reciprocal rank;
3. chunks are grouped into units, the way a person cites them: one per statute article (its paragraphs together),
   one per manual section chunk; a unit scores as its best chunk;
4. units the question names (that law's 제N조) come first, then units of a law it names, then the rest;
5. each unit carries the other paragraphs of its article as context for the answer.

llama-index's QueryFusionRetriever fuses per-retriever lists the same way but knows nothing of article units,
named-article lookup or several Chroma collections ranked together, so the fusion is done here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from bots.query import QueryAnalysis, contextualise, own_subject, search_terms, squash, tells_a_case
from bots.term_weights import rescale, shared_idf, term_weights
from bots.versions import InForce, versions_in_force
from connectors.chunk import Chunk
from connectors.index.keyword import CatalogRow, KeywordIndex
from connectors.index.store import DepartmentIndex
from connectors.korean import KoreanTokenizer

_RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 scores 1/61
_CONTEXT_CHUNKS = 8  # other chunks (paragraphs) of a hit article fetched as context; the answerer trims by length


@dataclass(slots=True)
class Hit:
    """A retrieved unit: its best chunk, fused score, ranks in each list (0: absent) and context chunks."""

    chunk: Chunk
    score: float
    dense_rank: int = 0
    keyword_rank: int = 0
    named: bool = False  # the question named this article (or the law of it)
    context: list[Chunk] = field(default_factory=list)  # the unit's chunks in document order, the hit among them
    coverage: float = 0.0  # share of the question's term weight found in the unit
    support: float = 0.0  # the question's term weight found in the unit, in rarest-term units (see evidence)
    titled: bool = False  # an article whose title's words are all in the question ("제17조(보호조치의 신청)")

    @property
    def department(self) -> str:
        """The department the chunk belongs to."""
        return self.chunk.department


@dataclass(slots=True)
class _Candidate:
    department: int
    row: int
    score: float = 0.0
    dense_rank: int = 0
    keyword_rank: int = 0
    named: int = 0  # 2: named article, 1: of a named law


@dataclass(slots=True)
class Retrieval:
    """The units found for a question, what the question named, and the search text used."""

    hits: list[Hit]
    analysis: QueryAnalysis
    search_text: str
    tokens: list[str]
    unknown: list[str] = field(default_factory=list)  # question terms that no document of the bot has

    @property
    def evidence(self) -> float:
        """How much of the question the best units hold: refusal is decided on it (see _hits)."""
        return max((hit.support for hit in self.hits[:3]), default=0.0)

    @property
    def coverage(self) -> float:
        """The largest share of the question's term weight one of the best units holds (see _hits)."""
        return max((hit.coverage for hit in self.hits[:3]), default=0.0)

    @property
    def exact(self) -> bool:
        """Whether the best unit is an article titled by the question's own words that holds every word of it
        ("보호조치는 언제까지 신청해야 하나요?" and 제17조(보호조치의 신청)): the article the question asks about,
        however little rare vocabulary a short question brings."""
        return bool(self.hits) and self.hits[0].titled and self.hits[0].coverage >= 1.0 - 1e-9


class HybridRetriever:
    """Asks every department index both ways, ranks each method across departments, fuses and groups by unit."""

    def __init__(self, *, indexes: Sequence[DepartmentIndex], tokenizer: KoreanTokenizer, depth: int = 60,
                 dense_weight: float = 1.0, keyword_weight: float = 1.0, citation_weight: float = 0.1,
                 freshness: float = 1.0, reference: Sequence[DepartmentIndex] = (),
                 documents: Sequence[str] = (), title_weight: float = 0.1, case_factor: float = 0.5,
                 today: Callable[[], date] = date.today) -> None:
        self.indexes = list(indexes)
        # When a bot holds two versions of one law (the one in force and an amendment not yet in force, both
        # from the law portal), a question is answered from the version in force on this day.
        self.today = today
        # A bot narrowed to chosen documents ("부서/파일"): only their chunks are searched. Empty: all of them.
        self.documents: dict[str, set[str]] = {}
        for document in documents:
            department, _, file = document.partition("/")
            self.documents.setdefault(department, set()).add(file)
        self._masks: dict[tuple[int, str], np.ndarray] = {}
        # The laws held in several versions, for the indexes and the day they were worked out for: search and the
        # answer's warnings both ask for them on every question.
        self._versions: tuple[list[KeywordIndex], date, dict[str, InForce]] | None = None
        # Departments not searched whose vocabulary still counts for how rare a question word is (see _hits): a
        # bot on one department judges its evidence on the scale of all the city's documents, not of its own few
        # files, where its topic's words are everywhere ("여권" in every chunk of 민원여권과) and weigh nothing.
        self.reference = [index for index in reference if index.department not in
                          {own.department for own in self.indexes}]
        self.tokenizer = tokenizer
        self.depth = depth
        self.dense_weight = dense_weight
        self.keyword_weight = keyword_weight
        # Statutes point at their central articles ("제24조에 따른 소방안전관리자"): an article its law cites often
        # is what a plain question on the topic is usually about. On DEV (BM25 alone) this prior moved hit@5 of
        # fire-safety questions 0.43 -> 0.57 and precedent 0.41 -> 0.49, koblex 0.74 -> 0.69, manuals unchanged.
        self.citation_weight = citation_weight
        # An article is titled by what it rules on ("제26조(보상금)", "제8조의2(비실명 대리신고)"): when the
        # question holds every word of an article's title, that article is likely what it asks about, more than
        # one that only repeats the words (the definitions of 제2조, or an article referring to it). The factor
        # was chosen on half A of DEV among 0.1, 0.25, 0.5 and 1 (hit@5 0.614 -> 0.627, larger factors no better)
        # and checked on half B (0.662 -> 0.675).
        self.title_weight = title_weight
        # A case story with parties ("갑은 을에게 건물을 임대하고 …") asks what the law says of it; its narrative
        # words (사업, 업체, 계약, 정보) also fill requests for proposals and contract templates, which then took the
        # places of the statutes. Other documents' keyword scores are multiplied by this factor for such a question.
        # On DEV every factor tried (0.25, 0.5, 0.75) gave the same ranking on half A (hit@5 0.627 -> 0.639) and
        # on half B (0.675 -> 0.688, cites gold at its page 0.610 -> 0.623): a statute now outranks a document that
        # only shares the story's words. 0.5 keeps a document that matches far better (a question on a contract
        # template written with 갑 and 을) where it was.
        self.case_factor = case_factor
        # Seconds a department's keyword index is used without checking Chroma for a newer version stamp (a
        # re-index by another process is seen within this time; each check costs a Chroma request).
        self.freshness = freshness

    def warm(self) -> None:
        """Load every department's keyword index and build its lookups (done once, before the first question)."""
        for index in self.reference:
            index.keyword_index(max_age=self.freshness)
        for index in self.indexes:
            keywords = index.keyword_index(max_age=self.freshness)
            keywords.warm(self.citation_weight)
            # Chroma opens a collection's storage on its first read (up to ~0.7 s for a large one): do it now.
            index.get_chunks(keywords.ids[:1])

    def retrieve(self, question: str, k: int = 5, history: Sequence[str] = ()) -> list[Hit]:
        """The k best units for a question."""
        return self.search(question, k, history).hits

    def search(self, question: str, k: int = 5, history: Sequence[str] = (),
               cited: Sequence[tuple[str, str]] = ()) -> Retrieval:
        """The k best units for a question (in the context of earlier questions and the laws and articles the
        previous answer cited), with the analysis."""
        keywords = [index.keyword_index(max_age=self.freshness) for index in self.indexes]
        titles = {title for ki in keywords for title in ki.titles}
        subject = own_subject(question, history[-1]) if history and cited else ""
        fresh = bool(subject) and not self._source_holds(keywords, cited[0], subject)
        search_text, analysis = contextualise(question, history, titles, cited, fresh)
        if not self.indexes:
            return Retrieval([], analysis, search_text, [])
        tokens = search_terms(self.tokenizer.tokenize(search_text))
        said = self.tokenizer.predicates(search_text)  # from the same analysis (the tokenizer keeps the last one)
        tokens = _resplit(tokens, keywords)
        candidates: dict[tuple[int, int], _Candidate] = {}
        self._fuse(search_text, tokens, keywords, candidates)
        self._add_named(analysis, tokens, keywords, candidates)
        units = self._in_force(self._units(candidates, keywords), keywords)
        ranked = sorted(units, key=lambda unit: (-unit[0].named, -unit[0].score))[:k]
        scale = keywords + [index.keyword_index(max_age=self.freshness) for index in self.reference]
        hits = self._hits(ranked, keywords, tokens, scale, search_text)
        unknown = [t for t in tokens if len(t) >= 2 and not t.isdigit()
                   and not any(ki.document_frequency(t) for ki in keywords)]
        # What a question asks about is named by its nouns; a verb no document uses is only its phrasing
        # ("관내 출장을 3시간 다녀오면": the manual says 출장, never 다녀오다).
        unknown = [t for t in unknown if t not in said]
        return Retrieval(hits, analysis, search_text, tokens, unknown)

    def holds(self, question: str, titles: Sequence[str]) -> bool:
        """Whether the documents with these titles (laws or manuals) hold every search term of the question, each
        in some chunk: then a short question asked after an answer from them continues its topic."""
        wanted = {squash(title) for title in titles if title}
        terms = search_terms(self.tokenizer.tokenize(question))
        if not wanted or not terms:
            return bool(wanted)
        keywords = [index.keyword_index(max_age=self.freshness) for index in self.indexes]
        return not _unheld(terms, keywords, lambda ki: ki.title_rows(wanted))

    def _source_holds(self, keywords: list[KeywordIndex], source: tuple[str, str], words: str) -> bool:
        """Whether a cited source (a law's article, or a document when the article is "") holds every search
        term of some words: a follow-up's subject it holds is an aspect of the answer's topic ("보관기간" after
        an article on CCTV footage), one it does not hold is a subject of its own ("보상금" after 보호조치)."""
        title, article = source
        terms = search_terms(self.tokenizer.tokenize(words))

        def rows(ki: KeywordIndex) -> list[int]:
            found = ki.title_rows({squash(title)})
            return [i for i in found if ki.rows[i].article == article] if article else found

        return bool(terms) and not _unheld(terms, keywords, rows)

    # --- the two rankings -------------------------------------------------------------------------------
    def _fuse(self, text: str, tokens: list[str], keywords: list[KeywordIndex],
              candidates: dict[tuple[int, int], _Candidate]) -> None:
        vector = self.indexes[0].embedder.embed_query(text) if self.dense_weight > 0 else []
        dense: list[tuple[float, int, int]] = []
        keyword: list[tuple[float, int, int]] = []
        shared = shared_idf(tokens, keywords)
        case = self.case_factor != 1.0 and tells_a_case(text)
        for d, (index, ki) in enumerate(zip(self.indexes, keywords, strict=True)):
            mask = self._mask(d, ki)
            if self.dense_weight > 0:
                for chunk_id, similarity in self._dense(index, vector, ki.size):
                    if chunk_id in ki.position and (mask is None or mask[ki.position[chunk_id]]):
                        dense.append((similarity, d, ki.position[chunk_id]))
            scores = ki.term_scores(tokens, rescale(shared, ki))
            mask = self._mask(d, ki)
            if scores is not None:
                if mask is not None:
                    scores = scores * mask
                if self.citation_weight:
                    scores = scores * ki.citation_prior(self.citation_weight)
                if case:
                    scores = scores * ki.statutes_first(self.case_factor)
                if self.title_weight:
                    self._title_boost(ki, scores, tokens, text)
                top = _top(scores, self.depth)
                keyword += [(float(scores[i]), d, int(i)) for i in top if scores[i] > 0]
        for ranked, weight, is_dense in ((dense, self.dense_weight, True), (keyword, self.keyword_weight, False)):
            ranked.sort(key=lambda item: -item[0])
            for rank, (_, d, row) in enumerate(ranked[: self.depth], 1):
                entry = candidates.setdefault((d, row), _Candidate(d, row))
                entry.score += weight / (_RRF_K + rank)
                if is_dense:
                    entry.dense_rank = rank
                else:
                    entry.keyword_rank = rank

    def _title_boost(self, ki: KeywordIndex, scores: np.ndarray, tokens: list[str], text: str) -> None:
        """Raise (in place) the best-scoring articles whose title's words are all in the question."""
        question, squashed = set(tokens), squash(text)
        for i in _top(scores, self.depth * 2):
            if scores[i] > 0 and self._titled(ki, int(i), question, squashed):
                scores[i] *= 1.0 + self.title_weight

    def _titled(self, ki: KeywordIndex, i: int, question: set[str], squashed: str) -> bool:
        """Whether row i is of an article whose title's words are all in the question (`squashed`: the question
        without spaces; Kiwi reads "이행강제금은" as one word and the title "이행강제금" as three, 이행 + 강제금 and
        the compound, so the title written in the question counts too)."""
        title = ki.rows[i].article_title
        if not title:
            return False
        terms = ki.title_terms.get(i)
        if terms is None:
            terms = frozenset(search_terms(self.tokenizer.tokenize(title)))
            ki.title_terms[i] = terms
        return bool(terms) and (terms <= question or squash(title) in squashed)

    def versions(self, keywords: list[KeywordIndex] | None = None) -> dict[str, InForce]:
        """The laws this bot holds in several versions, each with the version in force today."""
        if keywords is None:
            keywords = [index.keyword_index(max_age=self.freshness) for index in self.indexes]
        today, cached = self.today(), self._versions
        if (cached is None or cached[1] != today or len(cached[0]) != len(keywords)
                or any(a is not b for a, b in zip(cached[0], keywords, strict=True))):
            cached = self._versions = (list(keywords), today, versions_in_force(keywords, self._files_of, today))
        return cached[2]

    def _files_of(self, d: int) -> set[str] | None:
        """The files of department d this bot may use (None: all of them)."""
        return self.documents.get(self.indexes[d].department, set()) if self.documents else None

    def _mask(self, d: int, ki: KeywordIndex) -> np.ndarray | None:
        """1 for the rows of the chosen documents of department d, 0 for the others (None: no narrowing)."""
        if not self.documents:
            return None
        chosen = self.documents.get(self.indexes[d].department)
        key = (d, ki.stamp)
        if key not in self._masks:
            self._masks = {k: v for k, v in self._masks.items() if k[0] != d}
            self._masks[key] = np.array([1.0 if chosen and row.file in chosen else 0.0 for row in ki.rows])
        return self._masks[key]

    def _dense(self, index: DepartmentIndex, vector: list[float], count: int) -> list[tuple[str, float]]:
        if not count:
            return []
        chosen = self.documents.get(index.department) if self.documents else None
        if self.documents and not chosen:
            return []
        where = {"file": {"$in": sorted(chosen)}} if chosen else None
        found = index.chunks.query(query_embeddings=[vector], n_results=min(self.depth, count), include=["distances"],
                                   where=where)
        return [(cid, 1.0 - distance) for cid, distance in zip(found["ids"][0], found["distances"][0], strict=True)]

    # --- what the question names --------------------------------------------------------------------------
    def _add_named(self, analysis: QueryAnalysis, tokens: list[str], keywords: list[KeywordIndex],
                   candidates: dict[tuple[int, int], _Candidate]) -> None:
        """Mark (and add) the chunks of named articles and of named laws."""
        laws = {squash(title) for title in analysis.laws}
        if not laws and not analysis.articles:
            return
        if not laws and analysis.short_names:
            # An article named beside a law's short name ("소방시설법 제37조"): those acts are meant.
            laws = {squash(title) for title in analysis.short_names}
        if not laws:
            # An article named without its law: the law of the best fused statute result is meant. Only that one:
            # "제17조" of every law near the top would push the answer out (DEV precedent questions name articles
            # of laws the corpus does not hold).
            best = sorted(candidates.values(), key=lambda c: -c.score)[:10]
            statutes = [keywords[c.department].rows[c.row] for c in best
                        if keywords[c.department].rows[c.row].kind == "statute"]
            laws = {squash(statutes[0].title)} if statutes else set()
        articles = set(analysis.articles)
        inferred = not analysis.laws and not analysis.short_names
        for d, ki in enumerate(keywords):
            scores = None
            mask = self._mask(d, ki)
            for i in ki.law_rows(laws):
                row = ki.rows[i]
                if mask is not None and not mask[i]:
                    continue
                level = 2 if row.article in articles else (1 if analysis.laws else 0)
                if not level:
                    continue
                entry = candidates.get((d, i))
                if entry is None:
                    if level == 1:
                        # A named law's chunk the searches missed: give it its own keyword score, scaled below
                        # any fused result, so the law's best matching articles follow its named ones.
                        if scores is None:
                            scores = ki.term_scores(tokens, rescale(shared_idf(tokens, keywords), ki))
                        if scores is None or scores[i] <= 0:
                            continue
                        entry = candidates.setdefault((d, i), _Candidate(d, i, score=float(scores[i]) * 1e-6))
                    elif inferred:
                        continue  # a guessed law's article the searches did not find at all is not meant
                    else:
                        entry = candidates.setdefault((d, i), _Candidate(d, i))
                entry.named = max(entry.named, level)

    # --- units ---------------------------------------------------------------------------------------------
    @staticmethod
    def _unit_key(d: int, row: CatalogRow, i: int) -> tuple[int, str, str]:
        if row.kind == "statute" and row.article:
            return d, row.file, row.article
        return d, row.file, f"#{i}"

    def _units(self, candidates: dict[tuple[int, int], _Candidate],
               keywords: list[KeywordIndex]) -> list[tuple[_Candidate, tuple[int, str, str]]]:
        """The best candidate of each unit (named level and score are the unit's best)."""
        units: dict[tuple[int, str, str], _Candidate] = {}
        for entry in candidates.values():
            key = self._unit_key(entry.department, keywords[entry.department].rows[entry.row], entry.row)
            best = units.get(key)
            if best is None or (entry.named, entry.score) > (best.named, best.score):
                if best is not None:
                    entry.dense_rank = entry.dense_rank or best.dense_rank
                    entry.keyword_rank = entry.keyword_rank or best.keyword_rank
                units[key] = entry
        return [(entry, key) for key, entry in units.items()]

    def _in_force(self, units: list[tuple[_Candidate, tuple[int, str, str]]],
                  keywords: list[KeywordIndex]) -> list[tuple[_Candidate, tuple[int, str, str]]]:
        """Units of a law held in several versions, moved to the version in force today.

        An article found in a version not in force (an amendment from the law portal that takes effect later, or
        an old copy) is replaced by the same article of the version in force, which keeps its score (the answer
        names the versions set aside); an article only the other version has stays as it is (the answer then
        warns that it is not in force). Versions are told apart by their effective dates; copies of one version
        (a PDF and an HWPX of the same date) are not versions.
        """
        chosen = self.versions(keywords)
        if not chosen:
            return units
        moved: dict[tuple[int, str, str], _Candidate] = {}
        for entry, key in units:
            ki = keywords[entry.department]
            row = ki.rows[entry.row]
            target = chosen.get(squash(row.title)) if row.kind == "statute" and row.article else None
            if target is not None and (target.department, target.file) != (entry.department, row.file):
                d, file = target.department, target.file
                rows = keywords[d].article_rows(file, row.article)
                if rows:
                    same = [i for i in rows if keywords[d].rows[i].paragraph == row.paragraph]
                    entry = _Candidate(d, (same or rows)[0], entry.score, entry.dense_rank, entry.keyword_rank,
                                       entry.named)
                    key = self._unit_key(d, keywords[d].rows[entry.row], entry.row)
            best = moved.get(key)
            if best is None or (entry.named, entry.score) > (best.named, best.score):
                moved[key] = entry
        return [(entry, key) for key, entry in moved.items()]

    def _hits(self, ranked: list[tuple[_Candidate, tuple[int, str, str]]], keywords: list[KeywordIndex],
              tokens: list[str], scale: list[KeywordIndex], text: str) -> list[Hit]:
        """Fetch the chunks of the chosen units (one request per department) and measure their coverage."""
        question, squashed = set(tokens), squash(text)
        wanted: dict[int, list[int]] = {}
        unit_rows: list[list[int]] = []
        for entry, key in ranked:
            ki = keywords[entry.department]
            rows = [entry.row] if key[2].startswith("#") else _around(ki.article_rows(key[1], key[2]), entry.row, ki)
            unit_rows.append(rows)
            wanted.setdefault(entry.department, []).extend(rows)
        chunks: dict[tuple[int, int], Chunk] = {}
        for d, rows in wanted.items():
            ki = keywords[d]
            for chunk in self.indexes[d].get_chunks([ki.ids[i] for i in dict.fromkeys(rows)]):
                chunks[(d, ki.position[chunk.id])] = chunk
        # Support: the inverse document frequencies of the question terms a unit holds, summed, in units of the
        # rarest possible term (so that it means the same in a small department and a large one). On the DEV
        # questions the share of the question covered (coverage) did not tell unanswerable questions from
        # answerable ones (a long case story is never covered much); the amount of rare vocabulary a unit shares
        # with the question did (AUC 0.96).
        weights = term_weights(tokens, scale)
        rarest = math.log(sum(ki.size for ki in scale) + 2)
        hits: list[Hit] = []
        for (entry, _), rows in zip(ranked, unit_rows, strict=True):
            best = chunks.get((entry.department, entry.row))
            if best is None:
                continue  # deleted since the keyword index was built
            context = [chunks[(entry.department, i)] for i in rows if (entry.department, i) in chunks]
            covered = {t for chunk in context for t in chunk.tokens}
            found = sum(w for t, w in weights.items() if t in covered)
            total = sum(weights.values())
            hits.append(Hit(best, entry.score, entry.dense_rank, entry.keyword_rank, entry.named > 0, context,
                            found / total if total else 0.0, found / rarest,
                            self._titled(keywords[entry.department], entry.row, question, squashed)))
        return hits


def _resplit(tokens: list[str], keywords: list[KeywordIndex]) -> list[str]:
    """The question's terms with the words the documents do not write as the question does read again: a
    compound Kiwi cut wrongly as the two words the documents use together, a day named after its event as the event.

    "책임감면" is cut 책임감 ("sense of duty") + 면, and 「공익신고자 보호법」 writes "책임의 감면" (책임, 감면:
    제14조(책임의 감면 등)): the question then shared nothing with its article and was refused. When none of the
    pieces Kiwi cut a compound into is a word of two syllables or more the documents have, the compound is also
    searched as the two words it splits into that the documents use in one chunk (the split whose rarer half is
    most common); the pieces, and the compound where the documents lack it, give way to them. A compound whose
    pieces the documents do have ("통근버스": 통근, 버스), one Kiwi reads as one word ("용역업체") and one no split of
    which the documents use together are left as they are: that the documents never write it is what a question
    on something they do not cover looks like, and refusal relies on it (splitting every unknown compound took 3
    of the 12 DEV questions the documents do not answer from being refused, and moved no gold unit into the top 5).
    """
    def frequency(term: str) -> int:
        return sum(ki.document_frequency(term) for ki in keywords)

    out = list(tokens)
    for term in tokens:
        if not all("가" <= ch <= "힣" for ch in term):
            continue
        if len(term) >= 3 and term.endswith("일") and not frequency(term) and frequency(term[:-1]):
            # A day named after its event ("마감일", "신청일") where the documents write the event and its date
            # ("지출결의 마감 | 2025. 12. 26.(금)", "마감 기한"): the event is what is searched for.
            out = [t if t != term else term[:-1] for t in out]
            continue
        if len(term) < 4:
            continue
        pieces = [t for t in tokens if t != term and t in term]
        if not pieces or any(len(t) >= 2 and frequency(t) for t in pieces):
            continue  # one word to Kiwi ("프로그램", "용역업체"), or cut into words the documents have
        best: tuple[int, str, str] | None = None
        for cut in range(2, len(term) - 1):
            left, right = term[:cut], term[cut:]
            common = min(frequency(left), frequency(right))
            if common and (best is None or common > best[0]) and _together(left, right, keywords):
                best = (common, left, right)
        if best is not None:
            out = [t for t in out if (t not in pieces and t != term) or frequency(t)] + [best[1], best[2]]
    return list(dict.fromkeys(out))


def _unheld(terms: list[str], keywords: list[KeywordIndex],
            rows_of: Callable[[KeywordIndex], list[int]]) -> set[str]:
    """The terms that none of the given rows (of each department's keyword index) holds."""
    missing = set(terms)
    for ki in keywords:
        rows = np.array(rows_of(ki), dtype=int)
        if not len(rows):
            continue
        for term in list(missing):
            scores = ki.term_scores([term])
            if scores is not None and np.any(scores[rows] > 0):
                missing.discard(term)
    return missing


def _together(left: str, right: str, keywords: list[KeywordIndex]) -> bool:
    """Whether some chunk holds both terms."""
    for ki in keywords:
        a, b = ki.term_scores([left]), ki.term_scores([right])
        if a is not None and b is not None and bool(np.any((a > 0) & (b > 0))):
            return True
    return False


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def _around(rows: list[int], hit: int, ki: KeywordIndex) -> list[int]:
    """The hit chunk and its neighbours in the article, within the context budget, in document order."""
    if hit not in rows:
        return [hit]
    chosen = [hit]
    at = rows.index(hit)
    left, right = at - 1, at + 1
    # Catalog rows carry no text length: fetch a fixed number of neighbours, the answerer trims them by length.
    budget = _CONTEXT_CHUNKS
    while budget and (left >= 0 or right < len(rows)):
        if right < len(rows):
            chosen.append(rows[right])
            right += 1
            budget -= 1
        if budget and left >= 0:
            chosen.append(rows[left])
            left -= 1
            budget -= 1
    return sorted(chosen, key=lambda i: ki.rows[i].ordinal)
