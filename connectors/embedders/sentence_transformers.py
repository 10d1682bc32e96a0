"""A local sentence-transformers model folder (optional extra `deptbot[local-models]`); never downloads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.errors import KnowledgeIndexError


class SentenceTransformerEmbedder:
    """Embeds with a model folder already on disk (e.g. a multilingual model copied in by the operator)."""

    def __init__(self, *, model_path: str, batch_size: int = 32, device: str = "cpu", query_prefix: str = "",
                 passage_prefix: str = "") -> None:
        self.model_path = model_path
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix  # as for OpenAICompatibleEmbedder
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    @property
    def id(self) -> str:
        """The model folder's name (and the prefixes, when set)."""
        prefixes = f"|{self.query_prefix!r}|{self.passage_prefix!r}" if self.query_prefix or self.passage_prefix else ""
        return f"sentence-transformers:{Path(self.model_path).name}{prefixes}"

    @property
    def model(self) -> Any:
        """The loaded model; a missing package or folder is a clear error with the fix."""
        if self._model is None:
            if not Path(self.model_path).is_dir():
                raise KnowledgeIndexError(self.model_path, "임베딩 모델 폴더가 없습니다",
                                          "DEPTBOT_EMBEDDER__MODEL_PATH에 모델 폴더 경로를 지정해 주세요")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise KnowledgeIndexError(self.model_path, "sentence-transformers 패키지가 설치되어 있지 않습니다",
                                          "pip install 'deptbot[local-models]' 로 설치해 주세요") from exc
            self._model = SentenceTransformer(self.model_path, device=self.device, local_files_only=True)
        return self._model

    @property
    def dimension(self) -> int:
        """Vector length reported by the model."""
        return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised vectors for many texts."""
        return self._encode([self.passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> list[float]:
        """The normalised vector of a question."""
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]
