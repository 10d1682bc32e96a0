"""Incremental re-indexing of a department folder: parse and tokenize in worker processes, embed and write, report.

Order of writes, so that a process killed at any point leaves a usable index and the next run completes it:
new chunks are upserted first (stable ids), then the file's older chunks are deleted, then its record is
written. Until the record is written the file still looks changed, so the next run redoes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from connectors.chunk import Chunk
from connectors.chunking import ChunkOptions, chunk_document
from connectors.embedders.base import Embedder
from connectors.errors import ConnectorError, ParseError
from connectors.index.records import FileRecord
from connectors.index.store import DepartmentIndex, KnowledgeStore
from connectors.korean import TOKENIZER_VERSION, KoreanTokenizer
from connectors.laws.listing import LAW_LIST_FILE
from connectors.parsers import ParseLimits, parse_bytes, supported
from connectors.parsers.detect import check_name

if TYPE_CHECKING:
    from connectors.workers import ParsePool

log = logging.getLogger(__name__)

# Bump when parsing or chunking changes what a file yields: every file is then re-indexed once.
PIPELINE_VERSION = f"chunks-v15+{TOKENIZER_VERSION}"  # v2: page offsets, PDF titles, list items; v3: promulgation;
# v4: pages without a text layer read by OCR, marked per chunk (ocr_pages); v5: pictures in DOCX/HWPX read by OCR
# (ocr_picture); v6: pictures in HWP (binary) and in table cells read by OCR; v7: a table split over chunks repeats
# its header row in each; v8: words of HWP-exported PDFs no longer glued (pdf._page_text);
# v9: ... nor inside brackets and quotes; v10: a lone '부 칙' line opens a unit in manuals; v11: a non-statute PDF
# line wrapped inside a word is joined without a space; v12: the re-spacing of v8-v9 replaces whole words only, the
# same in every process; v13: a cut word's right side that is never a word of its own is joined when Kiwi reads the
# two as one word (connectors.korean.one_word); v14: a PDF whose first-page title has nothing in common with its
# descriptive file name is titled by the name (pdf._named_better); v15: shorter glued words of HWP-exported PDFs take
# the spaces layout mode and Kiwi agree on (pdf._agreed)
Status = Literal["indexed", "unchanged", "removed", "failed"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How files are read and cut, and how many processes parse them under which limits."""

    chunking: ChunkOptions = field(default_factory=ChunkOptions)
    limits: ParseLimits = field(default_factory=ParseLimits)
    workers: int = 0  # 0: one per core
    write_batch: int = 2000  # chunks per vector-store write: small batches cost up to twice as much per chunk
    parse_timeout: float = 300.0  # seconds one file may take in its worker
    parse_memory_mb: int = 2048  # memory one file may add to its worker
    # False lets one file (or workers <= 1) be parsed in the calling process, without limits: only for the test
    # suite, where starting a worker (it loads Kiwi) costs seconds. The server and the CLI always isolate.
    isolate: bool = True


@dataclass(slots=True)
class FileResult:
    """What happened to one file in a run."""

    file: str
    status: Status
    chunks: int = 0
    pages: int = 0
    error: str = ""
    format: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `--json` shape of one file."""
        return {"file": self.file, "status": self.status, "chunks": self.chunks, "pages": self.pages,
                "error": self.error or None, "warnings": self.warnings}


@dataclass(slots=True)
class ReindexReport:
    """The outcome of re-indexing one department folder."""

    department: str
    files: list[FileResult] = field(default_factory=list)
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when any file failed."""
        return any(r.status == "failed" for r in self.files)

    def totals(self) -> dict[str, int]:
        """Counts per status, plus chunks and pages written in this run."""
        counts = {status: 0 for status in ("indexed", "unchanged", "removed", "failed")}
        for result in self.files:
            counts[result.status] += 1
        counts["files"] = len(self.files)
        counts["chunks"] = sum(r.chunks for r in self.files if r.status == "indexed")
        counts["pages"] = sum(r.pages for r in self.files if r.status == "indexed")
        return counts


@dataclass(slots=True)
class _Task:
    folder: str
    file: str
    sha256: str
    department: str
    options: IngestOptions
    tokenizer: KoreanTokenizer


@dataclass(slots=True)
class ParsedFile:
    """One file after parsing, chunking and tokenizing (in a worker process), or the error that stopped it."""

    file: str
    department: str
    sha256: str
    chunks: list[Chunk] = field(default_factory=list)
    format: str = ""
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Plan:
    """One department's part of a run: its report, index, known records and the files to index."""

    department: str
    report: ReindexReport
    index: DepartmentIndex | None  # None in a dry run
    records: dict[str, FileRecord]
    tasks: list[_Task]
    started: float
    pending: int = field(init=False)
    buffer: list[ParsedFile] = field(default_factory=list)  # parsed files whose chunks are not yet written

    def __post_init__(self) -> None:
        self.pending = len(self.tasks)


def scan_folder(folder: Path) -> list[str]:
    """Relative paths ("/"-separated) of the files we read below `folder`, skipping hidden and temp files."""
    if not folder.is_dir():
        raise ConnectorError(str(folder), "폴더가 없거나 폴더가 아닙니다", "경로를 확인해 주세요")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            # The list of laws to keep current is the law sync's input, not a document to answer from.
            if dirpath == str(folder) and unicodedata.normalize("NFC", name) == LAW_LIST_FILE:
                continue
            if not name.startswith((".", "~$")) and supported(name):
                found.append((Path(dirpath) / name).relative_to(folder).as_posix())
    return sorted(found)


def outside_folder(folder: Path, file: str) -> bool:
    """True for a link that leads outside the folder: the on-disk form of "../", never followed."""
    return not (folder / file).resolve().is_relative_to(folder.resolve())


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def process_file(task: _Task) -> ParsedFile:
    """Read, parse, chunk and tokenize one file (runs in a worker process); errors become the outcome's error."""
    outcome = ParsedFile(file=task.file, department=task.department, sha256=task.sha256)
    started = time.perf_counter()
    try:
        check_name(task.file)
        data = _read(Path(task.folder) / task.file, task.file, task.options.limits)
        document = parse_bytes(data, task.file, task.options.limits)
        parsed = time.perf_counter()
        chunks = chunk_document(document, task.options.chunking)
        if not chunks:
            # The parser's warnings say why (pages without a text layer, and why OCR could not read them).
            said = "; ".join(document.warnings) or "스캔 문서이거나 빈 문서?"
            raise ParseError(task.file, f"추출할 수 있는 텍스트가 없습니다 ({said})",
                             "스캔 문서라면 OCR로 텍스트를 넣은 PDF로 올려 주세요")
        chunked = time.perf_counter()
        for chunk, tokens in zip(chunks, task.tokenizer.tokenize_many(c.index_text for c in chunks), strict=True):
            chunk.tokens, chunk.department, chunk.file_sha256 = tokens, task.department, task.sha256
            chunk.format = document.format
            chunk.assign_id()
        tokenized = time.perf_counter()
    except ConnectorError as exc:
        outcome.error = exc.message
        return outcome
    outcome.chunks, outcome.format, outcome.pages = chunks, document.format, document.pages or 0
    outcome.warnings = document.warnings
    outcome.timings = {"parse": parsed - started, "chunk": chunked - parsed, "tokenize": tokenized - chunked}
    return outcome


def _read(path: Path, file: str, limits: ParseLimits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            return b"\0" * (limits.max_file_bytes + 1)  # parse_bytes turns this into the size error
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(file, f"파일을 읽을 수 없습니다 ({exc.strerror or exc})",
                         "파일 권한과 경로를 확인해 주세요") from exc


class Reindexer:
    """Re-indexes department folders into a KnowledgeStore."""

    def __init__(self, *, store: KnowledgeStore, embedder: Embedder, tokenizer: KoreanTokenizer,
                 options: IngestOptions) -> None:
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.options = options
        self._pool: ParsePool | None = None  # one per Reindexer, shared by threads re-indexing at once
        self._pool_lock = threading.Lock()

    def __enter__(self) -> Reindexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the parsing processes (kept between runs: each loads its own Kiwi model)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _workers(self) -> int:
        return self.options.workers or os.cpu_count() or 1

    def reindex(self, folder: Path, department: str, *, dry_run: bool = False, rebuild: bool = False,
                progress: Progress | None = None, force: Collection[str] = ()) -> ReindexReport:
        """Bring the department's index in line with the folder: index new and changed files, drop removed ones.

        Files named in `force` are indexed again even when unchanged (the builder's re-index button).
        """
        return self.reindex_many([(folder, department)], dry_run=dry_run, rebuild=rebuild, progress=progress,
                                 force=force)[0]

    def reindex_many(self, jobs: list[tuple[Path, str]], *, dry_run: bool = False, rebuild: bool = False,
                     progress: Progress | None = None, force: Collection[str] = ()) -> list[ReindexReport]:
        """Re-index several (folder, department) pairs; their files share one pool, so no core idles between."""
        plans = [self._plan(folder, department, dry_run=dry_run, rebuild=rebuild, force=force)
                 for folder, department in jobs]
        live = [plan for plan in plans if plan.index is not None]
        owner = {(task.department, task.file): plan for plan in live for task in plan.tasks}
        tasks = [task for plan in live for task in plan.tasks]
        for plan in live:
            if not plan.tasks:
                self._finish(plan)
        for done, outcome in enumerate(self._outcomes(tasks), 1):
            plan = owner[(outcome.department, outcome.file)]
            plan.pending -= 1
            self._receive(plan, outcome)
            if progress:
                progress(done, len(tasks), outcome.file if len(jobs) == 1 else f"{plan.department}/{outcome.file}")
            if plan.pending == 0:
                self._finish(plan)
        return [plan.report for plan in plans]

    def _plan(self, folder: Path, department: str, *, dry_run: bool, rebuild: bool,
              force: Collection[str] = ()) -> _Plan:
        """Compare the folder with the index; remove what is gone; list the files to (re)index."""
        started = time.perf_counter()
        files = scan_folder(folder)
        report = ReindexReport(department=department, dry_run=dry_run)
        if rebuild and not dry_run:
            self.store.drop(department)
        index = self.store.open(department, self.embedder, create=True) if not dry_run or (
            self.store.exists(department) and not rebuild) else None
        if index is not None and not dry_run:
            index.set_folder(folder.resolve())
        records = index.file_records() if index is not None else {}
        hashes, unreadable = self._hashes(folder, files)
        report.files.extend(unreadable)
        todo = [f for f, sha in hashes.items() if f in force or _changed(records.get(f), sha)]
        removed = sorted(set(records) - set(files))
        report.files.extend(FileResult(f, "unchanged", records[f].chunks, records[f].pages, format=records[f].format)
                            for f in hashes if f not in todo)
        if dry_run or index is None:
            report.files.extend(FileResult(f, "indexed") for f in todo)
            report.files.extend(FileResult(f, "removed") for f in removed)
            report.files.sort(key=lambda r: r.file)
            return _Plan(department, report, None, records, [], started)
        if removed or todo:
            index.bump_stamp()
        for file in removed:
            index.delete_file_chunks(file)
            index.delete_file_record(file)
            report.files.append(FileResult(file, "removed"))
        tasks = [_Task(str(folder), f, hashes[f], department, self.options, self.tokenizer) for f in todo]
        return _Plan(department, report, index, records, tasks, started)

    def _finish(self, plan: _Plan) -> None:
        assert plan.index is not None
        report = plan.report
        began = time.perf_counter()
        if any(r.status in ("indexed", "removed") for r in report.files):
            plan.index.bump_stamp()
        plan.index.keyword_index()  # rebuilt and cached now, so the first question does not pay for it
        report.timings["keyword"] = time.perf_counter() - began
        report.timings["total"] = time.perf_counter() - plan.started
        report.files.sort(key=lambda r: r.file)
        log.info("reindexed department=%s %s", report.department,
                 " ".join(f"{k}={v}" for k, v in report.totals().items()))

    def _hashes(self, folder: Path, files: list[str]) -> tuple[dict[str, str], list[FileResult]]:
        hashes: dict[str, str] = {}
        failed: list[FileResult] = []
        for file in files:
            if outside_folder(folder, file):
                failed.append(FileResult(file, "failed", error=f"{file}: 폴더 밖의 파일을 가리키는 링크입니다 — "
                                          "링크 대신 파일을 폴더에 복사해 주세요"))
                continue
            try:
                hashes[file] = file_sha256(folder / file)
            except OSError as exc:
                failed.append(FileResult(file, "failed", error=f"{file}: 파일을 읽을 수 없습니다 ({exc.strerror})"))
        return hashes, failed

    def _outcomes(self, tasks: list[_Task]) -> Iterator[ParsedFile]:
        if not self.options.isolate and (self._workers() <= 1 or len(tasks) <= 1):
            yield from map(process_file, tasks)  # in this process, without limits: the test suite only
            return
        yield from self._parse_pool().run(tasks)

    def _parse_pool(self) -> ParsePool:
        # Imported here: connectors.workers imports this module for process_file.
        from connectors.workers import ParsePool

        with self._pool_lock:
            if self._pool is None:
                self._pool = ParsePool(self._workers(), timeout=self.options.parse_timeout,
                                       memory_limit_mb=self.options.parse_memory_mb)
            return self._pool

    def _receive(self, plan: _Plan, outcome: ParsedFile) -> None:
        """Take one file's outcome: a failure is recorded at once, chunks wait in the plan's write buffer."""
        assert plan.index is not None
        for stage, seconds in outcome.timings.items():
            plan.report.timings[stage] = plan.report.timings.get(stage, 0.0) + seconds
        if outcome.error:
            record = plan.records.get(outcome.file) or FileRecord(file=outcome.file, sha256="", status="failed")
            record.status, record.error, record.failed_sha256 = "failed", outcome.error, outcome.sha256
            plan.index.put_file_records([record])
            log.warning("index failed department=%s %s", plan.department, outcome.error)
            plan.report.files.append(FileResult(outcome.file, "failed", error=outcome.error))
        else:
            plan.buffer.append(outcome)
        if sum(len(o.chunks) for o in plan.buffer) >= self.options.write_batch or plan.pending == 0:
            self._flush(plan)

    def _flush(self, plan: _Plan) -> None:
        """Embed and store the buffered files in one batch (Chroma writes big batches much faster)."""
        if not plan.buffer:
            return
        assert plan.index is not None
        timings = plan.report.timings
        began = time.perf_counter()
        vectors = self.embedder.embed_documents([c.index_text for parsed in plan.buffer for c in parsed.chunks])
        embedded = time.perf_counter()
        store_files(plan.index, plan.buffer, vectors)
        timings["embed"] = timings.get("embed", 0.0) + embedded - began
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - embedded
        for o in plan.buffer:
            log.info("indexed department=%s file=%s chunks=%d", plan.department, o.file, len(o.chunks))
            plan.report.files.append(FileResult(o.file, "indexed", len(o.chunks), o.pages, format=o.format,
                                                warnings=o.warnings))
        plan.buffer = []


def store_files(index: DepartmentIndex, files: list[ParsedFile], vectors: list[list[float]]) -> None:
    """Write parsed files (vectors in chunk order): all their chunks in one batch, then each file's older chunks
    deleted, then their records. A run killed in between leaves the old records, so the next run redoes them."""
    index.add_chunks([chunk for parsed in files for chunk in parsed.chunks], vectors)
    for parsed in files:
        index.delete_file_chunks(parsed.file, keep={chunk.id for chunk in parsed.chunks})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    index.put_file_records([FileRecord(
        file=p.file, sha256=p.sha256, format=p.format, pages=p.pages, chunks=len(p.chunks), warnings=p.warnings,
        indexed_at=now, pipeline=PIPELINE_VERSION) for p in files])


def _changed(record: FileRecord | None, sha256: str) -> bool:
    return record is None or record.sha256 != sha256 or record.status != "indexed" \
        or record.pipeline != PIPELINE_VERSION
