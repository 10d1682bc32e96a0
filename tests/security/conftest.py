"""A real `deptbot serve` to attack: two departments (copies of the samples), a user of every role, a bot shared by
link and one narrowed to a single document. Each test module gets its own server and data folder."""

from __future__ import annotations

import http.server
import json
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from builder.definitions import BotDefinition
from builder.registry import Registry, default_url
from tests.conftest import SAMPLES, make_services
from tests.support.server import PASSWORD, Server, free_port, serving
from tests.ui.test_chat_page import browser  # noqa: F401  (the browser fixture, for the modules that need one)

ROLES = {"admin": ("admin", ""), "lead": ("lead", "총무과"), "lead_other": ("lead", "민원여권과"),
         "staff": ("staff", "총무과")}
DOCUMENT = "당직근무 운영지침.txt"  # a document of 총무과
NARROWED_TO = "출장 여비 및 유연근무 업무 처리 매뉴얼(2025).docx"
OTHER_DOCUMENT = "무인민원발급기 운영 안내(2025년 하반기).txt"  # the one document of 민원여권과


@dataclass
class Site:
    """The server under attack, its data folder and the department folders it serves."""

    server: Server
    data: Path
    folders: dict[str, Path]
    _configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return self.server.base

    def registry(self) -> Registry:
        """The server's registry, opened beside it."""
        return Registry.open(default_url(self.data))

    def cookie(self, role: str) -> str:
        """A `Cookie` header of a fresh session of the role ("" for anonymous)."""
        if role == "anonymous":
            return ""
        response = httpx.post(f"{self.base}/api/session", json={"username": role, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return f"deptbot_session={response.cookies['deptbot_session']}"

    def gradio(self, role: str, mount: str = "builder") -> Any:
        """The real gradio_client, signed in as the role."""
        from gradio_client import Client

        return Client(f"{self.base}/{mount}/", headers={"Cookie": self.cookie(role)}, verbose=False)

    def event_body(self, api_name: str, data: list[Any], mount: str = "builder") -> dict[str, Any]:
        """The body the page posts to …/gradio_api/queue/join for an event (its number read from the config)."""
        if mount not in self._configs:
            self._configs[mount] = httpx.get(f"{self.base}/{mount}/config",
                                             headers={"Cookie": self.cookie("admin")}).json()
        fn_index = next(d["id"] for d in self._configs[mount]["dependencies"] if d.get("api_name") == api_name)
        return {"data": data, "fn_index": fn_index, "trigger_id": None, "event_data": None,
                "session_hash": secrets.token_hex(6)}

    def event(self, api_name: str, data: list[Any], cookie: str, *, mount: str = "builder",
              headers: dict[str, str] | None = None) -> httpx.Response:
        """A Gradio event posted the way the page posts it (POST …/gradio_api/queue/join), answer not awaited."""
        return httpx.post(f"{self.base}/{mount}/gradio_api/queue/join", json=self.event_body(api_name, data, mount),
                          headers={"Cookie": cookie, **(headers or {})}, timeout=30)

    def upload_folder(self) -> Path:
        """Where this server process keeps Gradio's uploads and cache."""
        return self.data / "tmp" / f"gradio-{self.server.process.pid}"

    def alive(self) -> bool:
        """Whether the server still answers a plain request within two seconds."""
        try:
            return httpx.get(f"{self.base}/login", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def prepare(root: Path) -> tuple[Path, dict[str, Path]]:
    """A data folder with the two departments indexed from copies of the samples (민원여권과: one file, enough to
    be another department), the users and two bots; made in this process, which is much faster than a command
    per step, and closed before the server opens it."""
    data = root / "data"
    folders = {department: root / "documents" / department for department in ("총무과", "민원여권과")}
    shutil.copytree(SAMPLES / "총무과", folders["총무과"])
    folders["민원여권과"].mkdir(parents=True)
    shutil.copy(SAMPLES / "민원여권과" / OTHER_DOCUMENT, folders["민원여권과"])
    services = make_services(data)
    with services.reindexer:
        for (department, folder), slug in zip(folders.items(), ("general-affairs", "civil"), strict=True):
            assert not services.reindexer.reindex(folder, department).failed
            services.registry.add_department(department, slug)
    for name, (role, department) in ROLES.items():
        services.registry.add_user(name, PASSWORD, role, [department] if department else [])
    for bot in ({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"], "visibility": "link"},
                {"slug": "narrow", "name": "여비 도우미", "departments": ["총무과"], "visibility": "link",
                 "documents": [f"총무과/{NARROWED_TO}"]}):
        (root / f"{bot['slug']}.json").write_text(json.dumps(bot, ensure_ascii=False), encoding="utf-8")
        services.registry.create_bot(BotDefinition.model_validate(bot), author="test")
        services.registry.set_published(str(bot["slug"]), True)
    services.registry.close()
    return data, folders


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The prepared server, for the tests of one module (with the module's SITE_ENV settings, if it has any)."""
    root = tmp_path_factory.mktemp("site")
    data, folders = prepare(root)
    with serving(data, getattr(request.module, "SITE_ENV", None)) as server:
        yield Site(server, data, folders)


@dataclass
class Listener:
    """Another host's server as an attacker runs it: what it serves, and every request it got."""

    url: str
    hits: list[str] = field(default_factory=list)


@contextmanager
def listening(page: str = "") -> Iterator[Listener]:
    """An HTTP server on another port of 127.0.0.1 (another origin of the same site) until the block ends: it
    answers every request with `page` and records it."""
    listener = Listener("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            listener.hits.append(f"{self.command} {self.path}")
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    listener.url = f"http://127.0.0.1:{port}"
    try:
        yield listener
    finally:
        server.shutdown()
