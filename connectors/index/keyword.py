"""The keyword index: BM25 over the Korean morpheme tokens stored with each chunk, cached on disk.

It is derived data: rebuilt from the tokens in Chroma whenever the collection's version stamp moves, so any
server (or a fresh data folder) can recreate it from Chroma alone. Beside BM25 it keeps a small catalog of every
chunk (file, law title, article, paragraph, position, pages), so statute lookups ("제39조의2 of this law", the other
paragraphs of a hit article, the laws a department holds) need no Chroma query.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from connectors.korean import TOKENIZER_VERSION, squash

log = logging.getLogger(__name__)
_FORMAT = 5
_ARTICLE_TERM = re.compile(r"^제\d+조(?:의\d+)?$")  # the whole-reference terms the Korean tokenizer keeps
CATALOG_KEYS = ("file", "title", "article", "paragraph", "ordinal", "page_start", "page_end", "kind")


@dataclass(slots=True)
class CatalogRow:
    """What retrieval needs to know of a chunk without fetching it (absent text "", absent page 0)."""

    file: str = ""
    title: str = ""
    article: str = ""
    paragraph: str = ""
    ordinal: int = 0
    page_start: int = 0
    page_end: int = 0
    kind: str = ""
    cited: int = 0  # for an article: how many other chunks of its law refer to it ("제24조에 따른 …")
    article_title: str = ""  # for an article: its title, "보상금" of "제26조(보상금)"
    effective_date: str = ""  # for a statute: its version's [시행 …] date, "2028-01-01"

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> CatalogRow:
        """The row of a chunk's Chroma metadata."""
        def text(key: str) -> str:
            return str(meta.get(key) or "")

        def number(key: str) -> int:
            return int(meta.get(key) or 0)

        return cls(file=text("file"), title=text("title"), article=text("article"), paragraph=text("paragraph"),
                   ordinal=number("ordinal"), page_start=number("page_start"), page_end=number("page_end"),
                   kind=text("kind"), article_title=text("article_title"), effective_date=text("effective_date"))


def _count_citations(rows: list[CatalogRow], tokens: list[list[str]]) -> None:
    """Set each article's `cited`: the chunks of the same file (other articles) whose text refers to it."""
    counts: dict[tuple[str, str], int] = {}
    for row, terms in zip(rows, tokens, strict=True):
        if row.kind != "statute":
            continue
        for term in {t for t in terms if t.startswith("제") and _ARTICLE_TERM.match(t)}:
            if term != row.article:
                counts[(row.file, term)] = counts.get((row.file, term), 0) + 1
    for row in rows:
        row.cited = counts.get((row.file, row.article), 0) if row.kind == "statute" and row.article else 0


class KeywordIndex:
    """BM25 (bm25s) over pre-tokenised chunks, searchable by chunk id."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None, stamp: str,
                 rows: list[CatalogRow] | None = None) -> None:
        self.ids = ids
        self.stamp = stamp
        self._retriever = retriever
        self.rows = rows if rows is not None else [CatalogRow() for _ in ids]
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._document_frequency: dict[str, int] | None = None
        self._articles: dict[tuple[str, str], list[int]] | None = None
        self._titles: set[str] | None = None
        self._priors: dict[float, np.ndarray] = {}
        self._statutes_first: dict[float, np.ndarray] = {}
        self._laws: dict[str, list[int]] | None = None
        self._documents: dict[str, list[int]] | None = None
        self._versions: dict[str, dict[str, str]] | None = None
        self.title_terms: dict[int, frozenset[str]] = {}  # an article's title as search terms (bots.retrieval)

    def warm(self, citation_weight: float) -> None:
        """Build now the lookups made lazily (document frequencies, articles, laws, the citation prior), so that
        the first questions after loading do not pay for them (about half a second for a large department)."""
        self.document_frequency("")
        self.article_rows("", "")
        self.law_rows(set())
        self.title_rows(set())
        self.versions()
        _ = self.titles
        if citation_weight:
            self.citation_prior(citation_weight)

    def law_rows(self, squashed_titles: set[str]) -> list[int]:
        """Rows of the statutes whose title, without spaces and brackets (`bots.query.squash`), is given."""
        if self._laws is None:
            laws: dict[str, list[int]] = {}
            for i, row in enumerate(self.rows):
                if row.kind == "statute" and row.title:
                    laws.setdefault(squash(row.title), []).append(i)
            self._laws = laws
        return [i for title in squashed_titles for i in self._laws.get(title, [])]

    def title_rows(self, squashed_titles: set[str]) -> list[int]:
        """Rows of the documents (laws and manuals) whose title, squashed like `law_rows`, is given."""
        if self._documents is None:
            documents: dict[str, list[int]] = {}
            for i, row in enumerate(self.rows):
                if row.title:
                    documents.setdefault(squash(row.title), []).append(i)
            self._documents = documents
        return [i for title in squashed_titles for i in self._documents.get(title, [])]

    def citation_prior(self, weight: float) -> np.ndarray:
        """Per chunk: 1 + weight * log(1 + times its article is cited in its law), averaging 1 over each file.

        Averaging 1 per file keeps a law as a whole, and every manual, where BM25 put it; inside a law, its
        central articles (the ones its other articles refer to) move up.
        """
        if weight not in self._priors:
            prior = 1.0 + weight * np.log1p(np.array([row.cited for row in self.rows], dtype=np.float32))
            by_file: dict[str, list[int]] = {}
            for i, row in enumerate(self.rows):
                by_file.setdefault(row.file, []).append(i)
            for rows in by_file.values():
                prior[rows] /= prior[rows].mean()
            self._priors[weight] = prior
        return self._priors[weight]

    def statutes_first(self, factor: float) -> np.ndarray:
        """Per chunk: 1 for a statute's, `factor` for any other document's (manuals, reports, contract templates)."""
        if factor not in self._statutes_first:
            self._statutes_first[factor] = np.array([1.0 if row.kind == "statute" else factor for row in self.rows],
                                                  dtype=np.float32)
        return self._statutes_first[factor]

    def versions(self) -> dict[str, dict[str, str]]:
        """The files of each law: squashed title -> {file: effective date ("" when unknown)}."""
        if self._versions is None:
            found: dict[str, dict[str, str]] = {}
            for row in self.rows:
                if row.kind == "statute" and row.title:
                    found.setdefault(squash(row.title), {})[row.file] = row.effective_date
            self._versions = found
        return self._versions

    @property
    def titles(self) -> set[str]:
        """The law titles of the statute chunks."""
        if self._titles is None:
            self._titles = {row.title for row in self.rows if row.kind == "statute" and row.title}
        return self._titles

    def article_rows(self, file: str, article: str) -> list[int]:
        """Rows of one article of a file, in document order."""
        if self._articles is None:
            articles: dict[tuple[str, str], list[int]] = {}
            for i, row in enumerate(self.rows):
                if row.kind == "statute" and row.article:
                    articles.setdefault((row.file, row.article), []).append(i)
            for rows in articles.values():
                rows.sort(key=lambda i: self.rows[i].ordinal)
            self._articles = articles
        return self._articles.get((file, article), [])

    @classmethod
    def build(cls, ids: list[str], tokens: list[list[str]], stamp: str,
              rows: list[CatalogRow] | None = None) -> KeywordIndex:
        """Index the given token lists (one per chunk id), with each chunk's catalog row."""
        if not ids:
            return cls([], None, stamp, [])
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        # bm25s needs at least one token per document; an empty chunk gets a placeholder that no query has.
        retriever.index([t or ["\u0000"] for t in tokens], show_progress=False)
        if rows is not None:
            _count_citations(rows, tokens)
        return cls(list(ids), retriever, stamp, rows)

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self.ids)

    def document_frequency(self, term: str) -> int:
        """In how many chunks a term occurs (0 if none)."""
        if self._document_frequency is None:
            if self._retriever is None:
                self._document_frequency = {}
            else:
                # bm25s keeps one column of scores per term: its length is the term's document frequency.
                indptr = self._retriever.scores["indptr"]
                # (bm25s may list one more vocabulary entry, its empty-string token, than it has columns.)
                self._document_frequency = {term: int(indptr[i + 1] - indptr[i])
                                            for term, i in self._retriever.vocab_dict.items() if i + 1 < len(indptr)}
        return self._document_frequency.get(term, 0)

    def term_scores(self, query_tokens: list[str], weights: dict[str, float] | None = None) -> np.ndarray | None:
        """BM25 score of every chunk for the query (None when no query term is known).

        `weights` multiplies each term's contribution: the retriever uses it to put every department on one
        inverse-document-frequency scale, so that scores of several departments can be ranked together.
        """
        if self._retriever is None:
            return None
        vocab = self._retriever.vocab_dict
        csc = self._retriever.scores
        data, indices, indptr = csc["data"], csc["indices"], csc["indptr"]
        scores = np.zeros(len(self.ids), dtype=np.float32)
        found = False
        for term in query_tokens:
            column = vocab.get(term)
            if column is None or column + 1 >= len(indptr):
                continue
            start, end = indptr[column], indptr[column + 1]
            weight = 1.0 if weights is None else weights.get(term, 1.0)
            scores[indices[start:end]] += data[start:end] * weight  # a column lists each chunk once
            found = True
        return scores if found else None

    def idf(self, term: str) -> float:
        """BM25's (Lucene) inverse document frequency of a term in this index."""
        df = self.document_frequency(term)
        return float(np.log(1 + (self.size - df + 0.5) / (df + 0.5)))

    def search(self, query_tokens: list[str], k: int = 10) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks with a positive score."""
        if self._retriever is None:
            return []
        vocab = self._retriever.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return []
        scores = self._retriever.get_scores(known)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path) -> None:
        """Write the index and its stamp; written to a temp folder first, then swapped in."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(tmp / "bm25"))
        meta = {"format": _FORMAT, "tokenizer": TOKENIZER_VERSION, "stamp": self.stamp, "ids": self.ids,
                "rows": [astuple(row) for row in self.rows]}
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path, stamp: str) -> KeywordIndex | None:
        """The cached index if it exists and matches `stamp` (and our format), else None."""
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if (meta.get("format"), meta.get("tokenizer"), meta.get("stamp")) != (_FORMAT, TOKENIZER_VERSION, stamp):
                return None
            ids = list(meta["ids"])
            rows = [CatalogRow(*row) for row in meta["rows"]]
            retriever = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("keyword cache unusable folder=%s reason=%s", folder, exc)
            return None
        return cls(ids, retriever, stamp, rows)
