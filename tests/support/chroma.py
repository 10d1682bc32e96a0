"""A real Chroma server for tests: `chroma run` (the CLI chromadb installs) on a free loopback port, its data in a
temporary folder; `.stop()` and `.start()` keep port and data, for the fault tests.

With `TEST_CHROMA_SERVER=1` in the environment, `tests.conftest.make_services` points every test's services at
one such server (each data folder gets its own Chroma database), so the index and answer suites run against the
server exactly as they run embedded (`scripts/test.sh` does this once after the main run).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_program() -> Path | None:
    """The `chroma` command of this environment (installed with chromadb), if there is one."""
    beside = Path(sys.executable).parent / "chroma"
    found = beside if beside.exists() else shutil.which("chroma")
    return Path(found) if found else None


@dataclass
class ChromaServer:
    """`chroma run` on 127.0.0.1; a context manager that stops it."""

    path: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's address for DEPTBOT_CHROMA__URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        """Start (or start again, same port and data) and wait until it answers its heartbeat."""
        program = chroma_program()
        assert program is not None, "chromadb's `chroma` command is missing"
        log = (self.path.parent / f"{self.path.name}.log").open("ab")
        self.process = subprocess.Popen([str(program), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.path.parent / f"{self.path.name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"chroma run did not start: {output}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server (its data stays)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
