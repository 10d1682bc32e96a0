"""Ingestion benchmark: deptbot's whole re-index of a corpus, its stages measured alone, and plain llama-index.

    python bench/ingest.py [--corpus PATH] [--workers N] [--json OUT] [--skip-llama]

Figures (bench/README.md says what each one means): pages/s and chunks/s of a whole re-index into a fresh data
folder, its peak memory (main process and the whole process tree), the time of a second run with nothing changed,
the ratio of the whole re-index to the sum of its stages measured alone (parse, tokenize, embed, write), and the
ratio to a plain llama-index pipeline (SentenceSplitter + VectorStoreIndex on Chroma) over the same parsed text
with the same embedder. Every measurement gets its own fresh data folder; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from machine import others_cpu, proc_kb
from ocr_pages import DEFAULT_OCR_PDF, ocr_figures, ocr_pages_said, render_ocr

from connectors.chunk import Chunk
from connectors.chunking import chunk_document
from connectors.errors import ConnectorError
from connectors.ingest import IngestOptions, file_sha256, scan_folder
from connectors.korean import KoreanTokenizer
from connectors.parsers import parse_bytes

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "eval" / "corpus"
GOAL_WHOLE_S = 180.0
GOAL_SECOND_RUN_S = 10.0
GOAL_RATIO_TO_STAGES = 1.3
LLAMA_CHUNK_SIZE, LLAMA_CHUNK_OVERLAP = 512, 50
_POLL_S = 0.2
_PAGE = 2000
R = TypeVar("R")


# --- the corpus --------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Source:
    """One file of one department folder, with its content hash (what the re-indexer computes first)."""

    department: str
    folder: str
    file: str
    sha256: str
    size: int


@dataclass(slots=True)
class Parsed:
    """One file after the parse stage: its chunks (not yet tokenized) and its whole text for llama-index."""

    source: Source
    chunks: list[Chunk] = field(default_factory=list)
    text: str = ""
    format: str = ""
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def department_folders(corpus: Path) -> list[Path]:
    """The department folders, in the order `deptbot reindex --all` takes them."""
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def scan_sources(corpus: Path) -> list[Source]:
    """Every file the re-indexer would read, with its hash."""
    sources = []
    for folder in department_folders(corpus):
        for file in scan_folder(folder):
            path = folder / file
            sources.append(Source(folder.name, str(folder), file, file_sha256(path), path.stat().st_size))
    return sources


# --- the whole re-index, in a child process ----------------------------------------------------------------------
def reindex_child(corpus: Path, data_dir: Path, workers: int) -> dict[str, Any]:
    """What `deptbot reindex --all CORPUS` does, timed; runs in its own process so its memory can be measured."""
    from ui.settings import Settings
    from ui.wiring import build_services

    started = time.perf_counter()
    services = build_services(Settings(data_dir=data_dir, workers=workers))
    with services.reindexer:  # as ui/cli.py's `reindex --all`: every department folder through one pool
        reports = services.reindexer.reindex_many([(folder, folder.name) for folder in department_folders(corpus)])
    wall = time.perf_counter() - started
    totals: dict[str, int] = {}
    timings: dict[str, float] = {}
    for report in reports:
        for key, count in report.totals().items():
            totals[key] = totals.get(key, 0) + count
        for key, seconds in report.timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
    failed = [f"{r.department}/{f.file}: {f.error}" for r in reports for f in r.files if f.status == "failed"]
    totals["ocr_pages"] = sum(ocr_pages_said([*f.warnings, f.error]) for r in reports for f in r.files)
    return {"wall_s": wall, "totals": totals, "timings": timings, "failed": failed,
            "maxrss_main_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "maxrss_largest_child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def _descendants(root: int) -> list[int]:
    """The process and all its descendants, from the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


class TreeMemory:
    """Samples RSS and PSS of a process tree every 0.2 s from /proc (Linux), in a thread."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_rss_sum_kb = self.peak_pss_sum_kb = self.processes_at_peak = 0
        self.peak_hwm_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(_POLL_S):
                return

    def sample(self) -> None:
        """One sample of the tree."""
        pids = _descendants(self.root)
        rss = sum(proc_kb(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
        pss = sum(proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
        for pid in pids:
            self.peak_hwm_kb[pid] = max(self.peak_hwm_kb.get(pid, 0), proc_kb(f"/proc/{pid}/status", "VmHWM:"))
        if rss > self.peak_rss_sum_kb:
            self.peak_rss_sum_kb, self.processes_at_peak = rss, len(pids)
        self.peak_pss_sum_kb = max(self.peak_pss_sum_kb, pss)

    def summary(self) -> dict[str, float]:
        """Peaks in MB."""
        workers = [kb for pid, kb in self.peak_hwm_kb.items() if pid != self.root]
        return {"tree_rss_sum_mb": self.peak_rss_sum_kb / 1024, "tree_pss_sum_mb": self.peak_pss_sum_kb / 1024,
                "processes_at_peak": self.processes_at_peak,
                "largest_other_process_sampled_mb": max(workers, default=0) / 1024}


def run_reindex(corpus: Path, data_dir: Path, workers: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the whole re-index in a child process, measuring its process wall time and its tree's memory (`env`:
    settings for the child on top of this process's environment)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--corpus", str(corpus), "--workers", str(workers),
               "--reindex-child", str(data_dir)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ | (env or {}))
    with TreeMemory(child.pid) as memory:
        out, err = child.communicate()
    process_s = time.perf_counter() - started
    if child.returncode != 0 or not out.strip():
        sys.exit(f"bench: the re-index child failed (exit {child.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["process_s"] = process_s
    result["memory"] = memory.summary() | {"main_mb": result.pop("maxrss_main_kb") / 1024,
                                           "largest_child_mb": result.pop("maxrss_largest_child_kb") / 1024}
    return result


# --- the stages measured alone ------------------------------------------------------------------------------------
@contextmanager
def timed(into: dict[str, float], key: str) -> Iterator[None]:
    """Wall seconds of the block, stored under `key`."""
    started = time.perf_counter()
    yield
    into[key] = time.perf_counter() - started


def in_processes(func: Callable[..., R], jobs: list[tuple[Any, ...]], workers: int) -> list[R]:
    """`func(*job)` for every job, in `workers` spawned processes like the re-indexer (in-process for one)."""
    if workers <= 1 or len(jobs) <= 1:
        return [func(*job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(func, *job) for job in jobs]
        return [future.result() for future in futures]


def parse_one(source: Source, options: IngestOptions) -> Parsed:
    """Stage 1 in a worker: read, parse and chunk one file, as process_file does before it tokenizes."""
    parsed = Parsed(source)
    started = time.perf_counter()
    try:
        document = parse_bytes((Path(source.folder) / source.file).read_bytes(), source.file, options.limits)
        between = time.perf_counter()
        chunks = chunk_document(document, options.chunking)
    except ConnectorError as exc:
        parsed.error = exc.message
        return parsed
    if not chunks:
        parsed.error = f"{source.file}: no text"
        return parsed
    parsed.chunks, parsed.text, parsed.format = chunks, document.text, document.format
    parsed.pages, parsed.warnings = document.pages or 0, document.warnings
    parsed.seconds = {"parse": between - started, "chunk": time.perf_counter() - between}
    return parsed


def tokenize_one(chunks: list[Chunk], department: str, sha256: str, fmt: str,
                 tokenizer: KoreanTokenizer) -> tuple[list[Chunk], float]:
    """Stage 2 in a worker: what process_file does after chunking (tokens, department, hash, format, id)."""
    started = time.perf_counter()
    for chunk, tokens in zip(chunks, tokenizer.tokenize_many(c.index_text for c in chunks), strict=True):
        chunk.tokens, chunk.department, chunk.file_sha256 = tokens, department, sha256
        chunk.format = fmt
        chunk.assign_id()
    return chunks, time.perf_counter() - started


def stage_parse(sources: list[Source], options: IngestOptions, workers: int) -> list[Parsed]:
    """Parse and chunk every file, biggest first like the re-indexer."""
    ordered = sorted(sources, key=lambda s: -s.size)
    return in_processes(parse_one, [(s, options) for s in ordered], workers)


def stage_tokenize(parsed: list[Parsed], tokenizer: KoreanTokenizer, workers: int) -> None:
    """Tokenize every file's chunks (one job per file, the biggest first), in place."""
    ok = sorted((p for p in parsed if not p.error), key=lambda p: -sum(len(c.text) for c in p.chunks))
    jobs = [(p.chunks, p.source.department, p.source.sha256, p.format, tokenizer) for p in ok]
    for item, (chunks, seconds) in zip(ok, in_processes(tokenize_one, jobs, workers), strict=True):
        item.chunks, item.seconds["tokenize"] = chunks, seconds


def stage_embed(parsed: list[Parsed], embedder: Any) -> list[list[list[float]]]:
    """Every file's vectors, in the main process like the re-indexer (which embeds per write batch: the same work)."""
    return [embedder.embed_documents([c.index_text for c in p.chunks]) for p in parsed]


def _flush(index: Any, buffer: list[tuple[Parsed, list[list[float]]]]) -> None:
    """Write buffered files with the re-indexer's own store_files (one chunk batch, older chunks, records)."""
    from connectors.ingest import ParsedFile, store_files

    if not buffer:
        return
    files = [ParsedFile(file=item.source.file, department=item.source.department, sha256=item.source.sha256,
                        chunks=item.chunks, format=item.format, pages=item.pages, warnings=item.warnings)
             for item, _ in buffer]
    store_files(index, files, [v for _, vectors in buffer for v in vectors])


def write_files(index: Any, items: list[tuple[Parsed, list[list[float]]]], batch: int) -> None:
    """A department's files, as Reindexer._receive takes them: failures recorded at once, the others buffered and
    flushed whenever the buffer holds `batch` chunks or more, and after the last file."""
    from connectors.index.records import FileRecord

    buffer: list[tuple[Parsed, list[list[float]]]] = []
    for done, (item, vectors) in enumerate(items, 1):
        if item.error:
            index.put_file_records([FileRecord(file=item.source.file, sha256="", status="failed", error=item.error,
                                               failed_sha256=item.source.sha256)])
        else:
            buffer.append((item, vectors))
        if sum(len(i.chunks) for i, _ in buffer) >= batch or done == len(items):
            _flush(index, buffer)
            buffer = []


def stage_write(parsed: list[Parsed], vectors: list[list[list[float]]], services: Any) -> tuple[float, float]:
    """Stage 4, per department as the re-indexer does it (open, records, stamp, batched writes, stamp, keyword
    index); (write, keyword) wall seconds."""
    by_department: dict[str, list[tuple[Parsed, list[list[float]]]]] = {}
    for item, item_vectors in zip(parsed, vectors, strict=True):
        by_department.setdefault(item.source.department, []).append((item, item_vectors))
    write = keyword = 0.0
    for department in sorted(by_department):
        began = time.perf_counter()
        index = services.store.open(department, services.embedder, create=True)
        index.file_records()
        index.bump_stamp()
        write_files(index, by_department[department], services.reindexer.options.write_batch)
        written = time.perf_counter()
        index.bump_stamp()
        index.keyword_index()
        write, keyword = write + written - began, keyword + time.perf_counter() - written
    return write, keyword


def _worker_seconds(parsed: list[Parsed]) -> dict[str, float]:
    summed: dict[str, float] = {}
    for item in parsed:
        for key, seconds in item.seconds.items():
            summed[key] = summed.get(key, 0.0) + seconds
    return summed


def run_stages(corpus: Path, data_dir: Path, workers: int) -> tuple[dict[str, Any], list[Parsed], Any]:
    """Each stage alone, one after the other, in a fresh data folder: wall seconds, parsed files, services."""
    from ui.settings import Settings
    from ui.wiring import build_services

    walls: dict[str, float] = {}
    with timed(walls, "setup_s"):
        services = build_services(Settings(data_dir=data_dir, workers=workers))
    with timed(walls, "scan_s"):
        sources = scan_sources(corpus)
    _progress("stage: parse + chunk")
    with timed(walls, "parse_s"):
        parsed = stage_parse(sources, services.reindexer.options, workers)
    _progress("stage: tokenize")
    with timed(walls, "tokenize_s"):
        stage_tokenize(parsed, services.tokenizer, workers)
    _progress("stage: embed")
    with timed(walls, "embed_s"):
        vectors = stage_embed(parsed, services.embedder)
    _progress("stage: write + keyword index")
    walls["write_s"], walls["keyword_s"] = stage_write(parsed, vectors, services)
    walls["sum_s"] = sum(walls.values())
    return {**walls, "worker_seconds": _worker_seconds(parsed), "files": len(sources),
            "failed": sum(1 for p in parsed if p.error), "chunks": sum(len(p.chunks) for p in parsed)}, parsed, services


def stored_ids(data_dir: Path, departments: list[str]) -> set[str]:
    """The chunk ids in a data folder's department collections."""
    from connectors.index.store import collection_name
    from ui.settings import Settings
    from ui.wiring import chroma_client

    client = chroma_client(Settings(data_dir=data_dir))
    ids: set[str] = set()
    for department in departments:
        collection = client.get_collection(collection_name(department), embedding_function=None)
        for offset in range(0, collection.count(), _PAGE):
            ids.update(collection.get(include=[], limit=_PAGE, offset=offset)["ids"])
    return ids


# --- plain llama-index --------------------------------------------------------------------------------------------
def run_llama(parsed: list[Parsed], data_dir: Path, embedder: Any) -> dict[str, Any]:
    """SentenceSplitter + VectorStoreIndex on Chroma over the parsed text (one Document per file), same embedder."""
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from connectors.embedders import as_llama_embedding
    from ui.settings import Settings
    from ui.wiring import chroma_client

    walls: dict[str, float] = {}
    with timed(walls, "split_s"):
        documents = [Document(text=p.text, metadata={"department": p.source.department, "file": p.source.file,
                                                     "format": p.format, "pages": p.pages})
                     for p in parsed if not p.error]
        # Default tokenizer: tiktoken cl100k_base, read from the cache llama-index-core ships (no download).
        nodes = SentenceSplitter(chunk_size=LLAMA_CHUNK_SIZE, chunk_overlap=LLAMA_CHUNK_OVERLAP) \
            .get_nodes_from_documents(documents)
    with timed(walls, "index_s"):
        client = chroma_client(Settings(data_dir=data_dir))
        collection = client.get_or_create_collection("llama_bench", embedding_function=None)
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        VectorStoreIndex(nodes, storage_context=storage, embed_model=as_llama_embedding(embedder))
    return {**walls, "llama_s": walls["split_s"] + walls["index_s"], "nodes": len(nodes),
            "stored": collection.count()}


# --- the run ------------------------------------------------------------------------------------------------------
def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def forbid_network() -> None:
    """Make any attempt of this process to reach the network fail loudly: the benchmark must run offline."""
    def refuse(original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                raise OSError(f"bench: network access refused ({address!r}); nothing may be downloaded")
            return original(sock, address)
        return connect

    socket.socket.connect = refuse(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse(socket.socket.connect_ex)  # type: ignore[method-assign]


def whole_and_second(corpus: Path, data_dir: Path, workers: int) -> dict[str, Any]:
    """The whole re-index into a fresh folder, then the same again with nothing changed."""
    _progress(f"whole re-index of {corpus} with {workers} workers (child process)")
    whole = run_reindex(corpus, data_dir, workers)
    totals = whole["totals"]
    whole["pages_per_s"] = totals["pages"] / whole["wall_s"]
    whole["chunks_per_s"] = totals["chunks"] / whole["wall_s"]
    _progress("second run, nothing changed")
    second = run_reindex(corpus, data_dir, workers)
    return {"whole": whole, "second_run": {key: second[key] for key in ("wall_s", "process_s", "totals")}}


def benchmark(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Every measurement, each in its own fresh data folder under `root`."""
    corpus, workers = args.corpus, args.workers
    scan_sources(corpus)  # read every file once, so that no measurement pays for a cold disk cache
    cpu: dict[str, dict[str, float]] = {}
    with others_cpu(cpu, "whole + second run"):
        results: dict[str, Any] = whole_and_second(corpus, root / "whole", workers)
    with others_cpu(cpu, "stages"):
        stages, parsed, services = run_stages(corpus, root / "stages", workers)
    stages["ratio_whole_to_stages"] = results["whole"]["wall_s"] / stages["sum_s"]
    whole_ids = stored_ids(root / "whole", [f.name for f in department_folders(corpus)])
    stages["chunk_ids_differing_from_whole"] = len(whole_ids ^ {c.id for p in parsed for c in p.chunks})
    results.update(stages=stages, embedder=services.embedder.id, files=stages["files"],
                   departments=len(department_folders(corpus)))
    if not args.skip_llama:
        _progress("plain llama-index pipeline")
        with others_cpu(cpu, "llama-index"):
            llama = run_llama(parsed, root / "llama", services.embedder)
        llama["total_with_parse_s"] = stages["parse_s"] + llama["llama_s"]
        llama["ratio_deptbot_to_llama"] = results["whole"]["wall_s"] / llama["total_with_parse_s"]
        results["llama"] = llama
    if not args.skip_ocr:
        with others_cpu(cpu, "ocr"):
            results["ocr"] = ocr_figures(corpus, root, workers, args.ocr_pdf, run_reindex)
    results["cpu_outside_benchmark"] = cpu
    return results


def code_fingerprint() -> str:
    """A hash of the connectors/ and ui/ sources, to tell which code a report measured (no git needed)."""
    digest = hashlib.sha256()
    for path in sorted([*REPO.glob("connectors/**/*.py"), *REPO.glob("ui/**/*.py")]):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def describe(args: argparse.Namespace) -> dict[str, Any]:
    """Date, machine and settings of the run."""
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "corpus": str(args.corpus.resolve()),
            "load_average_1min_at_start": os.getloadavg()[0], "code_fingerprint": code_fingerprint(),
            "workers": args.workers, "cores": os.cpu_count(), "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            "goals": {"whole_s": GOAL_WHOLE_S, "second_run_s": GOAL_SECOND_RUN_S,
                      "ratio_whole_to_stages": GOAL_RATIO_TO_STAGES}}


# --- the report ---------------------------------------------------------------------------------------------------
def _row(label: str, value: str, note: str = "") -> str:
    return f"  {label:<46}{value:>14}  {note}".rstrip()


def _goal(value: float, limit: float) -> str:
    return f"goal <= {limit:g}: {'met' if value <= limit else 'MISSED'}"


def render_whole(results: dict[str, Any]) -> list[str]:
    """The whole re-index and the second run."""
    whole, second, memory = results["whole"], results["second_run"], results["whole"]["memory"]
    totals = whole["totals"]
    t = whole["timings"]
    return [
        "Whole re-index (as `deptbot reindex --all`: build_services + Reindexer.reindex_many, fresh data folder)",
        _row("files / failed", f"{totals['files']} / {totals['failed']}"),
        _row("pages (PDF pages; other formats count 0)", f"{totals['pages']:,}"),
        _row("chunks", f"{totals['chunks']:,}"),
        _row("wall, re-index (s)", f"{whole['wall_s']:.1f}", _goal(whole["wall_s"], GOAL_WHOLE_S)),
        _row("wall, whole process incl. start-up (s)", f"{whole['process_s']:.1f}"),
        _row("pages/s", f"{whole['pages_per_s']:.1f}"),
        _row("chunks/s", f"{whole['chunks_per_s']:.1f}"),
        _row("peak RSS, main process (MB)", f"{memory['main_mb']:.0f}"),
        _row("peak RSS, largest worker (MB)", f"{memory['largest_child_mb']:.0f}"),
        _row("peak RSS summed over the process tree (MB)", f"{memory['tree_rss_sum_mb']:.0f}",
             f"{memory['processes_at_peak']} processes, sampled every {_POLL_S:g} s"),
        _row("peak PSS summed over the process tree (MB)", f"{memory['tree_pss_sum_mb']:.0f}",
             "shared pages counted once"),
        _row("in-pipeline: parse/chunk/tokenize (s)",
             f"{t.get('parse', 0):.1f}/{t.get('chunk', 0):.1f}/{t.get('tokenize', 0):.1f}",
             "summed over worker processes"),
        _row("in-pipeline: embed/write/keyword (s)",
             f"{t.get('embed', 0):.1f}/{t.get('write', 0):.1f}/{t.get('keyword', 0):.1f}", "wall, main process"),
        "",
        "Second run, nothing changed (same data folder)",
        _row("files unchanged / re-indexed", f"{second['totals']['unchanged']} / {second['totals']['indexed']}"),
        _row("wall, re-index (s)", f"{second['wall_s']:.2f}", _goal(second["wall_s"], GOAL_SECOND_RUN_S)),
        _row("wall, whole process incl. start-up (s)", f"{second['process_s']:.2f}",
             _goal(second["process_s"], GOAL_SECOND_RUN_S)),
    ]


def render_stages(results: dict[str, Any]) -> list[str]:
    """The stages measured alone and the ratio."""
    stages, workers = results["stages"], results["workers"]
    w = stages["worker_seconds"]
    return [
        f"Stages measured alone, one after the other (wall; parse and tokenize in {workers} spawned processes,",
        "  the rest in the main process)",
        _row("set-up (build_services)", f"{stages['setup_s']:.1f}"),
        _row("scan + hash", f"{stages['scan_s']:.1f}"),
        _row("parse + chunk", f"{stages['parse_s']:.1f}",
             f"in workers: parse {w.get('parse', 0):.1f} s + chunk {w.get('chunk', 0):.1f} s summed"),
        _row("tokenize (kiwipiepy)", f"{stages['tokenize_s']:.1f}",
             f"in workers: {w.get('tokenize', 0):.1f} s summed"),
        _row("embed (in the main process)", f"{stages['embed_s']:.1f}"),
        _row("write (batched Chroma upserts, file records)", f"{stages['write_s']:.1f}"),
        _row("keyword index (BM25 build + cache)", f"{stages['keyword_s']:.1f}"),
        _row("sum of stages", f"{stages['sum_s']:.1f}"),
        _row("ratio whole re-index / sum of stages", f"{stages['ratio_whole_to_stages']:.2f}",
             _goal(stages["ratio_whole_to_stages"], GOAL_RATIO_TO_STAGES)),
        _row("chunks / failed files", f"{stages['chunks']:,} / {stages['failed']}"),
        _row("chunk ids differing from the whole re-index", f"{stages['chunk_ids_differing_from_whole']}",
             "0: the stages made exactly the same chunks"),
    ]


def render_llama(results: dict[str, Any]) -> list[str]:
    """The llama-index baseline."""
    llama = results.get("llama")
    if llama is None:
        return ["Plain llama-index pipeline: skipped (--skip-llama)"]
    return [
        f"Plain llama-index pipeline (SentenceSplitter {LLAMA_CHUNK_SIZE}/{LLAMA_CHUNK_OVERLAP} tiktoken tokens + "
        "VectorStoreIndex on Chroma;",
        "  same parsed text, one Document per file, same embedder)",
        _row("parse (the parse + chunk stage above, reused)", f"{results['stages']['parse_s']:.1f}"),
        _row("SentenceSplitter", f"{llama['split_s']:.1f}"),
        _row("VectorStoreIndex (embed + Chroma writes)", f"{llama['index_s']:.1f}"),
        _row("total", f"{llama['total_with_parse_s']:.1f}"),
        _row("chunks (nodes)", f"{llama['nodes']:,}"),
        _row("ratio deptbot whole re-index / llama-index", f"{llama['ratio_deptbot_to_llama']:.2f}"),
        "  llama-index here does no Korean morpheme tokenization, no keyword (BM25) index, no file records",
        "  (so no incremental re-index) and no statute-aware chunking; its parse time includes deptbot's chunking.",
    ]


def render_cpu(results: dict[str, Any]) -> list[str]:
    """How much other work ran on the machine meanwhile."""
    lines = ["CPU used outside this benchmark while it ran (near 0 on a quiet machine; otherwise figures are skewed)"]
    for phase, cpu in results["cpu_outside_benchmark"].items():
        lines.append(_row(f"{phase}: other processes / steal (s)", f"{cpu['others_s']:.1f} / {cpu['steal_s']:.1f}"))
    return lines


def render(results: dict[str, Any]) -> str:
    """The whole report as a readable table."""
    head = (f"deptbot ingestion benchmark — {results['date']}, {results['cores']} cores, {results['workers']} "
            f"workers, Python {results['python']}, code {results['code_fingerprint']}\n"
            f"corpus {results['corpus']}: {results['departments']} "
            f"departments, {results['files']} files; embedder {results['embedder']}\n1-min load average at start "
            f"{results['load_average_1min_at_start']:.2f} (other work on the machine skews every figure)")
    if results["code_changed_during_run"]:
        head += "\nWARNING: connectors/ or ui/ changed while the benchmark ran: the figures mix two versions"
    return "\n".join([head, "", *render_whole(results), "", *render_stages(results), "", *render_llama(results), "",
                      *render_ocr(results.get("ocr")), "", *render_cpu(results)])


# --- entry point --------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="deptbot ingestion benchmark (see bench/README.md)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder with one subfolder per department (default: ../shared/eval/corpus)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="parsing processes (default: all cores)")
    parser.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--skip-llama", action="store_true", help="skip the plain llama-index baseline")
    parser.add_argument("--skip-ocr", action="store_true", help="skip the OCR figures (and the re-index with OCR off)")
    parser.add_argument("--ocr-only", action="store_true", help="only the OCR figures")
    parser.add_argument("--ocr-pdf", type=Path, default=DEFAULT_OCR_PDF,
                        help="a PDF with a text layer whose scanned copy is read by OCR (default: an eval PDF)")
    parser.add_argument("--reindex-child", type=Path, metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with the hidden --reindex-child, one whole re-index) and report."""
    args = parse_args(argv)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"  # Chroma; the data folders' clients turn it off too
    forbid_network()
    if not args.corpus.is_dir() or not department_folders(args.corpus):
        sys.exit(f"bench: no corpus at {args.corpus} (a folder with one subfolder per department); "
                 "pass --corpus PATH")
    if args.reindex_child is not None:
        print(json.dumps(reindex_child(args.corpus, args.reindex_child, args.workers)))
        return
    if args.ocr_only:  # the OCR figures alone (minutes, not the whole benchmark's quarter of an hour)
        with tempfile.TemporaryDirectory(prefix="deptbot-bench-") as tmp:
            figures = ocr_figures(args.corpus, Path(tmp), args.workers, args.ocr_pdf, run_reindex)
        print("\n".join(render_ocr(figures)))
        return
    with tempfile.TemporaryDirectory(prefix="deptbot-bench-") as tmp:
        results = describe(args) | benchmark(args, Path(tmp))
    results["code_changed_during_run"] = code_fingerprint() != results["code_fingerprint"]
    print(render(results))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
