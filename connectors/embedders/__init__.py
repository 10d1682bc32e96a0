"""Embedders: the offline hashing default, OpenAI-compatible servers, local sentence-transformers folders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.embedders.base import Embedder
from connectors.embedders.hashing import HashingEmbedder
from connectors.embedders.openai_compat import OpenAICompatibleEmbedder
from connectors.embedders.sentence_transformers import SentenceTransformerEmbedder

EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "hashing": HashingEmbedder,
    "openai": OpenAICompatibleEmbedder,
    "sentence-transformers": SentenceTransformerEmbedder,
}

__all__ = ["EMBEDDERS", "Embedder", "HashingEmbedder", "as_llama_embedding", "make_embedder"]


def make_embedder(kind: str, **options: Any) -> Embedder:
    """Build the embedder named `kind`; an unknown name lists the available ones."""
    try:
        factory = EMBEDDERS[kind]
    except KeyError:
        raise ValueError(f"unknown embedder {kind!r}; available: {', '.join(sorted(EMBEDDERS))}") from None
    return factory(**options)


def as_llama_embedding(embedder: Embedder) -> Any:
    """The embedder as a llama-index BaseEmbedding, for llama-index indexes and retrievers."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class _Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed_documents([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

    return _Adapter(model_name=embedder.id, embed_batch_size=256)


