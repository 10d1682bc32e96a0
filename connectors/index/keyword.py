"""The keyword index: BM25 over the Korean morpheme tokens stored with each chunk, cached on disk.

It is derived data: rebuilt from the tokens in Chroma whenever the collection's version stamp moves, so any
server (or a fresh data folder) can recreate it from Chroma alone.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import bm25s
import numpy as np

from connectors.korean import TOKENIZER_VERSION

log = logging.getLogger(__name__)
_FORMAT = 1


class KeywordIndex:
    """BM25 (bm25s) over pre-tokenised chunks, searchable by chunk id."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None, stamp: str) -> None:
        self.ids = ids
        self.stamp = stamp
        self._retriever = retriever

    @classmethod
    def build(cls, ids: list[str], tokens: list[list[str]], stamp: str) -> KeywordIndex:
        """Index the given token lists (one per chunk id)."""
        if not ids:
            return cls([], None, stamp)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        # bm25s needs at least one token per document; an empty chunk gets a placeholder that no query has.
        retriever.index([t or ["\u0000"] for t in tokens], show_progress=False)
        return cls(list(ids), retriever, stamp)

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
        meta = {"format": _FORMAT, "tokenizer": TOKENIZER_VERSION, "stamp": self.stamp, "ids": self.ids}
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
            retriever = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        except (OSError, ValueError, KeyError) as exc:
            log.info("keyword cache unusable folder=%s reason=%s", folder, exc)
            return None
        return cls(ids, retriever, stamp)
