"""The offline default embedder: hashed character n-grams, deterministic, no model, no download.

The public English MiniLM model splits Hangul into single letters and is useless for Korean, and no
Korean-capable neural model can be fetched offline; character n-grams match Korean stems across particles
and endings ("여권을", "여권의" share "여권"), so a signed feature-hashing of them is an honest default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MIX = np.uint64(0xFF51AFD7ED558CCD)
_PRIME = np.uint64(1000003)
_SPACE = 32


class HashingEmbedder:
    """Signed feature hashing of character 2- and 3-grams (word-boundary aware), log-scaled, L2-normalised."""

    def __init__(self, dimension: int = 768, ngrams: tuple[int, ...] = (2, 3)) -> None:
        self._dimension = dimension
        self.ngrams = ngrams

    @property
    def id(self) -> str:
        """Names the scheme and its parameters: a change of either needs a rebuild."""
        return f"hashing-ngram-v1-d{self._dimension}-n{''.join(map(str, self.ngrams))}"

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [self._vector(text).tolist() for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """The vector of a question (the same scheme as documents)."""
        return self._vector(text).tolist()

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dimension, dtype=np.float64)
        hashes = self._hashes(text)
        if hashes.size:
            unique, counts = np.unique(hashes, return_counts=True)
            weights = 1.0 + np.log(counts)
            signs = np.where((unique >> np.uint64(63)) == 1, -1.0, 1.0)
            np.add.at(vector, (unique % np.uint64(self._dimension)).astype(np.int64), signs * weights)
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector).astype(np.float32)

    def _hashes(self, text: str) -> np.ndarray:
        """64-bit hashes of every n-gram of the lower-cased text with single spaces at word boundaries."""
        padded = f" {' '.join(text.lower().split())} "
        codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        parts = []
        with np.errstate(over="ignore"):
            for n in self.ngrams:
                if codes.size < n:
                    continue
                windows = np.lib.stride_tricks.sliding_window_view(codes, n)
                # An n-gram with a space inside spans two words: skip it (a space at either end marks a boundary).
                keep = ~(windows[:, 1:-1] == _SPACE).any(axis=1) if n > 2 else np.ones(len(windows), bool)
                h = np.full(len(windows), np.uint64(n) * _MIX)
                for k in range(n):
                    h = (h * _PRIME) ^ windows[:, k]
                h ^= h >> np.uint64(33)
                h *= _MIX
                h ^= h >> np.uint64(33)
                parts.append(h[keep])
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
