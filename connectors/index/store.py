"""The per-department knowledge index: one Chroma collection of chunks, one of file records, and a keyword index.

We talk to chromadb directly rather than through llama-index's ChromaVectorStore for writes: that store copies
every node's full JSON (metadata included, so our token field twice) into each record, and has no notion of
collection metadata (the embedder stamp), of listing a file's chunks, or of a second collection of file
records. Records written here still read back through ChromaVectorStore (text + flat metadata).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from connectors.chunk import TOKENS_KEY, Chunk
from connectors.embedders.base import Embedder
from connectors.errors import KnowledgeIndexError
from connectors.index.keyword import CatalogRow, KeywordIndex
from connectors.index.records import FileRecord
from connectors.lru import LRU

log = logging.getLogger(__name__)
_PAGE = 2000  # records fetched from Chroma per request
_FILES_SUFFIX = "-files"
# Chunks recently read, by id, shared by every department index of the process. A chunk id is a hash of the
# department, file, file content, position and text (Chunk.assign_id), so a cached chunk can never be out of date:
# a changed file gives new ids, a chunk deleted here is dropped, and one deleted by another process is no longer
# named by the keyword index once it sees the new stamp (within the retriever's `freshness`, as for the index).
# Fetching the chunks of the chosen units from Chroma was a fifth of the server's time under load (bench/load.py).
_CHUNKS: LRU[str, Chunk] = LRU(4096)


def collection_name(department: str) -> str:
    """ASCII collection name for a (usually Korean) department name; the name itself is kept in metadata."""
    return "dept-" + hashlib.sha1(department.strip().encode("utf-8")).hexdigest()[:16]


class _Guarded:
    """A Chroma client, or a collection of it, whose lost connections raise KnowledgeIndexError.

    With a Chroma server, any call may find the server gone (stopped, restarting, network): the answer path then
    reports it in Korean (the API as 503, the pages as a message) instead of a traceback, and the next call after
    the server is back simply works (the HTTP client reconnects; collections keep their ids across a restart).
    """

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = value(*args, **kwargs)
            except (httpx.TransportError, ConnectionError) as exc:
                raise KnowledgeIndexError("Chroma", f"벡터 저장소(Chroma 서버)에 연결할 수 없습니다 ({exc})",
                                          "잠시 뒤 다시 해 보세요. 계속되면 관리자에게 알려 주세요") from exc
            return _Guarded(result) if hasattr(result, "upsert") and hasattr(result, "query") else result

        return call


class KnowledgeStore:
    """Opens department indexes on one Chroma client (persistent folder, or a server through HttpClient)."""

    def __init__(self, *, client: Any, cache_dir: Path) -> None:
        self.client = _Guarded(client)
        self.cache_dir = cache_dir

    def departments(self) -> list[str]:
        """Names of the departments that have an index."""
        names = []
        for collection in self.client.list_collections():
            meta = collection.metadata or {}
            if not collection.name.endswith(_FILES_SUFFIX) and meta.get("department"):
                names.append(str(meta["department"]))
        return sorted(names)

    def open(self, department: str, embedder: Embedder, *, create: bool = False) -> DepartmentIndex:
        """The department's index; created when asked, refused when it was built with another embedder."""
        name = collection_name(department)
        if not create and not self.exists(department):
            raise KnowledgeIndexError(department, "이 부서의 색인이 없습니다",
                                      f"먼저 'deptbot reindex 폴더 --department {department}'로 문서를 색인해 주세요")
        meta = {"department": department, "embedder": embedder.id, "dimension": embedder.dimension,
                "stamp": uuid.uuid4().hex}
        chunks = self.client.get_or_create_collection(
            name, metadata=meta, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        files = self.client.get_or_create_collection(
            name + _FILES_SUFFIX, metadata={"department": department, "role": "files"}, embedding_function=None)
        index = DepartmentIndex(client=self.client, department=department, chunks=chunks, files=files,
                                embedder=embedder, cache_dir=self.cache_dir / name)
        index.check_embedder()
        return index

    def exists(self, department: str) -> bool:
        """True when the department has a chunk collection."""
        name = collection_name(department)
        return any(c.name == name for c in self.client.list_collections())

    def drop(self, department: str) -> None:
        """Delete a department's collections (for a rebuild with another embedder)."""
        name = collection_name(department)
        for suffix in ("", _FILES_SUFFIX):
            if any(c.name == name + suffix for c in self.client.list_collections()):
                self.client.delete_collection(name + suffix)


class DepartmentIndex:
    """Chunks and file records of one department, with its keyword index."""

    def __init__(self, *, client: Any, department: str, chunks: Any, files: Any, embedder: Embedder,
                 cache_dir: Path) -> None:
        self.client = client
        self.department = department
        self.chunks = chunks
        self.files = files
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._keyword: KeywordIndex | None = None
        self._checked = 0.0  # time.monotonic() of the last stamp check

    # --- embedder stamp -------------------------------------------------------------------------------
    def check_embedder(self) -> None:
        """Refuse to mix vectors of two embedders in one collection."""
        meta = self.chunks.metadata or {}
        built_with, dimension = meta.get("embedder"), meta.get("dimension")
        if built_with != self.embedder.id or int(dimension or 0) != self.embedder.dimension:
            raise KnowledgeIndexError(
                self.department,
                f"색인은 임베더 '{built_with}'(차원 {dimension})로 만들어졌는데 지금 설정은 "
                f"'{self.embedder.id}'(차원 {self.embedder.dimension})입니다",
                "설정을 되돌리거나 'deptbot reindex 폴더 --department "
                f"{self.department} --rebuild'로 새 임베더로 다시 색인해 주세요",
            )

    @property
    def stamp(self) -> str:
        """Changes whenever chunks are written or deleted; the keyword cache is keyed on it."""
        # Re-read the collection: another process (a command-line re-index) may have written since we opened it.
        self.chunks = self.client.get_collection(self.chunks.name, embedding_function=None)
        return str((self.chunks.metadata or {}).get("stamp", ""))

    def bump_stamp(self) -> None:
        """Mark the chunks as changed, so every keyword cache (in any process) is rebuilt.

        Writers call it before their first write and after their last one: a cache built in between, or a run
        killed in between, is never taken for current.
        """
        self.chunks = self.client.get_collection(self.chunks.name, embedding_function=None)  # keep others' keys
        meta = dict(self.chunks.metadata or {})
        meta["stamp"] = uuid.uuid4().hex
        self.chunks.modify(metadata=meta)
        self._keyword = None

    # --- source folder --------------------------------------------------------------------------------
    @property
    def folder(self) -> str:
        """The folder the department was last indexed from ("" before the first run): where uploads go."""
        fresh = self.client.get_collection(self.chunks.name, embedding_function=None)
        return str((fresh.metadata or {}).get("folder", ""))

    def set_folder(self, folder: Path) -> None:
        """Remember the folder the department is indexed from."""
        self.chunks = self.client.get_collection(self.chunks.name, embedding_function=None)
        meta = dict(self.chunks.metadata or {})
        if meta.get("folder") != str(folder):
            meta["folder"] = str(folder)
            self.chunks.modify(metadata=meta)

    # --- chunks ---------------------------------------------------------------------------------------
    def add_chunks(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Upsert chunks with their vectors (ids are stable, so a repeated write is harmless); see bump_stamp."""
        for start in range(0, len(chunks), _PAGE):
            part = chunks[start:start + _PAGE]
            self.chunks.upsert(
                ids=[c.id for c in part], documents=[c.text for c in part],
                embeddings=[list(v) for v in vectors[start:start + _PAGE]],
                metadatas=[c.to_metadata() for c in part],
            )

    def delete_file_chunks(self, file: str, keep: Collection[str] = ()) -> None:
        """Delete a file's chunks, except the ids in `keep` (the version just written).

        By id, not by the file's content hash: the same file chunked by a newer pipeline gives other chunks with
        the same hash, and the older ones must go too.
        """
        found = self.chunks.get(where={"file": file}, include=[])
        kept = set(keep)
        ids = [chunk_id for chunk_id in found["ids"] if chunk_id not in kept]
        _CHUNKS.drop_many(ids)
        for start in range(0, len(ids), _PAGE):
            self.chunks.delete(ids=ids[start:start + _PAGE])

    def chunks_of(self, file: str) -> list[Chunk]:
        """A file's chunks in document order."""
        found = self.chunks.get(where={"file": file}, include=["documents", "metadatas"])
        chunks = [Chunk.from_record(i, d or "", m or {})
                  for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)]
        return sorted(chunks, key=lambda c: c.ordinal)

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked."""
        if not ids:
            return []
        by_id = _CHUNKS.get_many(ids)
        missing = [i for i in dict.fromkeys(ids) if i not in by_id]
        if missing:
            found = self.chunks.get(ids=missing, include=["documents", "metadatas"])
            fetched = {i: Chunk.from_record(i, d or "", m or {})
                       for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)}
            _CHUNKS.put_many(fetched)
            by_id |= fetched
        return [by_id[i] for i in ids if i in by_id]

    def count(self) -> int:
        """Number of chunks."""
        return int(self.chunks.count())

    def _all_tokens(self) -> Iterator[tuple[str, list[str], CatalogRow]]:
        # Every occurrence of a term shares one string object: a large department's token lists would otherwise
        # hold millions of copies (about 350 MB for 18,000 statute chunks).
        terms: dict[str, str] = {}
        total = self.count()
        for offset in range(0, total, _PAGE):
            page = self.chunks.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for chunk_id, meta in zip(page["ids"], page["metadatas"], strict=True):
                tokens = [terms.setdefault(token, token) for token in str((meta or {}).get(TOKENS_KEY, "")).split()]
                yield chunk_id, tokens, CatalogRow.from_metadata(meta or {})

    # --- keyword index --------------------------------------------------------------------------------
    def keyword_index(self, max_age: float = 0.0) -> KeywordIndex:
        """The BM25 index for the current stamp: from memory, from the disk cache, or rebuilt from Chroma.

        With `max_age`, an index in memory whose stamp was checked less than that many seconds ago is used
        without asking Chroma again (answering checks at most about once a second, not on every question).
        """
        now = time.monotonic()
        if self._keyword is not None and now - self._checked < max_age:
            return self._keyword
        stamp = self.stamp
        self._checked = now
        if self._keyword is not None and self._keyword.stamp == stamp:
            return self._keyword
        cached = KeywordIndex.load(self.cache_dir / "keyword", stamp)
        if cached is None:
            pairs = list(self._all_tokens())
            cached = KeywordIndex.build([p[0] for p in pairs], [p[1] for p in pairs], stamp, [p[2] for p in pairs])
            cached.save(self.cache_dir / "keyword")
            log.info("keyword index rebuilt department=%s chunks=%d", self.department, len(pairs))
        self._keyword = cached
        return cached

    # --- file records ---------------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        """Every file the department's index knows, by relative path."""
        records: dict[str, FileRecord] = {}
        total = int(self.files.count())
        for offset in range(0, total, _PAGE):
            page = self.files.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for meta in page["metadatas"]:
                record = FileRecord.from_metadata(dict(meta or {}))
                records[record.file] = record
        return records

    def put_file_records(self, records: Sequence[FileRecord]) -> None:
        """Write or replace files' records (after their chunks are written)."""
        self.files.upsert(ids=[_file_id(r.file) for r in records], embeddings=[[1.0]] * len(records),
                          metadatas=[r.to_metadata() for r in records])

    def delete_file_record(self, file: str) -> None:
        """Forget a file (after its chunks are deleted)."""
        self.files.delete(ids=[_file_id(file)])


def _file_id(file: str) -> str:
    return hashlib.sha1(file.encode("utf-8")).hexdigest()
