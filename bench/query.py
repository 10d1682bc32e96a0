"""Query benchmark: retrieval latency against its floor (eval corpus and 100,000 chunks), time to first token, memory.

    python bench/query.py --data-dir /tmp/evaldata [--chunks 100000] [--big-dir DIR] [--json OUT]

Figures (bench/README.md says what each one means): p50/p95 of `HybridRetriever.search(question, 10)` over all
departments (dense weight 0, the offline default, and 1.0) beside the floor measured for the same question in the
same run (one Chroma query plus one keyword search per department, nothing else), over the indexed eval corpus and
over a copy of it replicated to 100,000 chunks or more (built once and cached); deptbot's time to first token
against the same streaming stub called directly through the same llama-index client; and the peak memory of the
process that serves each index. Every measurement runs in a fresh child process; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from machine import others_cpu, proc_kb

REPO = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = REPO.parent / "shared" / "eval" / "questions" / "dev.jsonl"
DEFAULT_BIG_DIR = Path("/tmp/bench_query_100k")
K = 10  # units asked of search(), as `deptbot eval` does
FLOOR_DEPTH = 60  # HybridRetriever's default depth: what each method fetches per department
GOAL_RATIO = 1.5
GOAL_P95_MS = 100.0
GOAL_TTFT_MS = 150.0
STUB_MODEL = "bench-stub"
STUB_PIECES = ("답변: ", "문서에 따르면 ", "그렇습니다 [1].")  # the first piece is plain text: shown at once
_PAGE = 2000
_MARKER = "bench-built.json"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


# --- small helpers --------------------------------------------------------------------------------------------------
def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _ms(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 (linear interpolation) in milliseconds."""
    values = np.asarray(seconds, dtype=float) * 1000
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "n": len(values)}


def forbid_network() -> None:
    """Make any connection of this process beyond the loopback interface fail: nothing may be downloaded."""
    def refuse(original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
                raise OSError(f"bench: network access refused ({address!r}); nothing may be downloaded")
            return original(sock, address)
        return connect

    socket.socket.connect = refuse(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse(socket.socket.connect_ex)  # type: ignore[method-assign]


def load_questions(path: Path) -> list[str]:
    """The `question` field of every line of a JSONL file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["question"]) for line in lines if line.strip()]


def spread(items: list[str], n: int) -> list[str]:
    """n items evenly spread over the list (all of them when n is 0 or larger than the list)."""
    if n <= 0 or n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


# --- a streaming OpenAI-compatible stub -------------------------------------------------------------------------
def _sse(delta: dict[str, str], finish: str | None = None) -> bytes:
    chunk = {"id": "bench", "object": "chat.completion.chunk", "created": 0, "model": STUB_MODEL,
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


class _StubHandler(BaseHTTPRequestHandler):
    """`POST …/chat/completions` with stream=true: the first SSE chunk goes out at once, with text in it."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real server: the client reuses its connection
    disable_nagle_algorithm = True  # every chunk leaves when written

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.endswith("/chat/completions"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = [_sse({"role": "assistant", "content": STUB_PIECES[0]})]
        events += [_sse({"content": piece}) for piece in STUB_PIECES[1:]]
        events += [_sse({}, "stop"), b"data: [DONE]\n\n"]
        for event in events:
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing its connection is no error
            super().handle_error(request, client_address)


@contextmanager
def stub_server() -> Iterator[str]:
    """The stub on a free loopback port, in a thread of this process; yields its base URL (…/v1)."""
    server = _StubServer(("127.0.0.1", 0), _StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


# --- the measurements, in a child process -----------------------------------------------------------------------
def floor_once(question: str, vector: list[float], indexes: list[Any], counts: list[int], keywords: list[Any],
               tokenizer: Any) -> tuple[float, float]:
    """(dense, keyword) seconds of the bare primitives over every department: one Chroma query with a precomputed
    vector, and tokenizing the question once plus one keyword search per department."""
    started = time.perf_counter()
    for index, count in zip(indexes, counts, strict=True):
        if count:
            index.chunks.query(query_embeddings=[vector], n_results=min(FLOOR_DEPTH, count), include=["distances"])
    between = time.perf_counter()
    tokens = tokenizer.tokenize(question)
    for ki in keywords:
        ki.search(tokens, FLOOR_DEPTH)
    return between - started, time.perf_counter() - between


def measure_retrieval(questions: list[str], warmup: int, indexes: list[Any], tokenizer: Any,
                      embedder: Any) -> dict[str, Any]:
    """Per question, interleaved (the order rotating): search() at dense weight 0 and 1.0, the floor, and, apart,
    the query embedding and the keyword-index stamp checks search() makes."""
    from bots.retrieval import HybridRetriever

    retrievers = {weight: HybridRetriever(indexes=indexes, tokenizer=tokenizer, dense_weight=weight)
                  for weight in (0.0, 1.0)}
    counts = [index.count() for index in indexes]
    keywords = [index.keyword_index() for index in indexes]
    times: dict[str, list[float]] = {key: [] for key in ("dense0", "dense1", "floor", "floor_dense", "floor_keyword",
                                                         "embed", "stamp_checks")}

    def run(question: str, rotation: int, keep: bool) -> None:
        began = time.perf_counter()
        vector = embedder.embed_query(question)
        embedded = time.perf_counter() - began
        began = time.perf_counter()
        for index in indexes:
            index.keyword_index()
        stamps = time.perf_counter() - began
        found: dict[str, float] = {}

        def timed_search(weight: float) -> Callable[[], None]:
            def call() -> None:
                began = time.perf_counter()
                retrievers[weight].search(question, K)
                found[f"dense{weight:.0f}"] = time.perf_counter() - began
            return call

        def floor() -> None:
            found["floor_dense"], found["floor_keyword"] = floor_once(question, vector, indexes, counts, keywords,
                                                                      tokenizer)
            found["floor"] = found["floor_dense"] + found["floor_keyword"]

        steps = [timed_search(0.0), timed_search(1.0), floor]
        for step in steps[rotation % 3:] + steps[:rotation % 3]:
            step()
        if keep:
            found.update(embed=embedded, stamp_checks=stamps)
            for key, seconds in found.items():
                times[key].append(seconds)

    for i, question in enumerate(questions[:warmup]):
        run(question, i, keep=False)
    for i, question in enumerate(questions):
        run(question, i, keep=True)
    result: dict[str, Any] = {key: _ms(values) for key, values in times.items()}
    for weight in ("dense0", "dense1"):
        result[f"ratio_{weight}"] = {p: result[weight][p] / result["floor"][p] for p in ("p50", "p95")}
    result["ratio_dense0_to_keyword_floor"] = {p: result["dense0"][p] / result["floor_keyword"][p]
                                               for p in ("p50", "p95")}
    return result


def _first_delta(events: Iterator[Any], is_text: Callable[[Any], bool]) -> float:
    """Seconds until the first text event (the clock started by the caller), then drain the rest untimed."""
    for event in events:
        if is_text(event):
            at = time.perf_counter()
            for _ in events:
                pass
            return at
    raise RuntimeError("bench: the stream ended without text")


def measure_ttft(questions: list[str], warmup: int, answerer: Any, generator: Any) -> dict[str, Any]:
    """Per question, interleaved: deptbot's `Answerer.stream` to its first Delta, and the same OpenAILike client
    streaming the bare question from the same stub to its first text."""
    from llama_index.core.llms import ChatMessage

    from bots.answer import Delta, Done

    def deptbot(question: str) -> float:
        started = time.perf_counter()
        at = _first_delta(answerer.stream(question), lambda e: isinstance(e, Delta))
        return at - started

    def direct(question: str) -> float:
        started = time.perf_counter()
        at = _first_delta(generator.llm.stream_chat([ChatMessage(role="user", content=question)]),
                          lambda piece: bool(piece.delta))
        return at - started

    for question in questions[:warmup]:
        deptbot(question)
        direct(question)
    pairs: list[tuple[float, float]] = []
    for i, question in enumerate(questions):  # the order alternates, so neither pays for the other's caches
        if i % 2:
            alone = direct(question)
            pairs.append((deptbot(question), alone))
        else:
            first = deptbot(question)
            pairs.append((first, direct(question)))
    # The stub's answer must reach the reader as an answer (not a refusal, not the extractive fallback).
    last = next(e for e in answerer.stream(questions[0]) if isinstance(e, Done)).answer
    deptbot_s, direct_s = [p[0] for p in pairs], [p[1] for p in pairs]
    result: dict[str, Any] = {"deptbot": _ms(deptbot_s), "direct": _ms(direct_s),
                              "overhead": _ms([a - b for a, b in pairs]),
                              "generator": last.trace.generator, "refused": last.refused}
    result["overhead_of_percentiles"] = {p: result["deptbot"][p] - result["direct"][p] for p in ("p50", "p95")}
    return result


def measure_child(data_dir: Path, questions: list[str], warmup: int, ttft_count: int) -> dict[str, Any]:
    """Everything measured over one data folder, in this (fresh) process: what one server process would hold."""
    from bots.answer import BotProfile
    from bots.generators import OpenAIChatGenerator
    from ui.settings import AnswerSettings, LLMSettings, Settings
    from ui.wiring import build_answerer, build_generator, build_services

    with stub_server() as base_url:
        settings = Settings(data_dir=data_dir, answer=AnswerSettings(min_evidence=0.0),
                            llm=LLMSettings(generator="openai", base_url=base_url, model=STUB_MODEL, stream=True))
        started = time.perf_counter()
        services = build_services(settings)
        departments = services.store.departments()
        generator = build_generator(settings, services.tokenizer)
        assert isinstance(generator, OpenAIChatGenerator)
        answerer = build_answerer(services, BotProfile(departments=departments), generator=generator,
                                  keep_traces=False)
        indexes = answerer.retriever.indexes
        for index in indexes:  # one set of department indexes, shared by every measurement below
            index.keyword_index()
        loaded_s = time.perf_counter() - started
        rss_loaded_kb = proc_kb("/proc/self/status", "VmRSS:")
        _progress(f"{data_dir}: {len(departments)} departments loaded in {loaded_s:.1f} s; retrieval")
        retrieval = measure_retrieval(questions, warmup, indexes, services.tokenizer, services.embedder)
        rss_retrieval_kb = proc_kb("/proc/self/status", "VmRSS:")
        _progress(f"{data_dir}: time to first token")
        ttft = measure_ttft(spread(questions, ttft_count), min(warmup, 5), answerer, generator)
    return {"departments": len(departments), "chunks": sum(index.count() for index in indexes),
            "embedder": services.embedder.id, "dense_weight_served": answerer.retriever.dense_weight,
            "load_s": loaded_s, "retrieval": retrieval, "ttft": ttft,
            "memory": {"rss_after_load_mb": rss_loaded_kb / 1024, "rss_after_retrieval_mb": rss_retrieval_kb / 1024,
                       "rss_end_mb": proc_kb("/proc/self/status", "VmRSS:") / 1024,
                       "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}


def run_child(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """measure_child in a fresh process; its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--data-dir", str(data_dir), "--questions",
               str(args.questions), "--warmup", str(args.warmup), "--ttft-questions", str(args.ttft_questions),
               "--limit", str(args.limit), "--measure-child"]
    child = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if child.returncode != 0 or not child.stdout.strip():
        sys.exit(f"bench: the measuring child failed (exit {child.returncode}); see its output above")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


# --- the replicated index -----------------------------------------------------------------------------------------
def build_big(source_dir: Path, big_dir: Path, target: int) -> dict[str, Any]:
    """Copies of every department of `source_dir` ("name-1", "name-2", …) until `target` chunks, in `big_dir`,
    written the product's way (store.open(create=True), bump_stamp, add_chunks, bump_stamp, keyword_index).

    Reused when `big_dir` holds a finished build of the same source counts and copies.
    """
    from connectors.chunk import Chunk
    from ui.settings import Settings
    from ui.wiring import build_services

    source = build_services(Settings(data_dir=source_dir))
    departments = source.store.departments()
    indexes = {name: source.store.open(name, source.embedder) for name in departments}
    counts = {name: index.count() for name, index in indexes.items()}
    copies = max(1, math.ceil(target / max(1, sum(counts.values()))))
    wanted = {"source": str(source_dir.resolve()), "source_counts": counts, "copies": copies,
              "embedder": source.embedder.id}
    marker = big_dir / _MARKER
    if marker.is_file():
        built = json.loads(marker.read_text(encoding="utf-8"))
        if {key: built.get(key) for key in wanted} == wanted:
            _progress(f"reusing the replicated index in {big_dir} ({built['chunks']:,} chunks)")
            return built | {"reused": True}
    shutil.rmtree(big_dir, ignore_errors=True)
    big = build_services(Settings(data_dir=big_dir))
    started = time.perf_counter()
    written = 0
    for name in departments:
        index = indexes[name]
        copies_of = [big.store.open(f"{name}-{r}", big.embedder, create=True) for r in range(1, copies + 1)]
        for copy in copies_of:
            copy.bump_stamp()
        for offset in range(0, counts[name], _PAGE):
            page = index.chunks.get(include=["documents", "metadatas", "embeddings"], limit=_PAGE, offset=offset)
            chunks = [Chunk.from_record(i, d or "", m or {})
                      for i, d, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)]
            vectors = np.asarray(page["embeddings"]).tolist()
            for copy in copies_of:
                renamed = [dataclasses.replace(chunk, department=copy.department) for chunk in chunks]
                for chunk in renamed:
                    chunk.assign_id()  # the id hashes the department: every copy gets its own ids
                copy.add_chunks(renamed, vectors)
                written += len(renamed)
            _progress(f"replicating {name}: {min(offset + _PAGE, counts[name]):,}/{counts[name]:,} chunks "
                      f"x {copies} ({written:,} written, {time.perf_counter() - started:.0f} s)")
        records = list(index.file_records().values())
        for copy in copies_of:
            if records:
                copy.put_file_records(records)
            copy.bump_stamp()
            copy.keyword_index()  # BM25 built from the copies' Chroma tokens and cached, as after a re-index
    built = wanted | {"chunks": written, "departments": len(departments) * copies,
                      "build_s": time.perf_counter() - started,
                      "date": datetime.now(UTC).isoformat(timespec="seconds")}
    marker.write_text(json.dumps(built, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return built | {"reused": False}


# --- the run ------------------------------------------------------------------------------------------------------
def code_fingerprint() -> str:
    """A hash of the bots/, connectors/ and ui/ sources, to tell which code a report measured (no git needed)."""
    digest = hashlib.sha256()
    for folder in ("bots", "connectors", "ui"):
        for path in sorted(REPO.glob(f"{folder}/**/*.py")):
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """The eval corpus, the replicated index (built or reused), each measured in its own child process."""
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
        "python": platform.python_version(), "machine": f"{platform.system()} {platform.machine()}",
        "load_average_1min_at_start": os.getloadavg()[0], "code_fingerprint": code_fingerprint(),
        "questions_file": str(args.questions), "questions": len(load_questions(args.questions)[: args.limit or None]),
        "warmup": args.warmup, "ttft_questions": args.ttft_questions, "k": K, "floor_depth": FLOOR_DEPTH,
        "goals": {"ratio": GOAL_RATIO, "p95_ms_big": GOAL_P95_MS, "ttft_overhead_ms": GOAL_TTFT_MS}}
    cpu: dict[str, dict[str, float]] = {}
    _progress(f"eval corpus {args.data_dir}")
    with others_cpu(cpu, "eval corpus"):
        results["eval"] = run_child(args, args.data_dir)
    if args.chunks > 0:
        _progress(f"replicated index of {args.chunks:,}+ chunks in {args.big_dir}")
        with others_cpu(cpu, "build"):
            results["build"] = build_big(args.data_dir, args.big_dir, args.chunks)
        with others_cpu(cpu, "replicated index"):
            results["big"] = run_child(args, args.big_dir)
    results["cpu_outside_benchmark"] = cpu
    results["code_changed_during_run"] = code_fingerprint() != results["code_fingerprint"]
    return results


# --- the report ---------------------------------------------------------------------------------------------------
def _row(label: str, p50: str, p95: str = "", note: str = "") -> str:
    return f"  {label:<58}{p50:>9}{p95:>9}  {note}".rstrip()


def _lat(label: str, figures: dict[str, float], note: str = "") -> str:
    return _row(label, f"{figures['p50']:.1f}", f"{figures['p95']:.1f}", note)


def _met(value: float, limit: float, strict: bool = False) -> str:
    ok = value < limit if strict else value <= limit
    return "met" if ok else "MISSED"


def render_part(title: str, part: dict[str, Any], big: bool) -> list[str]:
    """Retrieval, time to first token and memory over one index."""
    r, t, m = part["retrieval"], part["ttft"], part["memory"]
    ratio_note = f"goal <= {GOAL_RATIO:g}: p50 {_met(r['ratio_dense0']['p50'], GOAL_RATIO)}, " \
                 f"p95 {_met(r['ratio_dense0']['p95'], GOAL_RATIO)}"
    ratio1_note = f"goal <= {GOAL_RATIO:g}: p50 {_met(r['ratio_dense1']['p50'], GOAL_RATIO)}, " \
                  f"p95 {_met(r['ratio_dense1']['p95'], GOAL_RATIO)}"
    p95_note = (lambda key: f"goal p95 < {GOAL_P95_MS:g}: {_met(r[key]['p95'], GOAL_P95_MS, strict=True)}") \
        if big else (lambda key: "")
    return [
        f"{title}: {part['departments']} departments, {part['chunks']:,} chunks; embedder {part['embedder']}",
        _row(f"retrieval over all departments, {r['dense0']['n']} questions (ms)", "p50", "p95"),
        _lat(f"deptbot search(q, {K}), dense weight 0 (offline default)", r["dense0"], p95_note("dense0")),
        _lat(f"deptbot search(q, {K}), dense weight 1.0", r["dense1"], p95_note("dense1")),
        _lat(f"floor: Chroma query + keyword search, depth {FLOOR_DEPTH}", r["floor"]),
        _lat("  floor, Chroma query alone (vector given)", r["floor_dense"]),
        _lat("  floor, keyword search alone (incl. tokenizing)", r["floor_keyword"]),
        _lat("apart: query embedding (embed_query; not in the floor)", r["embed"]),
        _lat("apart: keyword_index() stamp check of every department", r["stamp_checks"]),
        _row("ratio deptbot / floor, dense weight 0", f"{r['ratio_dense0']['p50']:.2f}",
             f"{r['ratio_dense0']['p95']:.2f}", ratio_note),
        _row("ratio deptbot / floor, dense weight 1.0", f"{r['ratio_dense1']['p50']:.2f}",
             f"{r['ratio_dense1']['p95']:.2f}", ratio1_note),
        _row("ratio deptbot dense weight 0 / keyword part of the floor",
             f"{r['ratio_dense0_to_keyword_floor']['p50']:.2f}", f"{r['ratio_dense0_to_keyword_floor']['p95']:.2f}",
             "(it makes no Chroma query)"),
        _row(f"time to first token, {t['deptbot']['n']} questions (ms; dense weight "
             f"{part['dense_weight_served']:g} as served)", "p50", "p95"),
        _lat("deptbot: Answerer.stream() to the first Delta", t["deptbot"]),
        _lat("direct: same OpenAILike client and stub, no retrieval", t["direct"]),
        _lat("overhead deptbot - direct (per question)", t["overhead"],
             f"goal < {GOAL_TTFT_MS:g}: p95 {_met(t['overhead']['p95'], GOAL_TTFT_MS, strict=True)}"),
        _row("  answers came from / refused", t["generator"], str(t["refused"])),
        _row("memory of this serving process (MB)", "", ""),
        _row("RSS after loading the keyword indexes", f"{m['rss_after_load_mb']:.0f}", "",
             f"(load {part['load_s']:.1f} s)"),
        _row("RSS after the retrieval measurements", f"{m['rss_after_retrieval_mb']:.0f}"),
        _row("RSS at the end, after answering too", f"{m['rss_end_mb']:.0f}"),
        _row("peak RSS of the process (ru_maxrss)", f"{m['peak_rss_mb']:.0f}"),
    ]


def render(results: dict[str, Any]) -> str:
    """The whole report as a readable table."""
    head = [f"deptbot query benchmark — {results['date']}, {results['cores']} cores, Python {results['python']}, "
            f"code {results['code_fingerprint']}",
            f"questions {results['questions_file']}: {results['questions']} (warm-up {results['warmup']}, time to "
            f"first token over {results['ttft_questions']})",
            f"1-min load average at start {results['load_average_1min_at_start']:.2f} (other work on the machine "
            "skews every figure)"]
    if results["code_changed_during_run"]:
        head.append("WARNING: bots/, connectors/ or ui/ changed while the benchmark ran: the figures mix versions")
    lines = [*head, "", *render_part("Eval corpus", results["eval"], big=False)]
    if "big" in results:
        build = results["build"]
        how = "reused" if build["reused"] else f"built in {build['build_s']:.0f} s"
        lines += ["", *render_part(f"Replicated index ({build['copies']} copies of each department, {how})",
                                   results["big"], big=True)]
    lines += ["", "CPU used outside this benchmark while it ran (near 0 on a quiet machine; otherwise figures are "
              "skewed)"]
    for phase, cpu in results["cpu_outside_benchmark"].items():
        lines.append(_row(f"{phase}: other processes / steal (s)", f"{cpu['others_s']:.1f}", f"{cpu['steal_s']:.1f}",
                          f"over {cpu['wall_s']:.0f} s"))
    return "\n".join(lines)


# --- entry point --------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="deptbot query benchmark (see bench/README.md)")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="data folder with the eval corpus indexed (every department is searched)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS,
                        help="JSONL with a `question` field (default: ../shared/eval/questions/dev.jsonl)")
    parser.add_argument("--chunks", "--replicas", type=int, default=100_000, dest="chunks",
                        help="chunks of the replicated index (whole copies of the data folder, at least this many; "
                             "0: skip it)")
    parser.add_argument("--big-dir", type=Path, default=DEFAULT_BIG_DIR,
                        help=f"where the replicated index is built and cached (default {DEFAULT_BIG_DIR})")
    parser.add_argument("--warmup", type=int, default=10, help="questions asked first and not counted")
    parser.add_argument("--ttft-questions", type=int, default=50, help="questions for time to first token")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    parser.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with the hidden --measure-child, the measurements over one data folder)."""
    args = parse_args(argv)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"  # Chroma; the data folders' clients turn it off too
    forbid_network()
    if not (args.data_dir / "chroma").is_dir():
        sys.exit(f"bench: no index in {args.data_dir}; index the eval corpus first, e.g. "
                 f"`DEPTBOT_DATA_DIR={args.data_dir} deptbot reindex --all CORPUS`")
    if not args.questions.is_file():
        sys.exit(f"bench: no questions at {args.questions}; pass --questions PATH")
    questions = load_questions(args.questions)[: args.limit or None]
    if args.measure_child:
        print(json.dumps(measure_child(args.data_dir, questions, args.warmup, args.ttft_questions)))
        return
    results = benchmark(args)
    print(render(results))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
