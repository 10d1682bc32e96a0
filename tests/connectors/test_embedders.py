"""Embedders: the offline hashing default, and an OpenAI-compatible server through the real openai client."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from connectors.embedders import HashingEmbedder, as_llama_embedding, make_embedder
from connectors.embedders.openai_compat import OpenAICompatibleEmbedder
from connectors.errors import KnowledgeIndexError
from tests.conftest import SAMPLES, make_services
from tests.support.fake_openai import Behaviour, fake_openai_server, fake_vector


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_hashing_embedder_is_deterministic_unit_length_and_korean_aware() -> None:
    embedder = HashingEmbedder()
    question = embedder.embed_query("여권을 재발급받는 데 며칠 걸리나요?")
    assert question == HashingEmbedder().embed_query("여권을 재발급받는 데 며칠 걸리나요?")
    assert len(question) == 768 and abs(np.linalg.norm(question) - 1) < 1e-5
    related, unrelated = embedder.embed_documents(
        ["여권 재발급 처리기한은 접수일로부터 4일입니다.", "법인카드는 잠금장치가 있는 서랍에 보관한다."])
    assert cosine(question, related) > cosine(question, unrelated) + 0.05


def test_unknown_embedder_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="hashing, openai, sentence-transformers"):
        make_embedder("minilm")


def test_llama_index_adapter_gives_the_same_vectors() -> None:
    embedder = HashingEmbedder(dimension=64)
    assert as_llama_embedding(embedder).get_query_embedding("민원") == embedder.embed_query("민원")


def test_openai_compatible_embedder_batches_through_the_openai_client() -> None:
    behaviour = Behaviour(dimension=8)
    with fake_openai_server(behaviour) as url:
        embedder = OpenAICompatibleEmbedder(base_url=url, model="bge-m3", batch_size=2, max_retries=0)
        texts = [f"문서 {n}" for n in range(5)]
        vectors = embedder.embed_documents(texts)
        assert embedder.dimension == 8
    assert vectors == [fake_vector(t, 8) for t in texts]
    batches = [r["input"] for r in behaviour.requests if r["path"] == "/v1/embeddings"]
    assert batches[:3] == [texts[0:2], texts[2:4], texts[4:5]]
    assert behaviour.requests[0]["model"] == "bge-m3"
    assert embedder.id == f"openai:bge-m3@{url}"


def test_openai_compatible_embedder_retries_a_server_error() -> None:
    behaviour = Behaviour(fail_first=1)
    with fake_openai_server(behaviour) as url:
        vector = OpenAICompatibleEmbedder(base_url=url, model="m", max_retries=2).embed_query("질문")
    assert vector == fake_vector("질문", 8) and len(behaviour.requests) == 2


def test_openai_compatible_embedder_timeout_is_a_clear_error() -> None:
    with fake_openai_server(Behaviour(delay=2.0)) as url:
        embedder = OpenAICompatibleEmbedder(base_url=url, model="m", timeout=0.3, max_retries=0)
        with pytest.raises(KnowledgeIndexError) as caught:
            embedder.embed_query("질문")
    assert caught.value.file == url and "DEPTBOT_EMBEDDER__BASE_URL" in caught.value.message


def test_reindex_with_an_embedding_server(tmp_path: Path) -> None:
    behaviour = Behaviour(dimension=16)
    with fake_openai_server(behaviour) as url:
        services = make_services(tmp_path / "data", embedder={"kind": "openai", "base_url": url, "model": "m"})
        report = services.reindexer.reindex(SAMPLES / "회계과", "회계과")
        index = services.store.open("회계과", services.embedder)
        assert not report.failed and index.count() == report.totals()["chunks"]
    assert index.chunks.metadata["embedder"] == f"openai:m@{url}" and index.chunks.metadata["dimension"] == 16


def test_a_missing_local_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    embedder = make_embedder("sentence-transformers", model_path=str(tmp_path / "없는 모델"))
    with pytest.raises(KnowledgeIndexError, match="DEPTBOT_EMBEDDER__MODEL_PATH"):
        embedder.embed_query("질문")
