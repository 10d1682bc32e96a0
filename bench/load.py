"""Load benchmark: N simulated staff asking a real `deptbot serve` over the JSON API at once.

    python bench/load.py [--generator extractive|stub] [--users 50] [--questions 1000] [--json OUT]
    python bench/load.py --url http://127.0.0.1:7860 --bot SLUG --username NAME --password-stdin [...]

Without `--url` the benchmark prepares a data folder with the command line exactly as tests/support/server.py does
(re-index `sample_manuals/`, register its four departments, add a staff user, create and publish a bot over all
four departments with visibility `staff`) and starts `python -m ui.cli serve` on it; with `--generator stub` the
server answers through `bench/stub_llm.py`, an OpenAI-compatible server streaming ~60 tokens at ~20 tokens/s after
~300 ms (the pace is set by flags). Every simulated user signs in once (`POST /api/session`, its own cookie jar
and connection), then `--users` workers ask `POST /api/bots/{slug}/ask` with the questions of
tests/data/sample_questions.jsonl, in turn, until `--questions` are answered; meanwhile cheap requests go out
every `--probe-interval` seconds, to show whether answering blocks the server for everybody else.

Figures (bench/README.md says what each one means): a single-user warm-up first (its p50/p95 is the yardstick),
then throughput, p50/p95/p99/max latency, errors by kind (non-200, exception, timeout after `--timeout` s),
probe latency under load against idle (GET /api/bots, a sync route served by the thread pool, and GET /docs,
an async route that only needs the event loop), the server's own time per answer (from its traces) and the time
answers waited before it, the server's CPU, threads and peak RSS from /proc, and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from machine import cpu_seconds, proc_kb

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SAMPLES = REPO / "sample_manuals"
DEFAULT_QUESTIONS = REPO / "tests" / "data" / "sample_questions.jsonl"
DEPARTMENTS = {"민원여권과": "civil-passport", "정보보호담당관": "privacy-office", "총무과": "general-affairs",
               "회계과": "accounting"}
BOT = {"slug": "bench-all", "name": "전 부서 도우미 (부하 측정)", "departments": list(DEPARTMENTS),
       "visibility": "staff", "description": "bench/load.py가 만든 봇"}
USERNAME = "bench-staff"
MARKER = "bench-load.json"  # in a data folder this script prepared (no password in it)
GOAL_P95_MS = 1000.0  # extractive generator, 50 concurrent users, the 2-core machine
# The probes sent while the load runs: GET /api/bots is a plain (sync) route, which FastAPI runs in its thread pool
# (as it does the ask route), after a registry look-up; GET /docs is an async route that needs nothing but the
# event loop. A slow /docs means a blocked event loop; a slow /api/bots alone, a starved thread pool.
PROBES = {"bots": "/api/bots", "loop": "/docs"}
START_TIMEOUT_S = 180.0
# The server's per-user and per-address question limits (20 and 120 a minute by default) would turn most of the
# load into HTTP 429: every simulated user asks as fast as it is answered, all from 127.0.0.1. The benchmark
# measures capacity, so it lifts them (settings that an older server does not know are ignored).
SERVER_ENV = {"DEPTBOT_ASK_PER_MINUTE": "1000000", "DEPTBOT_ASK_PER_MINUTE_ADDRESS": "1000000"}


# --- small helpers --------------------------------------------------------------------------------------------------
def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(seconds: list[float]) -> dict[str, float | int | None]:
    """n, mean, p50/p95/p99 (linear interpolation) and max, in milliseconds (None when there is nothing)."""
    if not seconds:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    values = np.asarray(seconds, dtype=float) * 1000
    return {"n": len(values), "mean": float(values.mean()), "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)), "p99": float(np.percentile(values, 99)),
            "max": float(values.max())}


def ratio(a: float | int | None, b: float | int | None) -> float | None:
    """a / b, or None when either is missing or b is 0."""
    return None if a is None or b is None or b == 0 else float(a) / float(b)


def load_questions(path: Path) -> list[str]:
    """The `question` field of every line of a JSONL file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["question"]) for line in lines if line.strip()]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def code_fingerprint() -> str:
    """A hash of the bots/, builder/, connectors/ and ui/ sources, to tell which code a report measured."""
    digest = hashlib.sha256()
    for folder in ("bots", "builder", "connectors", "ui"):
        for path in sorted(REPO.glob(f"{folder}/**/*.py")):
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"cores": os.cpu_count(), "memory_gb": round(proc_kb("/proc/meminfo", "MemTotal:") / 1024 ** 2, 1),
            "system": f"{platform.system()} {platform.machine()}", "python": platform.python_version(),
            "load_average_1min_at_start": os.getloadavg()[0]}


# --- processes: the server and the stub, their /proc figures -------------------------------------------------------
def proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system, and of children it waited for) a process used so far; 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any DEPTBOT_* variable, plus `extra`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")} | (extra or {})


def deptbot(*args: str, data: Path, stdin: str | None = None) -> str:
    """Run a deptbot command on the data folder; its standard output (stops the benchmark when it fails)."""
    command = [sys.executable, "-m", "ui.cli", *args, "--data-dir", str(data)]
    done = subprocess.run(command, input=stdin, text=True, capture_output=True, timeout=600, cwd=REPO, env=_env())
    if done.returncode != 0:
        sys.exit(f"bench: `deptbot {' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def prepare(data: Path, password: str) -> dict[str, float]:
    """A data folder as tests/support/server.py makes one, with the command line (reused when this script prepared
    it before: only the staff user's password is set again). Seconds per step."""
    steps: dict[str, float] = {}
    if (data / MARKER).is_file():
        began = time.perf_counter()
        deptbot("users", "passwd", USERNAME, "--password-stdin", data=data, stdin=password + "\n")
        steps["password"] = time.perf_counter() - began
        return steps
    if data.exists() and any(data.iterdir()):
        sys.exit(f"bench: {data} is not empty and was not prepared by bench/load.py; give an empty or new folder")
    data.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    deptbot("reindex", "--all", str(SAMPLES), data=data)
    steps["reindex"] = time.perf_counter() - began
    began = time.perf_counter()
    for name, slug in DEPARTMENTS.items():
        deptbot("departments", "add", name, "--slug", slug, data=data)
    deptbot("users", "add", USERNAME, "--role", "staff", "--department", "총무과", "--password-stdin", data=data,
            stdin=password + "\n")
    definition = data.parent / f"{data.name}-bot.json"
    definition.write_text(json.dumps(BOT, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(definition), data=data)
    definition.unlink()
    deptbot("bots", "publish", str(BOT["slug"]), data=data)
    steps["registry"] = time.perf_counter() - began
    (data / MARKER).write_text(json.dumps({"bot": BOT["slug"], "username": USERNAME,
                                           "date": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n",
                               encoding="utf-8")
    return steps


@dataclass
class Child:
    """A process this benchmark started, in its own process group, with its output in a file."""

    process: subprocess.Popen[str]
    log: Path

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.process.pid

    def tail(self, chars: int = 3000) -> str:
        """The end of what it printed."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to its group if it has not ended after 15 s (uvicorn waits for open requests)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def start(command: list[str], log: Path, env: dict[str, str]) -> Child:
    """Start a process in its own session (its group goes with it), output to `log`."""
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env,
                                   start_new_session=True)
    return Child(process, log)


def start_stub(folder: Path, args: argparse.Namespace) -> tuple[Child, str]:
    """bench/stub_llm.py on a free port; (the process, its base URL …/v1)."""
    stub = start([sys.executable, str(BENCH / "stub_llm.py"), "--ttft", str(args.stub_ttft), "--tokens-per-s",
                  str(args.stub_tokens_per_s), "--tokens", str(args.stub_tokens)], folder / "stub.log", _env())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        first = stub.tail().splitlines()[:1]
        if first and first[0].startswith("stub: "):
            return stub, first[0].split(" ", 1)[1]
        if stub.process.poll() is not None:
            break
        time.sleep(0.1)
    stub.stop()
    sys.exit(f"bench: the LLM stub did not start:\n{stub.tail()}")


def start_server(data: Path, folder: Path, env: dict[str, str]) -> tuple[Child, str]:
    """`python -m ui.cli serve` on a free port until /docs answers 200; (the process, its base URL)."""
    port = free_port()
    server = start([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)],
                   folder / "server.log", env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/docs", timeout=5).status_code == 200:
                return server, base
        if server.process.poll() is not None:
            break
        time.sleep(0.25)
    server.stop()
    sys.exit(f"bench: deptbot serve did not start:\n{server.tail()}")


class Sampler:
    """The server's resident memory and threads, sampled from /proc while the benchmark runs."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.rss_kb_max = 0
        self.threads_max = 0

    def sample(self) -> None:
        """One reading."""
        if self.pid is not None:
            status = f"/proc/{self.pid}/status"
            self.rss_kb_max = max(self.rss_kb_max, proc_kb(status, "VmRSS:"))
            self.threads_max = max(self.threads_max, proc_kb(status, "Threads:"))

    def peak_rss_mb(self) -> float | None:
        """The kernel's high-water mark of the process's RSS (VmHWM: exact), in MB."""
        return proc_kb(f"/proc/{self.pid}/status", "VmHWM:") / 1024 if self.pid is not None else None

    def rss_mb(self) -> float | None:
        """Its RSS now, in MB."""
        return proc_kb(f"/proc/{self.pid}/status", "VmRSS:") / 1024 if self.pid is not None else None

    async def run(self, stop: asyncio.Event, every: float = 0.25) -> None:
        """Sample until `stop` is set."""
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


@dataclass
class CpuWindow:
    """CPU seconds of the machine, the benchmark, the server and the stub over one phase."""

    pids: dict[str, int | None]
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        busy, steal, _ = cpu_seconds()
        return {"machine": busy, "steal": steal, "benchmark": time.process_time(), "wall": time.perf_counter()} | {
            name: proc_cpu(pid) for name, pid in self.pids.items()}

    def __enter__(self) -> CpuWindow:
        self.start = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._now()
        self.used = {key: end[key] - self.start[key] for key in end}
        ours = sum(self.used[key] for key in ("benchmark", *self.pids))
        self.used["others"] = max(0.0, self.used["machine"] - ours)


# --- the load -------------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """One request: when it started (s from the phase's start), how long it took, how it ended."""

    started: float
    seconds: float
    status: int = 0
    error: str = ""  # "" when it succeeded; else "timeout", "HTTP 503", an exception's class name, "bad body"
    trace_id: str = ""
    refused: bool = False
    notice: bool = False


def client(base: str, timeout: float, connections: int | None = 4) -> httpx.AsyncClient:
    """One simulated user: its own connections and cookie jar.

    An idle connection is not reused after 4 s: uvicorn closes it after 5 s, and a request sent as it does so
    fails (ReadError) without the server having seen it, an artefact of the client rather than a server error.
    """
    return httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(timeout),
                             limits=httpx.Limits(max_connections=connections, keepalive_expiry=4.0))


async def sign_in(user: httpx.AsyncClient, username: str, password: str) -> float:
    """POST /api/session (the cookie stays in the client); seconds it took."""
    began = time.perf_counter()
    response = await user.post("/api/session", json={"username": username, "password": password})
    if response.status_code != 200:
        raise SystemExit(f"bench: sign-in as {username} failed: HTTP {response.status_code} {response.text[:200]}")
    return time.perf_counter() - began


async def timed(user: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None, timeout: float,
                origin: float) -> Outcome:
    """One request, timed to its last byte; every failure becomes an error kind."""
    began = time.perf_counter()
    outcome = Outcome(started=began - origin, seconds=0.0)
    try:
        async with asyncio.timeout(timeout):
            response = await user.request(method, path, json=body)
        outcome.status = response.status_code
        if response.status_code != 200:
            outcome.error = f"HTTP {response.status_code}"
        elif body is not None:
            payload = response.json()
            if not isinstance(payload, dict) or "answer" not in payload:
                outcome.error = "bad body"
            else:
                outcome.trace_id = str(payload.get("trace_id") or "")
                outcome.refused, outcome.notice = bool(payload.get("refused")), bool(payload.get("notice"))
    except (TimeoutError, httpx.TimeoutException):
        outcome.error = "timeout"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        outcome.error = type(exc).__name__
    outcome.seconds = time.perf_counter() - began
    return outcome


def ask_path(slug: str) -> str:
    """The ask endpoint of a bot."""
    return f"/api/bots/{slug}/ask"


async def single_user(user: httpx.AsyncClient, slug: str, questions: list[str], count: int,
                      timeout: float) -> list[Outcome]:
    """`count` questions one after the other by one user."""
    origin = time.perf_counter()
    return [await timed(user, "POST", ask_path(slug), {"question": questions[i % len(questions)]}, timeout, origin)
            for i in range(count)]


async def probes(user: httpx.AsyncClient, path: str, interval: float, stop: asyncio.Event, timeout: float,
                 origin: float, into: list[Outcome]) -> None:
    """A GET of `path` every `interval` seconds, each on its own (a stalled server piles them up) until `stop`."""
    pending: set[asyncio.Task[None]] = set()

    async def one() -> None:
        into.append(await timed(user, "GET", path, None, timeout, origin))

    while not stop.is_set():
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
    if pending:
        await asyncio.wait(pending)


async def load(users: list[httpx.AsyncClient], prober: httpx.AsyncClient, slug: str, questions: list[str],
               total: int, args: argparse.Namespace, sampler: Sampler) -> dict[str, Any]:
    """Every user asks in turn until `total` questions were asked; probes and /proc samples meanwhile."""
    counter = itertools.count()
    answers: list[Outcome] = []
    probe_outcomes: dict[str, list[Outcome]] = {name: [] for name in PROBES}
    stop = asyncio.Event()
    origin = time.perf_counter()
    done_at: list[float] = []

    async def worker(user: httpx.AsyncClient) -> None:
        while (i := next(counter)) < total:
            answers.append(await timed(user, "POST", ask_path(slug), {"question": questions[i % len(questions)]},
                                       args.timeout, origin))
            done_at.append(time.perf_counter() - origin)
            if len(done_at) % 100 == 0:
                _progress(f"{len(done_at)}/{total} questions, {sum(1 for a in answers if a.error)} errors, "
                          f"{done_at[-1]:.0f} s")

    background = [asyncio.create_task(probes(prober, path, args.probe_interval, stop, args.timeout, origin,
                                             probe_outcomes[name])) for name, path in PROBES.items()]
    background.append(asyncio.create_task(sampler.run(stop)))
    await asyncio.gather(*(worker(user) for user in users))
    duration = time.perf_counter() - origin
    stop.set()
    await asyncio.gather(*background)
    return {"answers": answers, "probes": probe_outcomes, "duration_s": duration}


# --- traces: the server's own time per answer ----------------------------------------------------------------------
def read_traces(data: Path | None) -> dict[str, dict[str, Any]]:
    """Every trace of the data folder by id: its timings (ms), generator and fallback."""
    found: dict[str, dict[str, Any]] = {}
    if data is None:
        return found
    for path in sorted((data / "traces").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, KeyError):
                row = json.loads(line)
                found[row["id"]] = {"timings_ms": row.get("timings_ms") or {}, "generator": row.get("generator"),
                                    "fallback": bool(row.get("fallback"))}
    return found


def service_figures(outcomes: list[Outcome], traces: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per answered request: the server's time inside the answerer (trace `total`) and the rest of the latency
    (waiting for the answering lock or a worker thread, HTTP, JSON), with the generators that answered."""
    service, waited, first_token = [], [], []
    generators: Counter[str] = Counter()
    for outcome in outcomes:
        trace = traces.get(outcome.trace_id)
        if outcome.error or trace is None or "total" not in trace["timings_ms"]:
            continue
        total = trace["timings_ms"]["total"] / 1000
        service.append(total)
        waited.append(max(0.0, outcome.seconds - total))
        if "first_token" in trace["timings_ms"]:
            first_token.append(trace["timings_ms"]["first_token"] / 1000)
        name = str(trace["generator"] or "none (refused on evidence)")
        generators[name + (" after a fallback" if trace["fallback"] else "")] += 1
    answered = [o for o in outcomes if not o.error]
    # A trace id the privacy mask mangled in the trace file (a run of digits that looks like a phone number)
    # cannot be found: that answer's time inside the answerer is unknown (and its feedback cannot be recorded).
    unmatched = sum(1 for o in answered if o.trace_id not in traces) if traces else 0
    return {"service_ms": summary(service), "outside_ms": summary(waited), "first_token_ms": summary(first_token),
            "generators": dict(generators), "traces_not_found": unmatched}


def outcome_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """Latency of the successful requests and of all of them (a failure at the time it took), errors by kind."""
    ok = [o.seconds for o in outcomes if not o.error]
    return {"requests": len(outcomes), "ok": len(ok), "latency_ms": summary(ok),
            "latency_all_ms": summary([o.seconds for o in outcomes]),
            "errors": dict(Counter(o.error for o in outcomes if o.error)),
            "errors_first_at_s": {kind: min(o.started for o in outcomes if o.error == kind)
                                  for kind in {o.error for o in outcomes if o.error}},
            "refused": sum(1 for o in outcomes if o.refused and not o.error),
            "with_notice": sum(1 for o in outcomes if o.notice and not o.error)}


# --- the run -------------------------------------------------------------------------------------------------------
async def measure(base: str, slug: str, username: str, password: str, questions: list[str],
                  args: argparse.Namespace, pids: dict[str, int | None], data: Path | None,
                  stub_url: str | None) -> dict[str, Any]:
    """Cold first answer, idle probes, single-user warm-up, sign-ins, the load; with the server's figures."""
    results: dict[str, Any] = {}
    sampler = Sampler(pids.get("server"))
    timeout = args.timeout
    # The prober has no connection limit: probes piling up on a stalled server each wait on their own connection,
    # never in the client's pool.
    prober, first = client(base, timeout, connections=None), client(base, timeout)
    users: list[httpx.AsyncClient] = []
    try:
        await sign_in(prober, username, password)
        await sign_in(first, username, password)
        sampler.sample()
        results["rss_mb_before_first_answer"] = sampler.rss_mb()
        cold = await timed(first, "POST", ask_path(slug), {"question": questions[0]}, START_TIMEOUT_S,
                           time.perf_counter())
        if cold.error:
            raise SystemExit(f"bench: the first question failed ({cold.error})")
        results["cold_first_answer_ms"] = cold.seconds * 1000
        for name, path in PROBES.items():
            idle = [await timed(prober, "GET", path, None, timeout, 0.0) for _ in range(args.idle_probes)]
            results[f"probe_{name}_idle"] = outcome_figures(idle)
        _progress(f"single user: {args.warmup} questions one after the other")
        with CpuWindow(pids) as window:
            warm = await single_user(first, slug, questions, args.warmup, timeout)
        traces = read_traces(data)
        results["single_user"] = outcome_figures(warm) | service_figures(warm, traces) | {
            "duration_s": window.used["wall"], "cpu_s": window.used}
        sampler.sample()
        results["rss_mb_after_single_user"] = sampler.rss_mb()
        results["peak_rss_mb_after_single_user"] = sampler.peak_rss_mb()
        _progress(f"signing in {args.users} users at once")
        users = [first] + [client(base, timeout) for _ in range(args.users - 1)]
        began = time.perf_counter()
        sign_ins = await asyncio.gather(*(sign_in(user, username, password) for user in users[1:]))
        results["sign_in"] = {"wall_s": time.perf_counter() - began, "latency_ms": summary(list(sign_ins))}
        sampler.sample()
        results["peak_rss_mb_after_sign_in"] = sampler.peak_rss_mb()
        _progress(f"load: {args.users} users, {args.questions} questions")
        with CpuWindow(pids) as window:
            ran = await load(users, prober, slug, questions, args.questions, args, sampler)
        traces = read_traces(data)
        results["load"] = outcome_figures(ran["answers"]) | service_figures(ran["answers"], traces) | {
            "duration_s": ran["duration_s"], "cpu_s": window.used}
        for name in PROBES:
            results[f"probe_{name}_load"] = outcome_figures(ran["probes"][name])
        # Every request of the load, for a timeline: [started s, seconds, status, error].
        results["requests"] = {name: [[round(o.started, 3), round(o.seconds, 4), o.status, o.error] for o in rows]
                               for name, rows in [("answers", ran["answers"]),
                                                  *((f"probe_{n}", ran["probes"][n]) for n in PROBES)]}
        results["server"] = {"peak_rss_mb": sampler.peak_rss_mb(), "rss_mb_end": sampler.rss_mb(),
                             "rss_mb_max_sampled": sampler.rss_kb_max / 1024 if sampler.pid else None,
                             "threads_max_sampled": sampler.threads_max if sampler.pid else None}
        if stub_url is not None:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                results["stub"] = httpx.get(stub_url.removesuffix("/v1") + "/stats", timeout=5).json()
    finally:
        for user in {id(u): u for u in [prober, first, *users]}.values():
            await user.aclose()
    return results


def derive(results: dict[str, Any]) -> None:
    """Throughput and the ratios to the single-user yardstick."""
    single, under = results["single_user"], results["load"]
    duration = under["duration_s"]
    under["throughput_per_s"] = under["ok"] / duration if duration else None
    single_mean = single["latency_ms"]["mean"]
    # What a server answering strictly one question at a time would manage: 1 / single-user mean latency.
    serial = 1000 / single_mean if single_mean else None
    users = results["users"]
    results["ratios"] = {
        "p50_load_to_single": ratio(under["latency_ms"]["p50"], single["latency_ms"]["p50"]),
        "p95_load_to_single": ratio(under["latency_ms"]["p95"], single["latency_ms"]["p95"]),
        "throughput_to_serial": ratio(under["throughput_per_s"], serial),
        "serial_throughput_per_s": serial,
        **{f"probe_{name}_p95_load_to_idle": ratio(results[f"probe_{name}_load"]["latency_all_ms"]["p95"],
                                                   results[f"probe_{name}_idle"]["latency_ms"]["p95"])
           for name in PROBES},
        "server_cores_busy": ratio(under["cpu_s"].get("server"), duration),
        # Little's law: with every user always waiting, mean latency = users / throughput.
        "littles_law_mean_ms": ratio(users * 1000, under["throughput_per_s"]),
        "service_p50_load_to_single": ratio(under["service_ms"]["p50"], single["service_ms"]["p50"]),
    }


def benchmark(args: argparse.Namespace, questions: list[str]) -> dict[str, Any]:
    """Set up (unless --url), run the measurements, tear down."""
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "code_fingerprint": code_fingerprint(),
        "machine": machine(), "users": args.users, "questions": args.questions, "warmup": args.warmup,
        "timeout_s": args.timeout, "probe_interval_s": args.probe_interval, "questions_file": str(args.questions_file),
        "distinct_questions": len(questions), "goal_p95_ms": GOAL_P95_MS}
    if args.url:
        results |= {"mode": args.generator if args.generator_given else "external", "url": args.url}
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else os.environ.get("BENCH_PASSWORD", "")
        pids: dict[str, int | None] = {"server": args.server_pid}
        results |= asyncio.run(measure(args.url, args.bot, args.username, password, questions, args, pids,
                                       args.server_data_dir, None))
        derive(results)
        results["code_changed_during_run"] = code_fingerprint() != results["code_fingerprint"]
        return results
    results["mode"] = args.generator
    folder = Path(tempfile.mkdtemp(prefix="bench_load_"))
    data = args.data_dir or folder / "data"
    password = secrets.token_urlsafe(18)
    children: list[Child] = []
    try:
        _progress(f"preparing {data} with the command line")
        results["setup_s"] = prepare(data, password)
        env = _env(SERVER_ENV)
        stub_url = None
        if args.generator == "stub":
            stub, stub_url = start_stub(folder, args)
            children.append(stub)
            env |= {"DEPTBOT_LLM__GENERATOR": "openai", "DEPTBOT_LLM__BASE_URL": stub_url,
                    "DEPTBOT_LLM__MODEL": "stub"}
            results["stub_pace"] = {"ttft_s": args.stub_ttft, "tokens_per_s": args.stub_tokens_per_s,
                                    "tokens": args.stub_tokens}
        results["server_env"] = {k: v for k, v in env.items() if k.startswith("DEPTBOT_")}
        began = time.perf_counter()
        server, base = start_server(data, folder, env)
        children.append(server)
        results["setup_s"]["server_start"] = time.perf_counter() - began
        pids = {"server": server.pid, "stub": children[0].pid if stub_url else None}
        results |= asyncio.run(measure(base, str(BOT["slug"]), USERNAME, password, questions, args, pids, data,
                                       stub_url))
        derive(results)
        if server.process.poll() is not None:
            results["server_died"] = server.tail()
    finally:
        for child in reversed(children):
            child.stop()
        if args.keep or args.data_dir:
            _progress(f"kept {folder} (server.log) and the data folder {data}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    results["code_changed_during_run"] = code_fingerprint() != results["code_fingerprint"]
    return results


# --- the report ---------------------------------------------------------------------------------------------------
def _f(value: float | int | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _row(label: str, *cells: str, note: str = "") -> str:
    return (f"  {label:<50}" + "".join(f"{c:>9}" for c in cells) + f"  {note}").rstrip()


def _lat(label: str, figures: dict[str, Any], note: str = "") -> str:
    return _row(label, _f(figures["n"]), *(_f(figures[k]) for k in ("p50", "p95", "p99", "max")), note=note)


def _errors(figures: dict[str, Any]) -> str:
    errors = figures["errors"]
    return ", ".join(f"{kind} {count}" for kind, count in sorted(errors.items())) if errors else "none"


def render(results: dict[str, Any]) -> str:
    """The whole report as a readable table."""
    m, single, under, r = results["machine"], results["single_user"], results["load"], results["ratios"]
    head = [f"deptbot load benchmark — {results['date']}, mode {results['mode']}, {m['cores']} cores, "
            f"{m['memory_gb']:g} GB, {m['system']}, Python {m['python']}, code {results['code_fingerprint']}",
            f"{results['users']} users, {results['questions']} questions ({results['distinct_questions']} distinct "
            f"from {Path(results['questions_file']).name}), timeout {results['timeout_s']:g} s, probes "
            f"GET /api/bots and GET /docs every {results['probe_interval_s']:g} s each",
            f"1-min load average at start {m['load_average_1min_at_start']:.2f} (other work on the machine skews "
            "every figure)"]
    if "stub_pace" in results:
        pace = results["stub_pace"]
        head.append(f"LLM stub: first token after {pace['ttft_s']:g} s, then {pace['tokens_per_s']:g} tokens/s for "
                    f"{pace['tokens']} tokens (≈ {pace['ttft_s'] + (pace['tokens'] - 1) / pace['tokens_per_s']:.1f} s "
                    "per answer)")
    if results.get("server_env"):
        head.append("server settings: " + " ".join(f"{k}={v}" for k, v in results["server_env"].items()))
    if "setup_s" in results:
        head.append("set-up (s): " + ", ".join(f"{k} {v:.1f}" for k, v in results["setup_s"].items()))
    if results.get("code_changed_during_run"):
        head.append("WARNING: bots/, builder/, connectors/ or ui/ changed while the benchmark ran")
    if results.get("server_died"):
        head.append("WARNING: the server ended during the run:\n" + results["server_died"])
    cells = ("n", "p50", "p95", "p99", "max")
    p95_note = ""
    if results["mode"] == "extractive" and under["latency_ms"]["p95"] is not None:
        met = under["latency_ms"]["p95"] < GOAL_P95_MS and not under["errors"]
        p95_note = f"goal p95 < {GOAL_P95_MS:g} and no errors: {'met' if met else 'MISSED'}"
    lines = [*head, "",
             f"Single user, {results['warmup']} questions one after the other (the yardstick); first answer of the "
             f"server (cold) {_f(results['cold_first_answer_ms'])} ms",
             _row("latency (ms)", *cells),
             _lat("answer, as the user waits", single["latency_ms"]),
             _lat("  inside the answerer (server trace `total`)", single["service_ms"]),
             _lat("  first token inside the answerer", single["first_token_ms"]),
             _row("errors", _errors(single)),
             "",
             f"Load: {results['users']} users at once, {under['requests']:,} questions in "
             f"{under['duration_s']:.1f} s",
             _row("throughput (answers/s)", _f(under["throughput_per_s"], 2),
                  note=f"{_f(r['throughput_to_serial'], 2)} x a strictly serial server "
                       f"({_f(r['serial_throughput_per_s'], 2)}/s = 1 / single-user mean)"),
             _row("errors", _errors(under), note=f"of {under['requests']:,} requests"),
             _row("answered / refused / with a notice (fallback)", f"{under['ok']:,}", f"{under['refused']:,}",
                  f"{under['with_notice']:,}"),
             _row("latency (ms)", *cells),
             _lat("answer, as the user waits (successful)", under["latency_ms"], p95_note),
             _lat("  every request, a failure at its time", under["latency_all_ms"]),
             _lat("  inside the answerer (server trace `total`)", under["service_ms"]),
             _lat("  outside it: queueing, HTTP, JSON", under["outside_ms"]),
             _lat("  first token inside the answerer", under["first_token_ms"]),
             _row("ratio load / single user, p50 and p95", _f(r["p50_load_to_single"], 1),
                  _f(r["p95_load_to_single"], 1)),
             _row("ratio answerer time load / single user, p50", _f(r["service_p50_load_to_single"], 2)),
             _row("Little's law: users / throughput (ms)", _f(r["littles_law_mean_ms"]),
                  note=f"mean latency measured {_f(under['latency_ms']['mean'])} ms"),
             _row("answers by generator", ", ".join(f"{k} {v}" for k, v in sorted(under["generators"].items()))
                  or "-"),
             _row("answers whose trace was not found", _f(under["traces_not_found"]),
                  note="trace id masked as a phone number in the trace file"),
             "",
             "Isolation: cheap requests while the load runs (GET /docs: event loop only; GET /api/bots: thread pool "
             "+ registry)",
             _row("latency (ms)", *cells),
             _lat("GET /docs idle, before the load", results["probe_loop_idle"]["latency_ms"]),
             _lat("GET /docs under load (a failure at its time)", results["probe_loop_load"]["latency_all_ms"],
                  f"errors: {_errors(results['probe_loop_load'])}"),
             _lat("GET /api/bots idle, before the load", results["probe_bots_idle"]["latency_ms"]),
             _lat("GET /api/bots under load (a failure at its time)", results["probe_bots_load"]["latency_all_ms"],
                  f"errors: {_errors(results['probe_bots_load'])}"),
             _row("ratio p95 under load / idle: /docs, /api/bots", _f(r["probe_loop_p95_load_to_idle"], 1),
                  _f(r["probe_bots_p95_load_to_idle"], 1)),
             ""]
    server, cpu = results["server"], under["cpu_s"]
    lines += ["Server process (/proc) and CPU",
              _row("sign-in of the users at once: wall s / p95 ms", _f(results["sign_in"]["wall_s"], 1),
                   _f(results["sign_in"]["latency_ms"]["p95"])),
              _row("RSS before the first answer (MB)", _f(results["rss_mb_before_first_answer"])),
              _row("peak RSS after the single user (MB)", _f(results["peak_rss_mb_after_single_user"])),
              _row("peak RSS after the sign-ins (MB)", _f(results["peak_rss_mb_after_sign_in"]),
                   note="argon2 hashes 64 MiB per sign-in"),
              _row("peak RSS at the end (VmHWM) / RSS at the end (MB)", _f(server["peak_rss_mb"]),
                   _f(server["rss_mb_end"])),
              _row("threads, most seen", _f(server["threads_max_sampled"])),
              _row("CPU s during the load: server / benchmark / stub", _f(cpu.get("server"), 1),
                   _f(cpu.get("benchmark"), 1), _f(cpu.get("stub"), 1)),
              _row("server cores busy (CPU s / wall s)", _f(r["server_cores_busy"], 2),
                   note=f"of {m['cores']} cores"),
              _row("CPU s of other processes / steal during the load", _f(cpu.get("others"), 1),
                   _f(cpu.get("steal"), 1), note="near 0 on a quiet machine")]
    if "stub" in results:
        stub = results["stub"]
        lines.append(_row("LLM stub: requests / most answered at once", _f(stub.get("requests")),
                          _f(stub.get("peak_active")),
                          note="1: calls serialised; 40: FastAPI's default thread pool is the limit"))
    return "\n".join(lines)


# --- entry point --------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="deptbot load benchmark (see bench/README.md)")
    parser.add_argument("--generator", choices=("extractive", "stub"), default=None,
                        help="extractive (default) or stub: an OpenAI-compatible server streaming slowly")
    parser.add_argument("--users", type=int, default=50, help="simulated staff asking at once (default 50)")
    parser.add_argument("--questions", type=int, default=1000, help="questions asked under load (default 1000)")
    parser.add_argument("--warmup", type=int, default=20, help="single-user questions asked first (default 20)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as an error")
    parser.add_argument("--probe-interval", type=float, default=0.5,
                        help="seconds between probes (GET /api/bots and GET /docs, each)")
    parser.add_argument("--idle-probes", type=int, default=20, help="probes before the load (the idle yardstick)")
    parser.add_argument("--questions-file", type=Path, default=DEFAULT_QUESTIONS,
                        help="JSONL with a `question` field (default tests/data/sample_questions.jsonl)")
    parser.add_argument("--stub-ttft", type=float, default=0.3, help="stub: seconds to the first token")
    parser.add_argument("--stub-tokens-per-s", type=float, default=20.0, help="stub: tokens per second")
    parser.add_argument("--stub-tokens", type=int, default=60, help="stub: tokens per answer")
    parser.add_argument("--data-dir", type=Path, help="prepare (or reuse, when this script prepared it) this "
                        "data folder instead of a temporary one; it is kept")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data, server.log)")
    parser.add_argument("--url", help="measure a running server instead (no set-up, no stub)")
    parser.add_argument("--bot", default=str(BOT["slug"]), help="--url: the bot to ask")
    parser.add_argument("--username", default=USERNAME, help="--url: the account every simulated user signs in as")
    parser.add_argument("--password-stdin", action="store_true",
                        help="--url: read the password from standard input (else $BENCH_PASSWORD)")
    parser.add_argument("--server-pid", type=int, help="--url: the server's process id, for its CPU and memory")
    parser.add_argument("--server-data-dir", type=Path, help="--url: the server's data folder (read only: its "
                        "answer traces give the time inside the answerer)")
    parser.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    args.generator_given = args.generator is not None
    args.generator = args.generator or "extractive"
    if args.users < 1 or args.questions < 1 or args.timeout <= 0:
        parser.error("--users and --questions must be at least 1, --timeout positive")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and with --json write) its figures."""
    args = parse_args(argv)
    if not args.questions_file.is_file():
        sys.exit(f"bench: no questions at {args.questions_file}; pass --questions-file PATH")
    questions = load_questions(args.questions_file)
    results = benchmark(args, questions)
    print(render(results))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
