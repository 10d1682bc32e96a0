"""Sessions end when they should, on the server: signing out, a password change, removing the user, "sign out
everywhere" and an idle session. A stolen or kept cookie was valid for 8 hours whatever happened. And signing in
is limited so that a stranger cannot lock the real owner out, spraying names from one address stops, and a
flood of sign-ins does not take the answers down."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from tests.conftest import ROOT
from tests.security.conftest import Site
from tests.support.server import PASSWORD, deptbot

QUESTION = {"question": "당직 근무비는 얼마인가요?", "key": ""}


def _signed_in(site: Site, cookie: str) -> bool:
    """Whether the cookie still signs someone in (the builder's API answers leads only)."""
    return httpx.get(f"{site.base}/builder/config", headers={"Cookie": cookie}).status_code == 200


def _sign_in(site: Site, user: str, password: str, address: str) -> int:
    return httpx.post(f"{site.base}/api/session", json={"username": user, "password": password},
                      headers={"X-Forwarded-For": address}, timeout=60).status_code


def test_signing_out_ends_the_session_on_the_server(site: Site) -> None:
    for sign_out in ("api", "page"):
        cookie = site.cookie("lead")
        assert _signed_in(site, cookie)
        if sign_out == "api":
            assert httpx.delete(f"{site.base}/api/session", headers={"Cookie": cookie}).status_code == 200
        else:
            response = httpx.get(f"{site.base}/logout", headers={"Cookie": cookie, "Sec-Fetch-Site": "same-origin"})
            assert response.status_code == 303 and "storage" in response.headers["clear-site-data"]
        assert not _signed_in(site, cookie)  # the old cookie, replayed
        assert httpx.get(f"{site.base}/api/bots", headers={"Cookie": cookie}).json() == []
        assert httpx.get(f"{site.base}/builder/", headers={"Cookie": cookie}).status_code == 303


def test_a_link_on_another_site_cannot_sign_people_out(site: Site) -> None:
    cookie = site.cookie("lead")
    page = httpx.get(f"{site.base}/logout", headers={"Cookie": cookie, "Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200 and 'method="post"' in page.text
    assert _signed_in(site, cookie)


def test_a_password_change_removal_and_sign_out_everywhere_end_every_session_of_the_user(site: Site) -> None:
    lead, admin = site.cookie("lead"), site.cookie("admin")
    deptbot("users", "passwd", "lead", "--password-stdin", data=site.data, stdin="another-long-passphrase\n")
    assert not _signed_in(site, lead) and _signed_in(site, admin)  # another user is not touched
    deptbot("users", "passwd", "lead", "--password-stdin", data=site.data, stdin=PASSWORD + "\n")
    first, second = site.cookie("lead"), site.cookie("lead")
    signed_out = deptbot("users", "signout", "lead", data=site.data).stdout
    assert "2" in signed_out and not _signed_in(site, first) and not _signed_in(site, second)
    deptbot("users", "add", "temp-lead", "--role", "lead", "--department", "총무과", "--password-stdin",
            data=site.data, stdin=PASSWORD + "\n")
    temporary = site.cookie("temp-lead")
    assert _signed_in(site, temporary)
    deptbot("users", "remove", "temp-lead", data=site.data)
    assert not _signed_in(site, temporary)


def test_an_idle_session_ends_by_itself(site: Site) -> None:
    cookie = site.cookie("lead")
    assert _signed_in(site, cookie)
    with site.registry().engine.begin() as connection:  # two hours without a request (the limit is 60 minutes)
        connection.execute(text("UPDATE sessions SET last_seen = :then"),
                           {"then": datetime.now(UTC) - timedelta(hours=2)})
    assert not _signed_in(site, cookie)


def test_a_stranger_failing_as_the_administrator_locks_out_only_their_own_address(site: Site) -> None:
    for _ in range(5):
        assert _sign_in(site, "admin", "not-the-password", "10.0.0.66") == 401
    assert _sign_in(site, "admin", PASSWORD, "10.0.0.66") == 429  # the stranger's address is refused
    assert _sign_in(site, "admin", PASSWORD, "10.0.0.7") == 200  # the administrator, elsewhere, is not


def test_spraying_many_names_from_one_address_is_stopped(site: Site) -> None:
    for n in range(30):
        assert _sign_in(site, f"guess{n}", "not-the-password", "10.0.0.99") == 401
    assert _sign_in(site, "lead", PASSWORD, "10.0.0.99") == 429
    assert _sign_in(site, "lead", PASSWORD, "10.0.0.8") == 200


def test_a_flood_of_sign_ins_is_queued_briefly_and_questions_are_still_answered(site: Site) -> None:
    """120 sign-ins at once (each from its own address, so no limit applies): password hashing takes one at a
    time with a short queue, so most are told to come back at once (503) instead of all hashing together and
    starving the answers. The answers' times during the flood go to artifacts/ (speed is bench/'s to assert)."""
    flood: list[int] = []
    stop = threading.Event()

    def bogus(n: int) -> None:
        flood.append(_sign_in(site, f"user{n}", "not-the-password", f"10.2.{n // 250}.{n % 250 + 1}"))

    key = site.registry().bot("dangjik").link_key
    httpx.post(f"{site.base}/api/bots/dangjik/ask", json={**QUESTION, "key": key}, timeout=120)  # built, warm
    quiet = []
    for n in range(5):
        began = time.perf_counter()
        httpx.post(f"{site.base}/api/bots/dangjik/ask", json={**QUESTION, "key": key},
                   headers={"X-Forwarded-For": f"10.4.0.{n + 1}"}, timeout=120)
        quiet.append(time.perf_counter() - began)
    timings: list[float] = []

    def ask() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            answered = httpx.post(f"{site.base}/api/bots/dangjik/ask", json={**QUESTION, "key": key},
                                  headers={"X-Forwarded-For": f"10.3.0.{len(timings) + 1}"}, timeout=120)
            assert answered.status_code == 200
            timings.append(time.perf_counter() - began)

    asker = threading.Thread(target=ask)
    asker.start()
    with ThreadPoolExecutor(60) as pool:
        list(pool.map(bogus, range(120)))
    stop.set()
    asker.join(timeout=120)
    assert sorted(set(flood)) == [401, 503], sorted(set(flood))
    assert timings
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "sign-in-flood.json").write_text(json.dumps({
        "sign_ins": len(flood), "refused_busy": flood.count(503), "answers_during_flood": len(timings),
        "answer_seconds_max": round(max(timings), 3),
        "answer_seconds_median": round(sorted(timings)[len(timings) // 2], 3),
        "quiet_answer_seconds_median": round(sorted(quiet)[2], 3)}), encoding="utf-8")
