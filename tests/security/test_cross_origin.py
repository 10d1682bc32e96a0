"""Another origin's page (here: another port of the same host, the same "site", so the lead's SameSite=Lax cookie
goes along) must not drive the builder or the API in a signed-in user's name, nor read their answers, nor frame
our pages. Gradio's own CORS middleware echoed any origin with credentials: a page elsewhere rotated a share link
and read the new key."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.security.conftest import Site, listening
from tests.support.server import PASSWORD

ATTACK = """<!doctype html><html><body><script>
window.results = {};
async function attempt(name, url, init) {
  try {
    const response = await fetch(url, Object.assign({credentials: "include"}, init));
    window.results[name] = "read " + response.status + " " + (await response.text()).slice(0, 200);
  } catch (error) { window.results[name] = "blocked " + error; }
}
(async () => {
  const event = JSON.stringify(EVENT);
  await attempt("rotate_json", TARGET + "/builder/gradio_api/queue/join",
                {method: "POST", headers: {"Content-Type": "application/json"}, body: event});
  await attempt("rotate_plain", TARGET + "/builder/gradio_api/queue/join",
                {method: "POST", headers: {"Content-Type": "text/plain"}, body: event});
  await attempt("config", TARGET + "/builder/config", {});
  await attempt("bots", TARGET + "/api/bots", {});
  await attempt("login", TARGET + "/login", {method: "POST", body: new URLSearchParams(
    {username: "lead", password: "PASSWORD", next: "/"})});
  window.done = true;
})();
</script><iframe id="framed" src="BASE/builder/"></iframe></body></html>"""


def test_requests_from_another_origin_are_refused_and_get_no_cors_headers(site: Site) -> None:
    lead = site.cookie("lead")
    event = site.event_body("rotate", ["dangjik"])
    key = site.registry().bot("dangjik").link_key
    elsewhere = "http://127.0.0.1:1"
    for origin in (elsewhere, "null", "http://localhost:" + site.base.rsplit(":", 1)[1]):
        refused = httpx.post(f"{site.base}/builder/gradio_api/queue/join", json=event,
                             headers={"Cookie": lead, "Origin": origin})
        assert refused.status_code == 403, origin
    assert httpx.post(f"{site.base}/builder/gradio_api/queue/join", json=event,
                      headers={"Cookie": lead, "Sec-Fetch-Site": "same-site"}).status_code == 403
    for path, body in (("/api/session", {"username": "lead", "password": PASSWORD}),
                       ("/api/bots/dangjik/ask", {"question": "당직 근무비는?"})):
        assert httpx.post(site.base + path, json=body, headers={"Origin": elsewhere}).status_code == 403
    form = httpx.post(f"{site.base}/login", data={"username": "lead", "password": PASSWORD},
                      headers={"Origin": elsewhere})
    assert form.status_code == 403 and "set-cookie" not in form.headers
    preflight = httpx.options(f"{site.base}/builder/gradio_api/queue/join",
                              headers={"Origin": elsewhere, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    for response in (preflight, httpx.get(f"{site.base}/builder/config", headers={"Cookie": lead, "Origin": elsewhere}),
                     httpx.get(f"{site.base}/api/bots", headers={"Cookie": lead, "Origin": elsewhere})):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")], response.headers
    assert site.registry().bot("dangjik").link_key == key
    # The lead's own page (its own origin) still rotates the link.
    own = httpx.post(f"{site.base}/builder/gradio_api/queue/join", json=event,
                     headers={"Cookie": lead, "Origin": site.base})
    assert own.status_code == 200
    with httpx.stream("GET", f"{site.base}/builder/gradio_api/queue/data",
                      params={"session_hash": event["session_hash"]}, headers={"Cookie": lead}, timeout=30) as stream:
        for line in stream.iter_lines():
            if "process_completed" in line:
                break
    assert site.registry().bot("dangjik").link_key != key


def test_pages_may_be_framed_only_by_our_own_pages(site: Site) -> None:
    for path in ("/login", "/builder/", "/chat/", "/docs", "/api/bots", "/files/general-affairs/x.txt"):
        response = httpx.get(site.base + path, headers={"Cookie": site.cookie("lead")})
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert response.headers["referrer-policy"] == "same-origin"


def test_a_signed_in_lead_visiting_another_origin_s_page_is_not_driven_by_it(site: Site, browser: Any) -> None:
    key = site.registry().bot("dangjik").link_key
    event = json.dumps(site.event_body("rotate", ["dangjik"]))
    page_text = ATTACK.replace("EVENT", event).replace("TARGET", json.dumps(site.base))
    page_text = page_text.replace("BASE", site.base)
    page_text = page_text.replace('"PASSWORD"', json.dumps(PASSWORD))
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    page.goto(site.base + "/login?next=/builder/")
    page.get_by_label("사용자 이름").fill("lead")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_text("봇 만들기").first.wait_for(timeout=30000)
    with listening(page_text) as attacker:
        page.goto(attacker.url + "/")
        try:
            page.wait_for_function("window.done === true", timeout=30000)
        except Exception as exc:
            raise AssertionError(f"{console} {page.evaluate('window.results')}") from exc
        results = page.evaluate("window.results")
        page.wait_for_timeout(1000)  # the frame's load settles
        framed = [frame.url for frame in page.frames if frame != page.main_frame]
    context.close()
    assert all(value.startswith("blocked") for value in results.values()), results
    assert framed and not any(url.startswith(site.base) for url in framed), framed  # Chromium's error page instead
    assert site.registry().bot("dangjik").link_key == key
