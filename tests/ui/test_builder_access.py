"""The builder's actions times every role, called the way a browser calls them (Gradio's API, through the real
`gradio_client` against a real `deptbot serve`): only leads of the bot's departments and administrators see,
change, publish, export or delete anything; everyone else gets a refusal and nothing changes. Visitors who are
not leads or administrators do not reach the builder's Gradio app at all; a lead of another department reaches
it and every action refuses them. (Saving is checked in the browser test: Gradio itself refuses department values
a session was not offered.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from builder.registry import Registry, default_url
from tests.conftest import SAMPLES
from tests.support.server import PASSWORD, deptbot, request, serving

ROLES = ["anonymous", "staff_other", "staff", "lead_other", "lead", "admin"]
MANAGERS = {"lead", "admin"}
FILE = "당직근무 운영지침.txt"


def _cookie(base: str, role: str) -> str:
    if role == "anonymous":
        return ""
    status, sent, _ = request(f"{base}/api/session", {"username": role, "password": PASSWORD})
    assert status == 200
    return str(sent["set-cookie"].split(";", 1)[0])


def _client(base: str, role: str) -> Any:
    from gradio_client import Client

    return Client(f"{base}/builder/", headers={"Cookie": _cookie(base, role)}, verbose=False)


def _refused_outright(base: str, role: str) -> None:
    """Anonymous visitors and staff get nothing of the builder's Gradio app: not its config, not an event."""
    import httpx

    cookie = {"Cookie": _cookie(base, role)}
    for path in ("config", "gradio_api/info"):
        assert httpx.get(f"{base}/builder/{path}", headers=cookie).status_code in (401, 403), (role, path)
    event = {"data": ["dangjik"], "fn_index": 0, "session_hash": "abcdefghijk", "event_data": None}
    joined = httpx.post(f"{base}/builder/gradio_api/queue/join", json=event, headers=cookie)
    assert joined.status_code in (401, 403), (role, joined.text)
    upload = httpx.post(f"{base}/builder/gradio_api/upload", files={"files": ("a.txt", b"x")}, headers=cookie)
    assert upload.status_code in (401, 403), (role, upload.text)


def test_every_builder_action_checks_the_user(tmp_path: Path) -> None:
    from gradio_client import handle_file

    data = tmp_path / "data"
    folder = tmp_path / "총무과"  # a copy: a delete that got through must not touch the project's samples
    shutil.copytree(SAMPLES / "총무과", folder)
    deptbot("reindex", str(folder), "--department", "총무과", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    deptbot("departments", "add", "민원여권과", "--slug", "civil", data=data)
    for role, department in [("admin", ""), ("lead", "총무과"), ("lead_other", "민원여권과"), ("staff", "총무과"),
                             ("staff_other", "민원여권과")]:
        kind = role.split("_")[0]
        extra = ["--department", department] if department else []
        deptbot("users", "add", role, "--role", kind, *extra, "--password-stdin", data=data, stdin=PASSWORD + "\n")
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps({"slug": "dangjik", "name": "당직 비서", "departments": ["총무과"],
                               "visibility": "department"}, ensure_ascii=False), encoding="utf-8")
    deptbot("bots", "create", "--from", str(bot), data=data)
    deptbot("bots", "publish", "dangjik", data=data)
    registry = Registry.open(default_url(data))

    with serving(data) as server:
        for role in ROLES:
            if role in ("anonymous", "staff", "staff_other"):
                _refused_outright(server.base, role)
                continue
            client = _client(server.base, role)
            manager = role in MANAGERS
            key = registry.bot("dangjik").link_key

            shown = client.predict("dangjik", api_name="/show_bot")
            name = shown[1]["value"] if isinstance(shown[1], dict) else shown[1]  # an update: it clears field messages
            assert (name == "당직 비서") is manager, (role, shown[:3])
            assert ("당직 비서" in json.dumps(shown, ensure_ascii=False)) is manager

            rotated = client.predict("dangjik", api_name="/rotate")
            assert (registry.bot("dangjik").link_key != key) is manager, (role, rotated[-1])

            chunks = client.predict("총무과", FILE, api_name="/chunks")
            assert bool(chunks["data"] if isinstance(chunks, dict) else chunks) is manager, role

            summary = client.predict("dangjik", api_name="/insights")[0]
            assert summary.startswith("**최근 30일**") is manager, (role, summary)

            exported = client.predict("dangjik", api_name="/export")[0]
            if isinstance(exported, dict):  # an update of the link box
                exported = exported.get("value")
            assert ("/export/bot/dangjik.json" in (exported or "")) is manager, (role, exported)
            status, _, text = request(f"{server.base}/export/bot/dangjik.json", cookie=_cookie(server.base, role))
            assert (status == 200 and json.loads(text)["name"] == "당직 비서") is manager, (role, status)

            published = client.predict("dangjik", api_name="/unpublish_bot")
            assert (not registry.bot("dangjik").published) is manager, (role, published[-1])
            client.predict("dangjik", api_name="/publish_bot")
            assert registry.bot("dangjik").published

            client.predict("dangjik", f"copy-{role.replace('_', '-')}", api_name="/clone")
            assert (f"copy-{role.replace('_', '-')}" in {b.slug for b in registry.bots()}) is manager, role

            imported = tmp_path / f"import-{role}.json"
            imported.write_text(json.dumps({"slug": f"in-{role.replace('_', '-')}", "name": "가져온 봇",
                                            "departments": ["총무과"]}, ensure_ascii=False), encoding="utf-8")
            client.predict(handle_file(str(imported)), api_name="/import_bot")
            assert (f"in-{role.replace('_', '-')}" in {b.slug for b in registry.bots()}) is manager, role

            laws = folder / "법령목록.txt"  # the department's list of laws (issue 13), kept in its folder
            listed = client.predict("총무과", "개인정보 보호법", api_name="/law_list_save")
            assert laws.is_file() is manager, (role, listed)  # lead_other comes before lead: nothing written yet
            if not manager:
                assert client.predict("총무과", api_name="/law_list") == ""
                assert "담당하는 부서" in client.predict("총무과", api_name="/law_sync")[0]
            if not manager:  # a refused delete leaves the document where it is
                client.predict("총무과", FILE, api_name="/delete")
                assert (folder / FILE).exists()
        index_files = json.loads(deptbot("documents", "list", "--department", "총무과", "--json", data=data).stdout)
        assert FILE in {row["file"] for row in index_files}
        rotations = registry.audit_log(action="link_rotated")
        assert sorted(e.actor for e in rotations) == ["admin", "lead"]  # who did it; the refused did nothing
        _client(server.base, "lead").predict("총무과", FILE, api_name="/delete")  # the lead may
        assert not (folder / FILE).exists()
        deleted = registry.audit_log(action="document_deleted")
        assert [(e.actor, e.target) for e in deleted] == [("lead", f"총무과/{FILE}")]
    index_files = json.loads(deptbot("documents", "list", "--department", "총무과", "--json", data=data).stdout)
    assert FILE not in {row["file"] for row in index_files} and index_files
