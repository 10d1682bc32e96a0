"""Shared fixtures: the sample manuals, ../shared when present, and services on a temporary data folder."""

from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chroma import ChromaServer
from tests.support.postgres import postgres_server  # noqa: F401  (the fixture, for tests that need PostgreSQL)
from ui.settings import Settings
from ui.wiring import Services, build_services

# A deptbot.env that scripts/run.sh left in the project folder must not reach the tests' settings (the tests of
# the settings file name theirs).
os.environ["DEPTBOT_SETTINGS_FILE"] = ""

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_manuals"
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test (with the reason) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (evaluation corpus and fixtures) is not beside the project")
    return path


def sample(department: str, suffix: str, contains: str = "") -> Path:
    """The sample manual of a department with the given extension (and a part of its name)."""
    matches = sorted(p for p in (SAMPLES / department).iterdir() if p.suffix == suffix and contains in p.name)
    assert matches, f"no {suffix} sample in {department}"
    return matches[0]


_SERVER: list[ChromaServer] = []  # the shared Chroma server when TEST_CHROMA_SERVER=1


def make_services(data_dir: Path, *, isolate_parsing: bool = False, **overrides: object) -> Services:
    """Services on their own data folder, with one parsing process unless asked (tests run in parallel).

    Files are parsed in the test process itself unless `isolate_parsing` (a worker process loads Kiwi: seconds).
    With TEST_CHROMA_SERVER=1 the vectors go to a real Chroma server instead, one database per data folder.
    """
    values: dict[str, object] = {"data_dir": data_dir, "workers": 1} | overrides
    chroma = chroma_env(data_dir)
    if chroma and "chroma" not in overrides:
        values["chroma"] = {"url": chroma["DEPTBOT_CHROMA__URL"], "database": chroma["DEPTBOT_CHROMA__DATABASE"]}
    return build_services(Settings(**values), isolate_parsing=isolate_parsing)  # type: ignore[arg-type]


def index_texts(tmp_path_factory: pytest.TempPathFactory, department: str, files: dict[str, str]) -> Services:
    """Services whose one department holds these text files (name -> text), indexed; every file must index."""
    folder = tmp_path_factory.mktemp("docs") / department
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    services = make_services(tmp_path_factory.mktemp("data") / "data")
    with services.reindexer:
        report = services.reindexer.reindex(folder, department)
        assert not report.failed
    return services


def chroma_env(data_dir: Path) -> dict[str, str]:
    """The settings that put a data folder's vectors on the shared test Chroma server (TEST_CHROMA_SERVER=1), as
    environment variables for a `deptbot` subprocess; empty when the tests run embedded."""
    if os.environ.get("TEST_CHROMA_SERVER") != "1":
        return {}
    if not _SERVER:
        base = Path(tempfile.mkdtemp(prefix="deptbot-chroma-"))
        _SERVER.append(ChromaServer(base / "data").start())
        atexit.register(_SERVER[0].stop)
    database = "t" + hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return {"DEPTBOT_CHROMA__URL": _SERVER[0].url, "DEPTBOT_CHROMA__DATABASE": database}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Services on an empty temporary data folder."""
    built = make_services(tmp_path / "data")
    with built.reindexer:
        yield built


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """The sample manuals indexed once for the session (read-only for the tests that use it)."""
    built = make_services(tmp_path_factory.mktemp("samples") / "data")
    with built.reindexer:
        for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
            report = built.reindexer.reindex(folder, folder.name)
            assert not report.failed, [r.error for r in report.files if r.error]
    return built


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests talk to servers on 127.0.0.1 only; a proxy from the environment must not intercept them.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in list(os.environ):
        if name.startswith("DEPTBOT_"):
            monkeypatch.delenv(name, raising=False)
