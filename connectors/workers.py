"""Parsing in worker processes, each file under a time and a memory limit.

The web server re-indexes every builder upload, so a hostile file (a 10 MB TXT, a DOCX with 100 MB of XML, a
zip that inflates to gigabytes) must not be parsed in it: it would stall answers for minutes and swell the server
by gigabytes. Files go to long-lived worker processes instead; a worker over the time limit is killed, a file over
the memory limit gets a MemoryError inside its worker, and a worker that dies fails only its own file. A scanned
page read by OCR adds its own limit to its file's (the worker says so before the page), so a long scan is not
failed for being many pages.

Workers are fresh interpreters (never fork: the parent holds Chroma's and kiwipiepy's native threads), started
with subprocess rather than multiprocessing's "spawn": on POSIX that also starts multiprocessing's resource
tracker, a process that stays as long as the parent does, pool closed or not. They talk to the pool over a
multiprocessing.Pipe connection; PR_SET_PDEATHSIG kills them with their parent, however it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from connectors.errors import ParseError
from connectors.ingest import ParsedFile, _Task, process_file
from connectors.parsers import ocr

log = logging.getLogger(__name__)
# How deptbot's processes log (the server and command line in ui.wiring, the parsing workers here).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# A fresh worker imports the parsers and loads the Kiwi model (about 4 s, more on a busy machine) before its
# first file: that time does not count against the file's limit, but a worker that never gets ready is given up.
_STARTUP_SECONDS = 120.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_MB = 1024 * 1024
_RESAVE = "파일을 나누거나 원본 프로그램에서 다시 저장해 올려 주세요"


def time_limit_error(file: str, seconds: float) -> str:
    """The Korean failure of a file whose parse ran over the time limit."""
    return ParseError(file, f"문서를 읽는 데 {seconds:g}초 한도를 넘었습니다 (너무 크거나 구조가 비정상적인 파일)",
                      f"{_RESAVE} (한도 조정은 관리자에게: DEPTBOT_PARSE_TIMEOUT_SECONDS)").message


def memory_limit_error(file: str, megabytes: int) -> str:
    """The Korean failure of a file whose parse needed more memory than the limit."""
    return ParseError(file, f"문서를 읽는 데 메모리 한도 {megabytes}MB를 넘었습니다 (너무 크거나 구조가 비정상적인 "
                      "파일)", f"{_RESAVE} (한도 조정은 관리자에게: DEPTBOT_PARSE_MEMORY_MB)").message


def crash_error(file: str) -> str:
    """The Korean failure of a file whose worker process died (a native crash, or killed by the kernel)."""
    return ParseError(file, "문서를 읽던 프로세스가 비정상 종료했습니다 (손상되었거나 너무 복잡한 파일)",
                      "원본 프로그램에서 다시 저장해 올려 주세요").message


def interrupted_error(file: str) -> str:
    """The Korean failure of a file still waiting or being parsed when the pool was closed."""
    return ParseError(file, "문서를 읽는 중에 색인이 중단되었습니다 (서버 종료 또는 작업 취소)",
                      "다시 색인해 주세요").message


def _failed(task: _Task, error: str) -> ParsedFile:
    return ParsedFile(file=task.file, department=task.department, sha256=task.sha256, error=error)


@dataclass(eq=False)
class _Job:
    """One `run` call: its files not handed out yet (biggest first) and the queue its outcomes go to."""

    pending: deque[_Task]
    outcomes: SimpleQueue[ParsedFile] = field(default_factory=SimpleQueue)
    retried: set[int] = field(default_factory=set)  # ids of tasks already given a second worker


@dataclass(eq=False)
class _Worker:
    """A worker process, its connection, and the file it is parsing (if any)."""

    process: subprocess.Popen[bytes]
    conn: Connection
    job: _Job | None = None
    task: _Task | None = None
    started: bool = False  # the worker said it began the file (the time limit runs from then)
    deadline: float = math.inf


class ParsePool:
    """Worker processes that parse files with a per-file time and memory limit; safe to share between threads."""

    def __init__(self, workers: int, *, timeout: float, memory_limit_mb: int) -> None:
        self.size = max(1, workers)
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self._lock = threading.Lock()
        self._dispatcher: _Dispatcher | None = None  # started with the first file, gone after close()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, tasks: Iterable[_Task]) -> Iterator[ParsedFile]:
        """Parse the files in the workers, biggest first; yields each file's outcome as it finishes."""
        ordered = sorted(tasks, key=_size, reverse=True)  # so no worker is left with a large file at the end
        if not ordered:
            return
        job = _Job(deque(ordered))
        dispatcher = self._submit(job)
        try:
            for _ in ordered:
                yield job.outcomes.get()
        finally:
            dispatcher.cancel(job)  # a caller that stopped early: its files not begun yet are dropped

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return self._dispatcher.pids() if self._dispatcher is not None else []

    @property
    def busy(self) -> int:
        """How many files the workers are parsing now."""
        with self._lock:
            return self._dispatcher.busy() if self._dispatcher is not None else 0

    def close(self) -> None:
        """Kill every worker at once (running files fail as interrupted) and wait for them; `run` starts anew."""
        with self._lock:
            dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.stop()

    def _submit(self, job: _Job) -> _Dispatcher:
        with self._lock:
            if self._dispatcher is None or self._dispatcher.stopping:
                self._dispatcher = _Dispatcher(self.size, self.timeout, self.memory_limit_mb)
            self._dispatcher.submit(job)
            return self._dispatcher


def _size(task: _Task) -> int:
    try:
        return (Path(task.folder) / task.file).stat().st_size
    except OSError:
        return 0  # gone meanwhile: process_file reports it


class _Dispatcher:
    """The thread that owns the workers: hands files out (jobs take turns), enforces limits, routes outcomes.

    Workers are started from this one thread because PR_SET_PDEATHSIG fires when the *thread* that started a
    process ends, and the web server's request threads come and go.
    """

    def __init__(self, size: int, timeout: float, memory_limit_mb: int) -> None:
        self.size, self.timeout, self.memory_limit_mb = size, timeout, memory_limit_mb
        self.stopping = False
        self._lock = threading.Lock()  # guards _jobs, _turn, stopping and the _workers list
        self._jobs: list[_Job] = []
        self._turn = 0
        self._workers: list[_Worker] = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._loop, name="deptbot-parse-pool", daemon=True)
        self._thread.start()

    def submit(self, job: _Job) -> None:
        """Queue a job's files (failing them at once if the pool is stopping)."""
        with self._lock:
            accepted = not self.stopping
            if accepted:
                self._jobs.append(job)
        if not accepted:  # stopped meanwhile (closed, or the thread failed): fail rather than wait forever
            _interrupt(job)
        self._wake()

    def cancel(self, job: _Job) -> None:
        """Forget a job's files not handed out yet (its running files finish, unheard)."""
        with self._lock:
            if job in self._jobs:
                self._jobs.remove(job)
            job.pending.clear()

    def stop(self) -> None:
        """Stop the thread, which kills every worker; returns when they are gone."""
        with self._lock:
            self.stopping = True
        self._wake()
        self._thread.join()

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return [worker.process.pid for worker in self._workers]

    def busy(self) -> int:
        """Workers that have begun a file."""
        with self._lock:
            return sum(1 for worker in self._workers if worker.started)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # BlockingIOError: already awake (buffer full); or stopped
            self._wake_w.send(b"!")

    def _loop(self) -> None:
        try:
            while not self.stopping:
                self._hand_out()
                self._wait_and_receive()
                self._expire()
        except Exception:
            log.exception("parse pool failed: stopping its workers")
        finally:
            self._shutdown()

    def _hand_out(self) -> None:
        """Give waiting files to idle workers, starting workers (up to the pool size) as needed."""
        while True:
            with self._lock:
                if self.stopping or not any(job.pending for job in self._jobs):
                    return
                worker = next((w for w in self._workers if w.task is None), None)
                if worker is None and len(self._workers) >= self.size:
                    return
            worker = worker or self._start_worker()
            with self._lock:
                picked = self._next_task()
            if picked is None:
                return
            self._give(worker, *picked)

    def _next_task(self) -> tuple[_Job, _Task] | None:
        """The next file, taking jobs in turn so that concurrent runs share the workers fairly."""
        live = [job for job in self._jobs if job.pending]
        if not live:
            return None
        job = live[self._turn % len(live)]
        self._turn += 1
        return job, job.pending.popleft()

    def _start_worker(self) -> _Worker:
        ours, theirs = Pipe()
        root = str(Path(__file__).resolve().parents[1])  # the project, importable whatever the current folder
        code = f"import sys; sys.path.insert(0, {root!r}); from connectors.workers import serve; serve()"
        args = [str(theirs.fileno()), str(os.getpid()), str(self.memory_limit_mb)]
        # Its stdout goes nowhere: `deptbot reindex --json` prints the report there. Tracebacks go to stderr.
        process = subprocess.Popen([sys.executable, "-c", code, *args], pass_fds=[theirs.fileno()],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        theirs.close()  # the worker holds its end now: its death shows here as end of file
        worker = _Worker(process, ours)
        with self._lock:
            self._workers.append(worker)
        log.info("parse worker started pid=%d", process.pid)
        return worker

    def _give(self, worker: _Worker, job: _Job, task: _Task) -> None:
        worker.job, worker.task, worker.started = job, task, False
        worker.deadline = time.monotonic() + _STARTUP_SECONDS
        try:
            worker.conn.send(task)
        except OSError:  # it died while idle: the file never reached it
            _unassign(worker)
            self._requeue(job, task)
            self._remove(worker)

    def _wait_and_receive(self) -> None:
        with self._lock:
            by_conn = {worker.conn: worker for worker in self._workers}
        deadline = min((worker.deadline for worker in by_conn.values()), default=math.inf)
        timeout = None if deadline == math.inf else max(0.0, deadline - time.monotonic())
        for ready in wait([self._wake_r, *by_conn], timeout):
            if ready is self._wake_r:
                self._wake_r.recv(4096)
            elif isinstance(ready, Connection):
                self._receive(by_conn[ready])

    def _receive(self, worker: _Worker) -> None:
        try:
            message: tuple[Any, ...] = worker.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError):  # it died: a native crash, the kernel, a kill
            self._lost(worker)
            return
        if message[0] == "started":
            worker.started, worker.deadline = True, time.monotonic() + self.timeout
            return
        if message[0] == "ocr_page":  # a page to OCR has its own limit, added to the file's
            worker.deadline += float(message[1])
            return
        _, outcome, retire = message
        job, _, _ = _unassign(worker)
        if job is not None:
            job.outcomes.put(outcome)
        if retire:  # after a MemoryError its heap may be fragmented: a fresh worker takes the next file
            self._remove(worker)

    def _lost(self, worker: _Worker) -> None:
        """A worker died: its file fails, unless it died before beginning it (then one more worker tries)."""
        job, task, started = _unassign(worker)
        self._remove(worker)
        if job is None or task is None:
            return
        if not started and id(task) not in job.retried:
            job.retried.add(id(task))
            self._requeue(job, task)
            return
        log.warning("parse worker died pid=%d file=%s code=%s", worker.process.pid, task.file,
                    worker.process.returncode)
        job.outcomes.put(_failed(task, crash_error(task.file)))

    def _expire(self) -> None:
        """Kill the workers over their deadline; their files fail with the time-limit error."""
        now = time.monotonic()
        with self._lock:
            late = [worker for worker in self._workers if worker.task is not None and worker.deadline <= now]
        for worker in late:
            if not worker.started:  # never got ready: treated as a worker that died before the file
                self._lost(worker)
                continue
            job, task, _ = _unassign(worker)
            assert job is not None and task is not None
            self._remove(worker)
            log.warning("parse time limit department=%s file=%s seconds=%g", task.department, task.file,
                        self.timeout)
            job.outcomes.put(_failed(task, time_limit_error(task.file, self.timeout)))

    def _requeue(self, job: _Job, task: _Task) -> None:
        with self._lock:
            if job in self._jobs:  # not for a cancelled job
                job.pending.appendleft(task)

    def _remove(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
        _kill([worker])

    def _shutdown(self) -> None:
        """Kill all workers at once and fail every file not finished, so no `run` waits forever."""
        with self._lock:
            self.stopping = True
            workers, self._workers = self._workers, []
            jobs, self._jobs = self._jobs, []
        _kill(workers)
        for worker in workers:
            if worker.job is not None and worker.task is not None:
                worker.job.outcomes.put(_failed(worker.task, interrupted_error(worker.task.file)))
        for job in jobs:
            _interrupt(job)
        self._wake_r.close()
        self._wake_w.close()


def _interrupt(job: _Job) -> None:
    while job.pending:
        task = job.pending.popleft()
        job.outcomes.put(_failed(task, interrupted_error(task.file)))


def _unassign(worker: _Worker) -> tuple[_Job | None, _Task | None, bool]:
    """Take the worker's file off it: (job, task, whether it had begun)."""
    assigned = worker.job, worker.task, worker.started
    worker.job, worker.task, worker.started, worker.deadline = None, None, False, math.inf
    return assigned


def _kill(workers: list[_Worker]) -> None:
    """SIGKILL all first, then reap: closing does not wait for running files, one after the other."""
    for worker in workers:
        worker.process.kill()
    for worker in workers:
        worker.process.wait()
        worker.conn.close()


# --- inside a worker process ---


def serve() -> None:
    """A worker's main: parse the files the pool sends until the pool closes the connection."""
    fd, parent, memory_limit_mb = (int(arg) for arg in sys.argv[1:4])
    _die_with_parent(parent)
    # A library's complaint about a file (pypdf's "EOF marker not found") is for the parent to report, in Korean and
    # naming the file; a worker logs only errors, formatted as the parent logs, instead of bare English lines.
    logging.basicConfig(level=logging.ERROR, format=LOG_FORMAT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which then closes the pool
    conn = Connection(fd)
    ocr.set_page_hook(lambda seconds: conn.send(("ocr_page", seconds)))
    limited = False
    while True:
        try:
            task: _Task = conn.recv()
        except EOFError:
            return
        if not limited:
            task.tokenizer.tokenize_many(["문서 준비"])  # load Kiwi before the limit: every file needs it
            _limit_memory(memory_limit_mb)
            limited = True
        conn.send(("started",))
        outcome, retire = _parse(task, memory_limit_mb)
        conn.send(("done", outcome, retire))
        if retire:
            return


def _parse(task: _Task, memory_limit_mb: int) -> tuple[ParsedFile, bool]:
    """The file's outcome, and whether this worker should be replaced after it."""
    try:
        return process_file(task), False
    except MemoryError:
        pass  # answered below, outside the handler, so that the frames holding the memory are freed first
    except Exception as exc:  # a bug on odd input: this file fails, the others go on
        log.exception("parse failed department=%s file=%s", task.department, task.file)
        error = ParseError(task.file, f"문서를 처리하다 예기치 않은 오류가 났습니다 ({type(exc).__name__})",
                           "원본 프로그램에서 다시 저장해 올려 주세요").message
        return _failed(task, error), True
    log.warning("parse memory limit department=%s file=%s mb=%d", task.department, task.file, memory_limit_mb)
    return _failed(task, memory_limit_error(task.file, memory_limit_mb)), True


def _limit_memory(megabytes: int) -> None:
    """Let one file grow this process by at most `megabytes` of address space (a MemoryError past it)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        log.warning("no /proc/self/status: parsing runs without a memory limit")
        return
    size_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmSize:")), None)
    if size_kb is None:
        log.warning("no VmSize in /proc/self/status: parsing runs without a memory limit")
        return
    limit = size_kb * 1024 + megabytes * _MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # an administrator's lower limit stays
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when the parent ends, however it ends (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        log.warning("prctl(PR_SET_PDEATHSIG) unavailable: this worker may outlive a killed parent")
        return
    if os.getppid() != parent:  # the parent died before the request: nobody is left to send the signal
        os._exit(1)
