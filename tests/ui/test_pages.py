"""Sign-in, sign-out, home and share-link redirects (server-rendered pages, through the real app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from builder.definitions import BotDefinition
from tests.conftest import make_services
from ui.app import create_app
from ui.pages.home import safe_next
from ui.wiring import Services

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def app(sample_index: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    registry_file = tmp_path_factory.mktemp("registry") / "registry.db"
    services = make_services(sample_index.settings.data_dir, database_url=f"sqlite:///{registry_file}")
    services.registry.add_department("총무과", "general-affairs")
    services.registry.add_department("민원여권과", "civil-passport")
    services.registry.add_user("kim", PASSWORD, "staff", ["총무과"], display_name="김주무관")
    services.registry.add_user("lee", PASSWORD, "lead", ["총무과"], display_name="이팀장")
    for slug, name, visibility in [("dangjik", "당직 도우미", "department"), ("share", "<공유> 봇", "link"),
                                   ("passport", "여권 도우미", "department")]:
        department = "민원여권과" if slug == "passport" else "총무과"
        services.registry.create_bot(BotDefinition(slug=slug, name=name, departments=[department],
                                                   visibility=visibility, description="설명"))
        services.registry.set_published(slug, True)
    with TestClient(create_app(services), follow_redirects=False) as client:
        yield services, client


def _signed_in(app: tuple[Services, TestClient], username: str = "kim") -> TestClient:
    client = TestClient(app[1].app, follow_redirects=False)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    return client


def test_anonymous_visitors_are_sent_to_sign_in_whether_the_bot_exists_or_not(app: tuple[Services, TestClient]) -> None:
    client = TestClient(app[1].app, follow_redirects=False)
    for slug in ("dangjik", "no-such-bot"):
        response = client.get(f"/b/{slug}")
        assert response.status_code == 303 and response.headers["location"] == f"/login?next=/b/{slug}"
    assert client.get("/").headers["location"] == "/login"
    form = client.get("/login?next=/b/dangjik").text
    assert 'name="password" type="password"' in form and 'value="/b/dangjik"' in form


def test_a_share_link_with_its_key_goes_to_the_chat_page(app: tuple[Services, TestClient]) -> None:
    services, client = app
    key = services.registry.bot("share").link_key
    response = TestClient(client.app, follow_redirects=False).get(f"/b/share?key={key}")
    assert response.status_code == 303 and response.headers["location"] == f"/chat/?bot=share&key={key}"


def test_signing_in_returns_to_the_page_asked_for_and_never_to_another_host(app: tuple[Services, TestClient]) -> None:
    client = TestClient(app[1].app, follow_redirects=False)
    wrong = client.post("/login", data={"username": "kim", "password": "wrong-password-1", "next": "/b/dangjik"})
    assert wrong.headers["location"] == "/login?failed=1&next=/b/dangjik"
    assert "맞지 않습니다" in client.get(wrong.headers["location"]).text
    right = client.post("/login", data={"username": "kim", "password": PASSWORD, "next": "/b/dangjik"})
    assert right.headers["location"] == "/b/dangjik"
    assert client.get("/b/dangjik").headers["location"] == "/chat/?bot=dangjik"
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil", ""):
        assert safe_next(target) == "/"


def test_home_lists_the_bots_the_user_may_use_escaped(app: tuple[Services, TestClient]) -> None:
    page = _signed_in(app).get("/").text
    assert "김주무관" in page and "당직 도우미" in page and "&lt;공유&gt; 봇" in page and "<공유>" not in page
    assert "여권 도우미" not in page  # another department's bot
    assert 'type="search"' in page


def test_home_links_the_builder_for_leads_and_administrators_only(app: tuple[Services, TestClient]) -> None:
    assert 'href="/builder/"' in _signed_in(app, "lee").get("/").text
    assert 'href="/builder/"' not in _signed_in(app, "kim").get("/").text
    assert "/builder/" not in TestClient(app[1].app).get("/").text  # anonymous: the sign-in page


def test_server_pages_carry_the_product_name_and_a_phone_viewport(app: tuple[Services, TestClient]) -> None:
    client = _signed_in(app)
    for response in (TestClient(client.app).get("/login"), client.get("/"), client.get("/builder/"),
                     client.get("/nowhere", headers={"Accept": "text/html"})):
        assert 'class="product"' in response.text and "deptbot" in response.text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    forbidden = client.get("/builder/")
    assert forbidden.status_code == 403 and "권한이 없습니다" in forbidden.text
    missing = client.get("/nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "페이지를 찾을 수 없습니다" in missing.text
    assert "Not Found" not in missing.text
    assert client.get("/api/nowhere").json() == {"detail": "Not Found"}  # API clients keep their JSON


def test_signing_out_ends_the_session(app: tuple[Services, TestClient]) -> None:
    client = _signed_in(app)
    assert client.get("/").status_code == 200
    assert client.get("/logout").headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login"


def test_the_first_administrator_is_made_once_with_the_printed_token(tmp_path: Path) -> None:
    services = make_services(tmp_path / "data")
    with TestClient(create_app(services, setup_token="one-time-secret"), follow_redirects=False) as client:
        assert client.get("/setup").status_code == 404
        assert client.get("/setup?token=guess").status_code == 404
        assert client.post("/setup", data={"token": "guess", "username": "root", "password": PASSWORD,
                                           "again": PASSWORD}).status_code == 404
        form = client.get("/setup?token=one-time-secret")
        assert form.status_code == 200 and "첫 관리자 만들기" in form.text
        mismatch = client.post("/setup", data={"token": "one-time-secret", "username": "root",
                                               "password": PASSWORD, "again": PASSWORD + "x"})
        assert "두 비밀번호가 다릅니다" in mismatch.text and not services.registry.has_admin()
        weak = client.post("/setup", data={"token": "one-time-secret", "username": "root", "password": "1234",
                                           "again": "1234"})
        assert weak.status_code == 200 and "비밀번호" in weak.text and not services.registry.has_admin()
        assert 'name="username" autocomplete="username" required\n value="root"' in weak.text  # kept
        assert 'value="1234"' not in weak.text  # the password never comes back
        made = client.post("/setup", data={"token": "one-time-secret", "username": "root", "password": PASSWORD,
                                           "again": PASSWORD, "display_name": "시스템 관리자"})
        assert made.status_code == 303 and made.headers["location"] == "/admin/"  # its "what next" panel
        assert services.registry.user("root").is_admin
        assert client.get("/admin/").status_code == 200  # signed in as the new administrator
        assert client.get("/builder/").status_code == 200
        used = client.get("/setup?token=one-time-secret")
        assert used.status_code == 404 and "이미 설정을 마쳤습니다" in used.text  # gone once an administrator exists
        assert "Not Found" not in client.get("/setup?token=guess").text


def test_the_setup_page_states_the_password_rules_its_check_runs(tmp_path: Path) -> None:
    from builder.passwords import MIN_DISTINCT, MIN_LENGTH, rules

    services = make_services(tmp_path / "data")
    with TestClient(create_app(services, setup_token="t"), follow_redirects=False) as client:
        page = client.get("/setup?token=t").text
        assert all(rule in page for rule in rules()) and "12자" not in page
        assert f"{MIN_LENGTH}자 이상" in page and "사용자 이름" in rules()[1] and str(MIN_DISTINCT) in rules()[2]

        def refused(username: str, password: str) -> bool:
            answer = client.post("/setup", data={"token": "t", "username": username, "password": password,
                                                 "again": password})
            return answer.status_code == 200 and 'role="alert"' in answer.text

        assert refused("root", "abcdefgh1"[: MIN_LENGTH - 1])  # one short of the stated length
        assert refused("mayor", "mayor-" + "1234" * 3)  # the user name inside
        assert refused("root", "ab" * MIN_LENGTH)  # fewer different characters than stated
        assert not refused("root", "abcd" + "1" * (MIN_LENGTH - 4)) and services.registry.has_admin()


def test_an_icon_image_is_kept_by_content_and_served_safely(app: tuple[Services, TestClient], tmp_path: Path) -> None:
    from PIL import Image

    from builder.definitions import BotDefinition
    from connectors.errors import ConnectorError
    from ui.files import store_icon

    services, client = app
    picture = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(picture)
    value = store_icon(services, picture)
    assert value.startswith("image:") and value.endswith(".png")
    served = client.get("/icons/" + value.removeprefix("image:"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == picture.read_bytes()
    fake = tmp_path / "logo.gif"
    fake.write_text("<svg onload=alert(1)>", encoding="utf-8")
    with pytest.raises(ConnectorError, match="PNG, JPEG, GIF, WebP"):
        store_icon(services, fake)
    for bad in ("../registry.db", "0123456789abcdef.svg", "session.key"):
        assert client.get("/icons/" + bad).status_code == 404
    with pytest.raises(ValueError, match="아이콘"):
        BotDefinition(slug="x1", name="봇", departments=["총무과"], icon="image:../../etc/passwd")
