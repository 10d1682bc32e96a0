"""The per-department index: embedder stamp, keyword index rebuilt from Chroma alone, version stamp."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from connectors.errors import KnowledgeIndexError
from connectors.index.store import collection_name
from tests.conftest import SAMPLES, make_services


def test_collection_names_are_ascii_and_keep_the_korean_name(tmp_path: Path) -> None:
    services = make_services(tmp_path / "data")
    services.reindexer.reindex(SAMPLES / "회계과", "회계과")
    name = collection_name("회계과")
    assert re.fullmatch(r"[a-z0-9-]+", name)
    collection = services.store.client.get_collection(name)
    assert collection.metadata["department"] == "회계과"
    assert collection.metadata["embedder"] == services.embedder.id
    assert collection.metadata["dimension"] == 768
    assert services.store.departments() == ["회계과"]


def test_a_different_embedder_is_refused_with_how_to_rebuild(tmp_path: Path) -> None:
    make_services(tmp_path / "data").reindexer.reindex(SAMPLES / "회계과", "회계과")
    other = make_services(tmp_path / "data", embedder={"kind": "hashing", "dimension": 256})
    with pytest.raises(KnowledgeIndexError) as caught:
        other.store.open("회계과", other.embedder)
    assert "--rebuild" in caught.value.message and "차원 768" in caught.value.message
    report = other.reindexer.reindex(SAMPLES / "회계과", "회계과", rebuild=True)
    assert not report.failed
    assert other.store.open("회계과", other.embedder).count() > 0


def test_keyword_index_is_rebuilt_from_chroma_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = make_services(data)
    services.reindexer.reindex(SAMPLES / "총무과", "총무과")
    tokens = services.tokenizer.tokenize("당직 근무비는 얼마인가요")
    index = services.store.open("총무과", services.embedder)
    before = index.keyword_index().search(tokens, 5)
    assert before and "당직" in index.get_chunks([before[0][0]])[0].text
    shutil.rmtree(data / "cache")  # only Chroma is left
    fresh = make_services(data)
    again = fresh.store.open("총무과", fresh.embedder).keyword_index().search(tokens, 5)
    assert again == before
    assert any((data / "cache").rglob("meta.json")), "the rebuilt keyword index is cached on disk again"


def test_a_stale_keyword_cache_is_not_used_after_the_collection_changes(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "안내.txt").write_text("1. 개요\n주차장은 지하 2층에 있습니다.\n", encoding="utf-8")
    data = tmp_path / "data"
    reader = make_services(data)  # a second process's view (a server) that already loaded the keyword index
    writer = make_services(data)
    writer.reindexer.reindex(folder, "시설과")
    reader_index = reader.store.open("시설과", reader.embedder)
    assert reader_index.keyword_index().search(reader.tokenizer.tokenize("주차장"), 3)
    (folder / "안내.txt").write_text("1. 개요\n자전거 보관소는 정문 옆에 있습니다.\n", encoding="utf-8")
    writer.reindexer.reindex(folder, "시설과")
    assert reader_index.keyword_index().search(reader.tokenizer.tokenize("주차장"), 3) == []
    assert reader_index.keyword_index().search(reader.tokenizer.tokenize("자전거 보관소"), 3)


def test_a_chunk_read_once_is_not_served_after_its_file_is_deleted_or_changed(tmp_path: Path) -> None:
    """Chunks read are kept in memory for the next questions; a deleted or rewritten file must not live on there."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "안내.txt").write_text("1. 개요\n주차장은 지하 2층에 있습니다.\n", encoding="utf-8")
    (folder / "당직.txt").write_text("1. 당직\n당직 근무비는 1회 6만 원입니다.\n", encoding="utf-8")
    services = make_services(tmp_path / "data")
    services.reindexer.reindex(folder, "시설과")
    index = services.store.open("시설과", services.embedder)
    parking = index.keyword_index().search(services.tokenizer.tokenize("주차장"), 1)[0][0]
    duty = index.keyword_index().search(services.tokenizer.tokenize("당직 근무비"), 1)[0][0]
    assert "지하 2층" in index.get_chunks([parking])[0].text  # read once: now in memory
    assert "6만 원" in index.get_chunks([duty])[0].text
    (folder / "안내.txt").unlink()
    (folder / "당직.txt").write_text("1. 당직\n당직 근무비는 1회 8만 원입니다.\n", encoding="utf-8")
    services.reindexer.reindex(folder, "시설과")
    assert index.get_chunks([parking]) == []
    fresh = index.keyword_index().search(services.tokenizer.tokenize("당직 근무비"), 1)[0][0]
    assert fresh != duty and "8만 원" in index.get_chunks([fresh])[0].text
    assert index.get_chunks([duty]) == []


def test_the_vectors_are_where_the_settings_say(tmp_path: Path) -> None:
    """Embedded by default; on the Chroma server when the suite runs against one (TEST_CHROMA_SERVER=1)."""
    services = make_services(tmp_path / "data")
    services.reindexer.reindex(SAMPLES / "회계과", "회계과")
    on_server = os.environ.get("TEST_CHROMA_SERVER") == "1"
    api = services.store.client.get_settings().chroma_api_impl
    assert (api == "chromadb.api.fastapi.FastAPI") is on_server, api
    assert (tmp_path / "data" / "chroma").exists() is not on_server
    assert services.store.departments() == ["회계과"]
