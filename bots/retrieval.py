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


class HybridRetriever:
    """Asks every department index both ways and fuses the ranked lists."""

    def __init__(self, *, indexes: Sequence[DepartmentIndex], tokenizer: KoreanTokenizer, depth: int = 50) -> None:
        self.indexes = list(indexes)
        self.tokenizer = tokenizer
        self.depth = depth

    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The k best chunks for a question."""
        tokens = self.tokenizer.tokenize(question)
        fused: dict[str, Hit] = {}
        for index in self.indexes:
            dense = self._dense(index, question)
            keyword = [cid for cid, _ in index.keyword_index().search(tokens, self.depth)]
            chunks = {c.id: c for c in index.get_chunks(list(dict.fromkeys(dense + keyword)))}
            for kind, ranked in (("dense", dense), ("keyword", keyword)):
                for rank, cid in enumerate(ranked, 1):
                    if cid not in chunks:
                        continue
                    hit = fused.setdefault(cid, Hit(chunks[cid], 0.0))
                    hit.score += 1.0 / (_RRF_K + rank)
                    setattr(hit, f"{kind}_rank", rank)
        return sorted(fused.values(), key=lambda h: -h.score)[:k]

    def _dense(self, index: DepartmentIndex, question: str) -> list[str]:
        count = index.count()
        if not count:
            return []
        found = index.chunks.query(query_embeddings=[index.embedder.embed_query(question)],
                                   n_results=min(self.depth, count), include=[])
        return list(found["ids"][0])
