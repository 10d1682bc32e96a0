"""Hybrid retrieval over one or several department indexes: dense (Chroma) and keyword (BM25), fused by RRF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.chunk import Chunk
from connectors.index.store import DepartmentIndex
from connectors.korean import KoreanTokenizer

_RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 scores 1/61


@dataclass(slots=True)
class Hit:
    """A retrieved chunk with its fused score and its ranks in each list (0: absent)."""

    chunk: Chunk
    score: float
    dense_rank: int = 0
    keyword_rank: int = 0


@dataclass(slots=True)
class _Fused:
    index: DepartmentIndex
    score: float = 0.0
    dense_rank: int = 0
    keyword_rank: int = 0


class HybridRetriever:
    """Asks every department index both ways, ranks each method across departments, and fuses the rankings."""

    def __init__(self, *, indexes: Sequence[DepartmentIndex], tokenizer: KoreanTokenizer, depth: int = 50) -> None:
        self.indexes = list(indexes)
        self.tokenizer = tokenizer
        self.depth = depth

    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The k best chunks for a question."""
        if not self.indexes:
            return []
        tokens = self.tokenizer.tokenize(question)
        vector = self.indexes[0].embedder.embed_query(question)
        dense: list[tuple[float, str, DepartmentIndex]] = []
        keyword: list[tuple[float, str, DepartmentIndex]] = []
        for index in self.indexes:
            dense += [(similarity, cid, index) for cid, similarity in self._dense(index, vector)]
            keyword += [(score, cid, index) for cid, score in index.keyword_index().search(tokens, self.depth)]
        # One ranking per method across all departments, so that each department's best is not a "rank 1".
        fused: dict[str, _Fused] = {}
        for ranked, is_dense in ((dense, True), (keyword, False)):
            ranked.sort(key=lambda item: -item[0])
            for rank, (_, cid, index) in enumerate(ranked[: self.depth], 1):
                entry = fused.setdefault(cid, _Fused(index))
                entry.score += 1.0 / (_RRF_K + rank)
                if is_dense:
                    entry.dense_rank = rank
                else:
                    entry.keyword_rank = rank
        best = sorted(fused.items(), key=lambda item: -item[1].score)[:k]
        chunks = self._chunks(best)
        return [Hit(chunks[cid], f.score, f.dense_rank, f.keyword_rank) for cid, f in best if cid in chunks]

    @staticmethod
    def _chunks(best: list[tuple[str, _Fused]]) -> dict[str, Chunk]:
        """The chunks of the best hits, fetched with one request per department."""
        wanted: dict[str, tuple[DepartmentIndex, list[str]]] = {}
        for cid, entry in best:
            wanted.setdefault(entry.index.department, (entry.index, []))[1].append(cid)
        return {chunk.id: chunk for index, ids in wanted.values() for chunk in index.get_chunks(ids)}

    def _dense(self, index: DepartmentIndex, vector: list[float]) -> list[tuple[str, float]]:
        count = index.count()
        if not count:
            return []
        found = index.chunks.query(query_embeddings=[vector], n_results=min(self.depth, count), include=["distances"])
        return [(cid, 1.0 - distance) for cid, distance in zip(found["ids"][0], found["distances"][0], strict=True)]
