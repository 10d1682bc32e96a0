"""A throwaway PostgreSQL server for tests: its own cluster, port and socket folder, started and stopped by the tests.

`start_postgres(base)` runs `initdb` (trust authentication, UTF8, locale C) into a fresh folder, starts the server
with `pg_ctl` on a free port of 127.0.0.1 (listening there only, its unix socket in the same temporary folder, so it
never meets a system server), waits until it accepts connections and creates a database. The returned
`PostgresServer` gives `.url` (a SQLAlchemy URL for psycopg 3), `.restart()` (same port, same data) and `.stop()`;
used as a context manager (or with `.close()`) it stops the server on exit, even after a failure.

PostgreSQL refuses to run as root. When the tests run as root (CI in a container), the cluster lives in a folder of
the system temporary directory owned by an unprivileged user (`postgres` when it exists, else a system user
`deptbot-pg` created with `useradd`), and every PostgreSQL program runs as that user (`subprocess` drops the
privileges itself, as `runuser`/`setpriv` would), and the folder is removed by `close()`. The folder given as
`base` then only gets a note of where the cluster is: pytest's temporary folders are private to root (mode 0700,
which pytest enforces) and the server could not enter them. As a normal user the cluster is simply under `base`.

Binaries are found with `shutil.which` (following symlinks to the real bin folder, so `pg_ctl` and `postgres` of the
same version are used together), else in the newest `/usr/lib/postgresql/*/bin/` (Debian). The `postgres_server`
fixture (session scope) skips its tests only when no PostgreSQL binaries exist at all; any other failure is an error
with the server's log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pytest

DB_NAME = "deptbot_test"
DB_USER = "postgres"
FALLBACK_USER = "deptbot-pg"
START_TIMEOUT = 30.0
PROGRAMS = ("initdb", "pg_ctl", "postgres", "createdb", "pg_isready")
# Settings for a disposable cluster: no durability work (a fast shutdown still checkpoints, so data survives
# `restart()`), few connections and small shared memory so several workers can each run one.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "50",
    "shared_buffers": "16MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}
MAX_SOCKET_PATH = 100  # sun_path holds 107 bytes, and the server appends "/.s.PGSQL.NNNNN"


class PostgresError(RuntimeError):
    """The cluster could not be created, started or stopped (the message includes the server's log)."""


def find_bindir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres of one PostgreSQL version, or None when there is none."""
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
        candidates.append(Path(found).parent)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service_user() -> pwd.struct_passwd:
    """The unprivileged user that runs PostgreSQL when we are root: `postgres`, else a created system user."""
    for name in (DB_USER, FALLBACK_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    useradd = shutil.which("useradd")
    if useradd is None:
        raise PostgresError("running as root, no 'postgres' user and no useradd to create one")
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
         FALLBACK_USER],
        capture_output=True, text=True, check=False,
    )
    try:  # exit code 9: created meanwhile by another test worker
        return pwd.getpwnam(FALLBACK_USER)
    except KeyError:
        raise PostgresError(f"could not create user {FALLBACK_USER}: {result.stderr.strip()}") from None


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL server (see the module's docstring)."""

    bindir: Path
    root: Path  # holds data/, the socket folder and the log
    port: int
    database: str = DB_NAME
    user: str = DB_USER
    owner: pwd.struct_passwd | None = None  # the user running PostgreSQL when we are root
    remove_root: bool = False  # root is a folder of ours (not under the caller's base)
    running: bool = False
    socket_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.socket_dir = self.root / "sock"
        if len(str(self.socket_dir)) > MAX_SOCKET_PATH:
            self.socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))
            self._chown(self.socket_dir)
        else:
            self.socket_dir.mkdir(exist_ok=True)
            self._chown(self.socket_dir)

    # -- locations -----------------------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the test database (psycopg 3 driver, TCP on 127.0.0.1)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """The same database as a libpq connection string (for psycopg or psql directly)."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={self.database}"

    # -- running programs ------------------------------------------------------------------------------------------

    def _chown(self, path: Path) -> None:
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and not k.startswith("LC_")}
        env |= {"LANG": "C", "LC_ALL": "C", "TZ": "UTC"}
        if self.owner is not None:
            env |= {"HOME": str(self.root), "USER": self.owner.pw_name, "LOGNAME": self.owner.pw_name}
        return env

    def run(self, program: str, *args: str, timeout: float = START_TIMEOUT, check: bool = True) -> str:
        """Run a PostgreSQL program of `bindir` (as the service user when we are root); its output."""
        command = [str(self.bindir / program), *args]
        owner = self.owner
        try:
            result = subprocess.run(
                command, cwd=self.root, env=self._env(), stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=timeout, check=False,
                user=owner.pw_uid if owner else None,
                group=owner.pw_gid if owner else None,
                extra_groups=[] if owner else None,
            )
        except subprocess.TimeoutExpired as error:
            raise PostgresError(f"{' '.join(command)} timed out after {timeout}s\n{self.log_tail()}") from error
        output = f"{result.stdout}{result.stderr}".strip()
        if check and result.returncode != 0:
            raise PostgresError(f"{' '.join(command)} failed ({result.returncode}):\n{output}\n{self.log_tail()}")
        return output

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "server log:\n" + "\n".join(text[-lines:])

    # -- life cycle ----------------------------------------------------------------------------------------------

    def init(self) -> None:
        """Create the cluster (trust authentication, UTF8, locale C) and write the settings of this server."""
        self.run(
            "initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "--encoding=UTF8", "--locale=C",
            "--no-sync", "--no-instructions",
        )
        conf = self.data_dir / "postgresql.conf"
        lines = [f"{key} = {value}" for key, value in SETTINGS.items()]
        lines.append(f"unix_socket_directories = '{self.socket_dir}'")
        lines.append("include_if_exists = 'deptbot_port.conf'")
        with conf.open("a") as handle:
            handle.write("\n# deptbot test harness\n" + "\n".join(lines) + "\n")
        self._write_port()

    def _write_port(self) -> None:
        port_conf = self.data_dir / "deptbot_port.conf"
        port_conf.write_text(f"port = {self.port}\n")
        self._chown(port_conf)

    def start(self) -> None:
        """Start the server on `self.port` and wait until it accepts connections on 127.0.0.1."""
        if self.running:
            return
        self.log_path.touch()
        self._chown(self.log_path)
        self.running = True  # from here on, stop() must try (pg_ctl start may have started it after all)
        self.run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path), "-w", "-t", str(int(START_TIMEOUT)),
            timeout=START_TIMEOUT + 10,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the server answers on 127.0.0.1:port (pg_isready when present, else a TCP connect)."""
        deadline = time.monotonic() + timeout
        isready = (self.bindir / "pg_isready").is_file()
        while True:
            if isready:
                probe = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-d", "postgres", "-U", self.user]
                if self._ok(probe):
                    return
            else:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL on port {self.port} not ready after {timeout}s\n{self.log_tail()}")
            time.sleep(0.05)

    def _ok(self, command: Sequence[str]) -> bool:
        try:
            self.run(*command, timeout=5)
        except PostgresError:
            return False
        return True

    def create_database(self) -> None:
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database)

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are ended, data checkpointed); does nothing when stopped."""
        if not self.running or not (self.data_dir / "PG_VERSION").exists():
            self.running = False
            return
        try:
            self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", timeout=40)
        except PostgresError:
            if (self.data_dir / "postmaster.pid").exists():  # not stopped (rather than "no server running")
                self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", timeout=40, check=False)
        self.running = False

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data (connections in pools become stale)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove the files that are ours (the caller's `base` folder is left as it is)."""
        try:
            self.stop()
        finally:
            if self.socket_dir.parent != self.root:
                shutil.rmtree(self.socket_dir, ignore_errors=True)
            if self.remove_root:
                shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def start_postgres(base: Path, database: str = DB_NAME, bindir: Path | None = None) -> PostgresServer:
    """A new cluster in `base` (or, as root, in a temporary folder of the service user), started, with `database`.

    Use it as a context manager (or call `.close()`) so the server is stopped even when a test fails.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PostgresError("no PostgreSQL binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql")
    base.mkdir(parents=True, exist_ok=True)
    owner = _service_user() if os.geteuid() == 0 else None
    if owner is not None:
        root = Path(tempfile.mkdtemp(prefix="deptbot-pg-"))
        os.chown(root, owner.pw_uid, owner.pw_gid)
        (base / "cluster-location.txt").write_text(f"{root}\n")
    else:
        root = Path(tempfile.mkdtemp(prefix="pg-", dir=base))
    server: PostgresServer | None = None
    try:
        server = PostgresServer(
            bindir, root, free_port(), database=database, owner=owner, remove_root=owner is not None
        )
        server.init()
        for attempt in range(5):
            try:
                server.start()
                break
            except PostgresError as error:
                server.stop()
                # Another process took the port between free_port() and the server's bind: try another one.
                if attempt == 4 or not re.search(r"could not bind|already in use", str(error)):
                    raise
                server.port = free_port()
                server._write_port()
                server.log_path.write_text("")
        server.create_database()
        atexit.register(server.close)  # should the session end without the fixture's teardown
        return server
    except BaseException:
        if server is not None:
            server.close()
        if owner is not None:
            shutil.rmtree(root, ignore_errors=True)
        raise


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (one per xdist worker); skips only without PostgreSQL binaries."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed: no initdb/pg_ctl/postgres on PATH or in /usr/lib/postgresql/*/bin")
    with start_postgres(tmp_path_factory.mktemp("postgres"), bindir=bindir) as server:
        yield server
