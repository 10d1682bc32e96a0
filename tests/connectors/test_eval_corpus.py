"""The evaluation corpus (../shared/eval): every DEV gold source has a chunk carrying its article and page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_services, shared_path

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def corpus_chunks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """The whole corpus indexed once (all cores); chunk metadata per department."""
    corpus = shared_path("eval", "corpus")
    services = make_services(tmp_path_factory.mktemp("eval") / "data", workers=0)
    chunks: dict[str, list[dict[str, Any]]] = {}
    with services.reindexer:
        for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
            report = services.reindexer.reindex(folder, folder.name)
            assert not report.failed, [r.error for r in report.files if r.error]
            index = services.store.open(folder.name, services.embedder)
            chunks[folder.name] = index.chunks.get(include=["metadatas"])["metadatas"]
    return chunks


def _gold_sources() -> list[dict[str, Any]]:
    questions = shared_path("eval", "questions", "dev.jsonl")
    return [gold for line in questions.read_text(encoding="utf-8").splitlines() for gold in json.loads(line)["gold"]]


def _holds(meta: dict[str, Any], gold: dict[str, Any]) -> bool:
    if gold["article"] and meta["article"] != gold["article"]:
        return False
    return not gold["page"] or meta["page_start"] <= gold["page"] <= meta["page_end"]


def test_every_gold_source_has_a_chunk_with_its_article_and_page(
        corpus_chunks: dict[str, list[dict[str, Any]]]) -> None:
    missing = []
    golds = _gold_sources()
    for gold in golds:
        department, file = gold["file"].split("/", 1)
        if not any(m["file"] == file and _holds(m, gold) for m in corpus_chunks[department]):
            missing.append(gold)
    assert len(golds) > 200
    assert missing == []


def test_real_pdfs_of_the_corpus_keep_their_pages(corpus_chunks: dict[str, list[dict[str, Any]]]) -> None:
    documents = shared_path("eval", "meta", "documents.jsonl")
    for line in documents.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["format"] != "pdf" or not row.get("n_pages"):
            continue
        department, file = row["file"].split("/", 1)
        pages = [m["page_end"] for m in corpus_chunks[department] if m["file"] == file]
        assert pages and max(pages) <= row["n_pages"], row["file"]
        assert Path(file).suffix == ".pdf"
