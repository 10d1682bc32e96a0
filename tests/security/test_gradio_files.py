"""Gradio's file inputs and file routes, attacked on a real server.

Mounted in FastAPI, Gradio skipped its own check that a file input names a file it received, and copied whatever
path a request named (on the event loop, before any handler or sign-in check): `/dev/zero` froze the server,
`/etc/passwd`, `session.key` and `registry.db` were copied into a folder its file route served without sign-in,
and a lead could index another department's documents or publish any server image as an icon. Now a file input
takes only what the same session uploaded, the file route and Gradio's other routes are not served, exports go
through an access-checked route of ours, and uploads are deleted once used.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import ROOT, make_services
from tests.security.conftest import Site
from tests.support.server import deptbot

SERVER_FILES = ("zero", "passwd", "registry.db", "session.key", "copyright")


def _file(path: str | Path) -> dict[str, object]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def _copies(site: Site) -> list[Path]:
    """Server files found in Gradio's folders (ours, and Gradio's default in /tmp)."""
    folders = (site.upload_folder(), Path(tempfile.gettempdir()) / "gradio")
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.name in SERVER_FILES]


def _documents(site: Site, department: str) -> set[str]:
    listed = deptbot("documents", "list", "--department", department, "--json", data=site.data).stdout
    return {row["file"] for row in json.loads(listed)}


def _kept_uploads(site: Site) -> list[Path]:
    return [p for p in site.upload_folder().rglob("*") if p.is_file()] if site.upload_folder().exists() else []


def test_an_anonymous_request_naming_a_server_file_neither_freezes_the_server_nor_copies_it(site: Site) -> None:
    for target in ("/dev/zero", "/etc/passwd", str(site.data / "registry.db"), str(site.data / "session.key")):
        # The request of the report, on Gradio's REST route, and the same event as the page sends it.
        call = httpx.post(f"{site.base}/builder/gradio_api/call/upload",
                          json={"data": ["x", [_file(target)]]}, timeout=10)
        assert call.status_code == 404
        joined = site.event("upload", ["총무과", [_file(target)]], cookie="")
        assert joined.status_code == 401
        assert site.alive(), target
    assert _copies(site) == []
    # Gradio's file route and the routes our pages never use are not served, whatever they name.
    for route in ("/builder/gradio_api/file=/etc/passwd", "/chat/gradio_api/file=/etc/passwd",
                  "/builder/gradio_api/file/etc/passwd", f"/chat/gradio_api/file={site.data}/registry.db",
                  "/builder/gradio_api/runs", "/chat/gradio_api/runs", "/chat/gradio_api/proxy=http://127.0.0.1/",
                  "/chat/gradio_api/run-history/records", "/chat/monitoring", "/builder/gradio_api/vibe-edit",
                  "/chat/gradio_api/component_server", "/chat/gradio_api/call/respond"):
        for cookie in ("", site.cookie("admin")):
            response = httpx.get(site.base + route, headers={"Cookie": cookie})
            assert response.status_code == 404, (route, response.status_code)


def test_a_lead_cannot_hand_the_builder_a_server_path(site: Site) -> None:
    lead = site.cookie("lead")
    other_department = site.folders["민원여권과"] / "무인민원발급기 운영 안내(2025년 하반기).txt"
    system_doc = next(iter(sorted(Path("/usr/share/doc").glob("*/copyright"))), Path("/etc/hostname"))
    image = next(iter(sorted(Path("/usr/share").rglob("*.png"))), None)
    bot_json = site.data.parent / "dangjik.json"
    attempts = [("upload", ["총무과", [_file(other_department)]]), ("upload", ["총무과", [_file(system_doc)]]),
                ("import_bot", [_file(bot_json)])]
    if image is not None:
        attempts.append(("upload_icon", [_file(image)]))
    for api_name, data in attempts:
        response = site.event(api_name, data, lead)
        assert response.status_code == 403, (api_name, response.text)
    assert other_department.name not in _documents(site, "총무과")
    assert system_doc.name not in _documents(site, "총무과")
    assert not (site.data / "icons").exists() or not any((site.data / "icons").iterdir())
    opened = httpx.get(f"{site.base}/files/general-affairs/{quote(other_department.name)}", headers={"Cookie": lead})
    assert opened.status_code == 404
    assert _copies(site) == []


def test_a_file_uploaded_in_one_session_is_refused_to_another_and_deleted_once_used(site: Site) -> None:
    mine, theirs = site.cookie("lead"), site.cookie("lead")  # the same lead, signed in twice
    stored = httpx.post(f"{site.base}/builder/gradio_api/upload", headers={"Cookie": mine},
                        files={"files": ("야간 순찰 메모.txt", "야간 순찰은 두 시간마다 청사 전체를 돕니다.".encode())})
    assert stored.status_code == 200
    path = stored.json()[0]
    assert Path(path).is_file() and Path(path).is_relative_to(site.upload_folder())
    assert site.event("upload", ["총무과", [_file(path)]], theirs).status_code == 403
    assert site.event("upload", ["총무과", [_file(path)]], site.cookie("admin")).status_code == 403
    assert site.event("upload", ["총무과", [_file(path)]], mine).status_code == 200
    deadline = time.monotonic() + 120
    while "야간 순찰 메모.txt" not in _documents(site, "총무과") or Path(path).exists():
        assert time.monotonic() < deadline, "the upload was not indexed and deleted"
        time.sleep(0.5)
    # Used once, gone: the same path is refused now even to its own session.
    assert site.event("upload", ["총무과", [_file(path)]], mine).status_code == 403


def test_uploads_left_unused_are_deleted_when_the_session_signs_out(site: Site) -> None:
    cookie = site.cookie("lead")
    stored = httpx.post(f"{site.base}/builder/gradio_api/upload", headers={"Cookie": cookie},
                        files={"files": ("쓰지 않은 파일.txt", b"never used")}).json()
    assert Path(stored[0]).exists()
    assert httpx.delete(f"{site.base}/api/session", headers={"Cookie": cookie}).status_code == 200
    assert not Path(stored[0]).exists()


def test_the_lead_uploads_an_icon_and_a_document_with_the_real_client_and_nothing_stays(site: Site,
                                                                                      tmp_path: Path) -> None:
    from gradio_client import handle_file
    from PIL import Image

    client = site.gradio("lead")
    manual = tmp_path / "청사 보안 점검표.txt"
    manual.write_text("청사 보안 점검은 매일 18시에 당직자가 합니다.", encoding="utf-8")
    result = client.predict("총무과", [handle_file(str(manual))], api_name="/upload")
    assert "색인됨" in json.dumps(result, ensure_ascii=False)
    icon = tmp_path / "아이콘.png"
    Image.new("RGB", (32, 32), (200, 40, 40)).save(icon)
    value, message = client.predict(handle_file(str(icon)), api_name="/upload_icon")
    assert str(value).startswith("image:") and "아이콘" in message
    assert httpx.get(f"{site.base}/icons/{str(value).removeprefix('image:')}").status_code == 200
    assert _kept_uploads(site) == []


def test_the_chat_page_takes_no_file_at_all(site: Site) -> None:
    upload = httpx.post(f"{site.base}/chat/gradio_api/upload", files={"files": ("a.txt", b"x")})
    assert upload.status_code == 404
    for data in (["질문", {}], [_file("/etc/passwd"), {}], ["질문", {"path": "/etc/passwd"}]):
        response = site.event("respond", data, cookie="", mount="chat")
        assert response.status_code == (200 if data == ["질문", {}] else 403), (data, response.text)
    assert _copies(site) == []


def test_exports_go_to_the_bot_s_managers_only_and_are_not_kept(site: Site) -> None:
    routes = ("/export/questions/dangjik.csv", "/export/bot/dangjik.json")
    for role in ("anonymous", "staff", "lead_other", "lead", "admin"):
        cookie = site.cookie(role)
        for route in routes:
            response = httpx.get(site.base + route, headers={"Cookie": cookie})
            assert (response.status_code == 200) == (role in ("lead", "admin")), (role, route, response.status_code)
            if response.status_code == 200:
                assert response.headers["cache-control"] == "private, no-store"
                assert "attachment" in response.headers["content-disposition"]
    csv = httpx.get(site.base + routes[0], headers={"Cookie": site.cookie("lead")})
    assert csv.content.startswith("\ufeff".encode()) and "일시" in csv.text
    started_elsewhere = {"Cookie": site.cookie("lead"), "Sec-Fetch-Site": "cross-site"}
    assert httpx.get(site.base + routes[0], headers=started_elsewhere).status_code == 403
    assert [p for p in site.data.rglob("*") if p.suffix in (".csv", ".json") and "dangjik" in p.name] == []


def test_gradio_s_own_check_is_on_for_the_mounted_apps_and_its_version_is_pinned(tmp_path: Path) -> None:
    """The second lock: Gradio's check that a file input names a file of its upload folder runs only for a
    launched app; the mounted ones are marked launched. A Gradio release outside the pinned minor range must be
    checked against this suite before the pin moves."""
    from gradio import processing_utils
    from gradio.context import LocalContext
    from gradio.exceptions import InvalidPathError

    from ui.app import create_app

    app = create_app(make_services(tmp_path / "data"))
    mounted = {route.path: route.app for route in app.routes if getattr(route, "path", "") in ("/builder", "/chat")}
    assert set(mounted) == {"/builder", "/chat"}
    for gradio_app in mounted.values():
        blocks = gradio_app.get_blocks()  # type: ignore[attr-defined]
        token = LocalContext.blocks.set(blocks)
        try:
            with pytest.raises(InvalidPathError):
                processing_utils._check_allowed("/etc/passwd", True)
        finally:
            LocalContext.blocks.reset(token)
    pin = re.search(r'"gradio>=(\d+\.\d+),<(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin is not None, "gradio must be pinned to one minor release in pyproject.toml"
    installed = importlib.metadata.version("gradio")
    assert installed.startswith(pin.group(1) + "."), (installed, pin.group(0))
