"""The admin pages against a real `deptbot serve`: leads, staff and anonymous visitors get nothing of /admin/ (not
the page, its config, its API description, an event posted raw or through gradio_client, an upload), and nothing
changes; an administrator's own session drives the same events, but not from another origin's page; a department
with documents keeps its name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.security.conftest import Site
from tests.support.server import PASSWORD

INTRUDERS = ("anonymous", "staff", "lead", "lead_other")
EVENTS: dict[str, list[Any]] = {
    "add_user": ["mallory", "", "admin", [], "mallory-secret-1", "mallory-secret-1"],
    "change_user": ["staff", "admin", [], "x"],
    "reset_password": ["admin", "attacker-chosen-1"],
    "sign_out": ["admin"],
    "remove_user": ["lead"],
    "add_department": ["해킹과", "hack", ""],
    "change_department": ["총무과", "", "", "attacker"],
    "issue_token": ["admin", "steal"],
    "revoke_token": [1],
    "audit": ["", "", "", ""],
    "refresh": ["", "", "", ""],
    "pick_user": ["admin"],
}


def _state(site: Site) -> Any:
    registry = site.registry()
    try:
        return (registry.users(), registry.departments(), registry.tokens(), registry.audit_log())
    finally:
        registry.close()


def _completed(site: Site, cookie: str, joined: httpx.Response, session_hash: str) -> str:
    """The event's completion message, read from the queue as the page reads it."""
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", f"{site.base}/admin/gradio_api/queue/data", params={"session_hash": session_hash},
                      headers={"Cookie": cookie}, timeout=30) as stream:
        for line in stream.iter_lines():
            if "process_completed" in line:
                return line
    raise AssertionError("the event never completed")


@pytest.mark.parametrize("role", INTRUDERS)
def test_only_administrators_reach_the_admin_pages(site: Site, role: str) -> None:
    cookie = site.cookie(role)
    headers = {"Cookie": cookie}
    before = _state(site)
    page = httpx.get(f"{site.base}/admin/", headers=headers)
    if role == "anonymous":  # sent to sign-in, and back here afterwards
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/admin/"
    else:
        assert page.status_code == 403 and "관리자만" in page.text and "<title>" in page.text
    for path in ("config", "gradio_api/info", "gradio_api/startup-events"):
        refused = httpx.get(f"{site.base}/admin/{path}", headers=headers)
        assert refused.status_code in (401, 403) and "관리자로 로그인" in refused.text, (role, path)
    for api_name, data in EVENTS.items():
        joined = site.event(api_name, data, cookie, mount="admin")
        assert joined.status_code in (401, 403), (role, api_name, joined.text)
    upload = httpx.post(f"{site.base}/admin/gradio_api/upload", files={"files": ("a.txt", b"x")}, headers=headers)
    assert upload.status_code in (401, 403, 404), upload.text
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 (whatever gradio_client raises: it gets no config)
        Client(f"{site.base}/admin/", headers=headers, verbose=False)
    assert _state(site) == before


def test_the_admin_pages_refuse_another_origin_even_with_an_administrators_cookie(site: Site) -> None:
    admin = site.cookie("admin")
    before = _state(site)
    body = site.event_body("add_department", ["해킹과", "hack", ""], mount="admin")
    for headers in ({"Origin": "http://127.0.0.1:1"}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site"}):
        refused = httpx.post(f"{site.base}/admin/gradio_api/queue/join", json=body,
                             headers={"Cookie": admin, **headers})
        assert refused.status_code == 403, headers
        assert not [h for h in refused.headers if h.lower().startswith("access-control-")]
    preflight = httpx.options(f"{site.base}/admin/gradio_api/queue/join",
                              headers={"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    framed = httpx.get(f"{site.base}/admin/", headers={"Cookie": admin})
    assert framed.status_code == 200 and "frame-ancestors 'self'" in framed.headers["content-security-policy"]
    assert _state(site) == before
    # The administrator's own page (its own origin) does it.
    line = _completed(site, admin, httpx.post(f"{site.base}/admin/gradio_api/queue/join", json=body,
                                              headers={"Cookie": admin, "Origin": site.base}), body["session_hash"])
    assert "해킹과 부서를 등록했습니다" in line.encode().decode("unicode_escape").encode("latin-1").decode()
    registry = site.registry()
    assert registry.department("hack").name == "해킹과"
    [entry] = registry.audit_log(action="department_added")
    assert (entry.actor, entry.target, entry.address) == ("admin", "해킹과", "127.0.0.1")
    registry.close()


def test_an_administrator_drives_the_events_through_gradio_client(site: Site) -> None:
    client = site.gradio("admin", mount="admin")
    registry = site.registry()
    client.predict("portal", "민원 포털", "staff", ["총무과"], PASSWORD, PASSWORD, api_name="/add_user")
    assert registry.user("portal").departments == ("총무과",)
    token = client.predict("portal", "연동", api_name="/issue_token")[1]
    token = token["value"] if isinstance(token, dict) else token
    bearer = {"Authorization": f"Bearer {token}"}
    assert [b["slug"] for b in httpx.get(f"{site.base}/api/bots", headers=bearer).json()] == ["dangjik", "narrow"]
    issued = next(t.id for t in registry.tokens() if t.username == "portal")
    client.predict(issued, api_name="/revoke_token")
    assert httpx.get(f"{site.base}/api/bots", headers=bearer).json() == []  # a revoked token is nobody
    asked = httpx.post(f"{site.base}/api/bots/dangjik/ask", json={"question": "당직 근무비는?"}, headers=bearer)
    assert asked.status_code == 404
    # A department with documents keeps its name and slug (its index and links are named by them); its contact moves.
    refused = client.predict("총무과", "행정지원과", "", "", api_name="/change_department")[0]
    assert "문서가 있는 부서는 이름과 slug를 바꿀 수 없습니다" in refused.replace("\\", "")
    client.predict("총무과", "", "", "청사관리팀 내선 1135", api_name="/change_department")
    department = registry.department("총무과")
    assert (department.slug, department.contact) == ("general-affairs", "청사관리팀 내선 1135")
    # Removing a user ends their sessions at once.
    staff = site.cookie("staff")
    assert httpx.get(f"{site.base}/api/bots", headers={"Cookie": staff}).json()
    client.predict("staff", api_name="/remove_user")
    assert httpx.get(f"{site.base}/api/bots", headers={"Cookie": staff}).json() == []
    assert [e.action for e in registry.audit_log(user="portal")][::-1] == ["user_added", "token_issued"]
    registry.close()
