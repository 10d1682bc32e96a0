"""A real `deptbot serve` process for web tests: a data folder prepared by the command line, a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "correct-horse-battery"


def deptbot(*args: str, data: Path, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a deptbot command on the data folder (failing loudly); `env`: DEPTBOT_ settings for it."""
    return subprocess.run([sys.executable, "-m", "ui.cli", *args, "--data-dir", str(data)], input=stdin, text=True,
                          capture_output=True, timeout=300, check=True, env=_env(env))


def _env(settings: dict[str, str] | None = None) -> dict[str, str]:
    # No settings file either (DEPTBOT_SETTINGS_FILE empty): a deptbot.env that scripts/run.sh left in the project
    # folder must not reach the commands a test runs.
    return ({k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")} | {"DEPTBOT_SETTINGS_FILE": ""}
            | (settings or {}))


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, body: dict[str, object] | None = None, cookie: str = "") -> tuple[int, dict[str, str], str]:
    """(status, headers, text) of a GET, or of a JSON POST when a body is given."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", "Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@dataclass
class Server:
    """A running server: its base URL and, after it stopped, what it printed."""

    base: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)


def wait_until_served(base: str, process: subprocess.Popen[str], seconds: float, failure: str) -> None:
    """Wait until the server at `base` answers; if its process ends first or the time runs out, stop it and fail
    with `failure` and the end of its output."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if request(f"{base}/docs")[0] == 200:
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{failure}: {process.communicate(timeout=30)[0][-3000:]}")
        time.sleep(0.3)


@contextmanager
def serving(data: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`deptbot serve` on a free port until the block ends; `env`: DEPTBOT_ settings for it."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)],
                               env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)  # its group: parsing workers it started go with it
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_served(server.base, process, 90, "deptbot serve did not start")
        yield server
    finally:
        process.terminate()
        try:
            server.output.append(process.communicate(timeout=15)[0])
        except subprocess.TimeoutExpired:  # a browser still connected keeps uvicorn's graceful shutdown waiting
            os.killpg(process.pid, signal.SIGKILL)
            server.output.append(process.communicate(timeout=15)[0])
