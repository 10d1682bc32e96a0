"""Every page and API route times every role: anonymous, staff of another department, staff, lead of another
department, lead, administrator. Each cell says allowed (and what is seen) or refused (and that nothing leaks).

The bot here is a published `department` bot of 총무과 (members and its leads only) plus a draft; documents are
the sample 총무과 manuals. What the Gradio pages do after they load is checked by the same `builder.access`
functions the API uses (the ask matrix in test_api.py) and end to end in test_builder_page.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from builder.definitions import BotDefinition
from tests.ui.test_api import PASSWORD, ROLES, six_roles
from ui.app import create_app
from ui.wiring import Services

SIGNED_IN = set(ROLES) - {"anonymous"}
MEMBERS = {"staff", "lead", "admin"}  # of 총무과, or allowed everywhere
MANAGERS = {"lead", "admin"}
FILE = "당직근무 운영지침.txt"


@pytest.fixture(scope="module")
def app(sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    services = six_roles(sample_index, tmp_path_factory)
    registry = services.registry
    registry.create_bot(BotDefinition(slug="dangjik", name="당직 비서", departments=["총무과"],
                                      visibility="department"))
    registry.set_published("dangjik", True)
    registry.create_bot(BotDefinition(slug="secret-draft", name="초안 비서", departments=["총무과"]))
    with TestClient(create_app(services), follow_redirects=False) as client:
        yield services, client


def _as(app: tuple[Services, TestClient], role: str) -> TestClient:
    client = TestClient(app[1].app, follow_redirects=False)
    if role != "anonymous":
        response = client.post("/login", data={"username": role, "password": PASSWORD, "next": "/"})
        assert response.status_code == 303 and response.headers["location"] == "/", role
    return client


@pytest.mark.parametrize("role", ROLES)
def test_pages(app: tuple[Services, TestClient], role: str) -> None:
    client = _as(app, role)
    assert client.get("/login").status_code == 200
    assert client.get("/docs").status_code == 200

    home = client.get("/")
    if role == "anonymous":
        assert home.status_code == 303 and home.headers["location"] == "/login"
    else:
        assert home.status_code == 200
        assert ("당직 비서" in home.text) == (role in MEMBERS)
        assert "초안 비서" not in home.text  # a draft is not offered for use on the home page

    builder = client.get("/builder/")
    if role == "anonymous":
        assert builder.status_code == 303 and builder.headers["location"] == "/login?next=/builder/"
    elif role in ("staff", "staff_other"):
        assert builder.status_code == 403 and "부서 담당자와 관리자만" in builder.text
    else:
        assert builder.status_code == 200 and "gradio" in builder.text.lower()

    share = client.get("/b/dangjik")
    if role == "anonymous":  # sign-in first, whether the bot exists or not
        assert share.status_code == 303 and share.headers["location"].startswith("/login?next=")
        assert client.get("/b/no-such-bot").headers["location"] == share.headers["location"].replace(
            "dangjik", "no-such-bot")
    else:  # the chat page decides with builder.access once it loads
        assert share.status_code == 303 and share.headers["location"] == "/chat/?bot=dangjik"


@pytest.mark.parametrize("role", ROLES)
def test_api_routes(app: tuple[Services, TestClient], role: str) -> None:
    services, _ = app
    client = _as(app, role)
    listed = client.get("/api/bots")
    assert listed.status_code == 200
    slugs = {bot["slug"] for bot in listed.json()}
    assert ("dangjik" in slugs) == (role in MEMBERS)
    assert ("secret-draft" in slugs) == (role in MANAGERS)

    for slug, allowed in (("dangjik", MEMBERS), ("secret-draft", MANAGERS)):
        asked = client.post(f"/api/bots/{slug}/ask", json={"question": "당직 근무비는 얼마인가요?"})
        if role in allowed:
            assert asked.status_code == 200 and "60,000원" in asked.json()["answer"]
            trace_id = asked.json()["trace_id"]
            rated = client.post(f"/api/bots/{slug}/feedback", json={"trace_id": trace_id, "rating": -1,
                                                                     "comment": "더 자세히"})
            assert rated.status_code == 200
        else:
            assert asked.status_code == 404 and "당직" not in asked.text and "초안" not in asked.text
            rated = client.post(f"/api/bots/{slug}/feedback", json={"trace_id": "0" * 32, "rating": 1})
            assert rated.status_code == 404
    assert services.registry.authenticate("admin", PASSWORD) is not None


@pytest.mark.parametrize("role", ROLES)
def test_original_documents(app: tuple[Services, TestClient], role: str) -> None:
    services, _ = app
    client = _as(app, role)
    path = f"/files/general-affairs/{quote(FILE)}"
    direct = client.get(path)  # without a bot: the department's leads only
    if role in MANAGERS:
        assert direct.status_code == 200 and "당직" in direct.text
        assert direct.headers["content-security-policy"].startswith("sandbox")
        assert direct.headers["x-content-type-options"] == "nosniff"
    else:
        assert direct.status_code == 404 and "당직" not in direct.text
    through_bot = client.get(path + "?bot=dangjik")
    assert (through_bot.status_code == 200) == (role in MEMBERS)
    key = services.registry.bot("secret-draft").link_key  # a key of an unpublished bot opens nothing for others
    assert (client.get(path + f"?bot=secret-draft&key={key}").status_code == 200) == (role in MANAGERS)
    # Never a file outside the indexed documents, whoever asks.
    for bad in ("/files/general-affairs/..%2F..%2Fregistry.db", "/files/general-affairs/session.key",
                "/files/civil-passport/" + quote(FILE), "/files/no-such/" + quote(FILE)):
        assert client.get(bad + "?bot=dangjik").status_code == 404, bad
