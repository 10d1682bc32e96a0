"""Any OpenAI-compatible /v1/embeddings server (OpenAI, vLLM, Ollama, TEI), through llama-index's client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.errors import KnowledgeIndexError


class OpenAICompatibleEmbedder:
    """Batched embeddings with retries and a timeout, via llama-index's OpenAILikeEmbedding."""

    def __init__(self, *, base_url: str, model: str, api_key: str = "not-needed", dimension: int | None = None,
                 batch_size: int = 64, timeout: float = 60.0, max_retries: int = 3, query_prefix: str = "",
                 passage_prefix: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        # e5-style models are trained with "query: " before a question and "passage: " before a text, bge-style
        # ones with an instruction before the question only; sent without them their vectors lose much of their
        # retrieval quality, and llama-index's OpenAI-like client has no place for them, so they are added here.
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._dimension = dimension
        self._client: Any = None
        self.api_key, self.batch_size, self.timeout, self.max_retries = api_key, batch_size, timeout, max_retries

    @property
    def id(self) -> str:
        """The server, model and prefixes: vectors of another model (or made with other prefixes) are not
        comparable."""
        prefixes = f"|{self.query_prefix!r}|{self.passage_prefix!r}" if self.query_prefix or self.passage_prefix else ""
        return f"openai:{self.model}@{self.base_url}{prefixes}"

    @property
    def dimension(self) -> int:
        """Vector length: from settings, else learned from one request."""
        if self._dimension is None:
            self._dimension = len(self.embed_query("차원 확인"))
        return self._dimension

    @property
    def client(self) -> Any:
        """llama-index's OpenAI-like embedding client, made on first use."""
        if self._client is None:
            from llama_index.embeddings.openai_like import OpenAILikeEmbedding

            self._client = OpenAILikeEmbedding(
                model_name=self.model, api_base=self.base_url, api_key=self.api_key, embed_batch_size=self.batch_size,
                timeout=self.timeout, max_retries=self.max_retries,
            )
        return self._client

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for many texts, sent in batches."""
        try:
            vectors: list[list[float]] = self.client.get_text_embedding_batch(
                [self.passage_prefix + text for text in texts])
        except Exception as exc:  # the openai client raises many types; all mean the server failed us
            raise self._error(exc) from exc
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of a question."""
        try:
            vector: list[float] = self.client.get_query_embedding(self.query_prefix + text)
        except Exception as exc:
            raise self._error(exc) from exc
        return vector

    def _error(self, exc: Exception) -> KnowledgeIndexError:
        return KnowledgeIndexError(
            self.base_url, f"임베딩 서버가 응답하지 않거나 오류를 돌려주었습니다 ({type(exc).__name__}: {exc})",
            "서버 주소(DEPTBOT_EMBEDDER__BASE_URL)와 모델 이름, 서버 상태를 확인해 주세요",
        )
