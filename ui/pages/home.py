"""Sign-in, sign-out, first-administrator setup and the home page (the bots the signed-in user may use,
searchable; the builder for leads and administrators), as plain HTML in the frame of `ui/pages/shell.py`.

Small server-rendered pages: they must work before any script runs and for the share-link redirect, and they
need nothing Gradio offers. Every value shown is escaped.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from builder.access import can_build, can_use
from builder.passwords import rules
from builder.registry import RegistryError, User
from ui.pages.shell import page_html
from ui.wiring import Services

SETUP_USED = ("<h1>이미 설정을 마쳤습니다</h1><p>첫 관리자가 이미 만들어져 이 설정 링크는 더 쓸 수 없습니다. "
              "관리자 계정으로 로그인해 주세요.</p>"
              '<p class="actions"><a class="button primary" href="/login">로그인</a></p>')
SETUP_WRONG = ("<h1>설정 링크가 맞지 않습니다</h1><p>서버를 시작할 때 출력된 주소(<code>/setup?token=…</code>)를 "
               "그대로 열어 주세요. 주소가 바뀌었으면 서버를 다시 시작하면 새 주소가 출력됩니다.</p>")
NOT_FOUND = ('<h1>페이지를 찾을 수 없습니다</h1><p>주소가 바뀌었거나 없는 페이지입니다.</p>'
             '<p><a href="/">처음으로</a></p>')


def _page(title: str, body: str, *, nav: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(page_html(title, body, nav=nav), status_code=status)


def _nav(user: User) -> str:
    """The signed-in user's links: their name, the builder for leads and administrators, the admin pages for
    administrators, sign-out."""
    builder = '<a href="/builder/">봇 만들기</a>' if can_build(user) else ""
    admin = '<a href="/admin/">관리</a>' if user.is_admin else ""
    return (f'<span class="muted">{html.escape(user.display_name)} 님</span>{builder}{admin}'
            '<a href="/logout">로그아웃</a>')


def not_found_page() -> HTMLResponse:
    """The Korean page for an address that leads nowhere (browsers; the API keeps its JSON)."""
    return _page("찾을 수 없음", NOT_FOUND, status=404)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path of this site (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def add_pages(app: FastAPI, services: Services, setup_token: str = "") -> None:
    """Mount /login, /logout, / and, while there is no administrator, /setup on the app.

    `setup_token` is the one-time secret `deptbot serve` prints when the registry has no administrator: whoever
    holds it (the person who started the server) creates the first administrator at /setup?token=…; there is
    never a default password, and the page is gone once an administrator exists.
    """
    from ui.files import icon_html
    from ui.guard import started_elsewhere
    from ui.sessions import BUSY, SignInBusy, SignInLocked, client_address, current_user

    sessions, gate = app.state.sessions, app.state.sign_in

    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        # A browser that opens a wrong address reads Korean, not {"detail":"Not Found"}; API clients keep JSON.
        wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
        if exc.status_code == 404 and wants_page:
            return not_found_page()
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found)  # type: ignore[arg-type]

    def setup_open(token: str) -> bool:
        return bool(setup_token) and secrets.compare_digest(token.encode(), setup_token.encode()) \
            and not services.registry.has_admin()

    def setup_form(token: str, error: str = "", username: str = "", display_name: str = "") -> HTMLResponse:
        # After an error the names typed stay (never the passwords); the rules listed are the ones the check runs.
        alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        stated = "".join(f"<li>{html.escape(rule)}</li>" for rule in rules())
        return _page("첫 관리자 만들기", f"""<h1>첫 관리자 만들기</h1>
<p>관리자가 아직 없습니다. 이 페이지는 관리자를 만들면 사라집니다.</p>{alert}
<form method="post" action="/setup">
<input type="hidden" name="token" value="{html.escape(token)}">
<label>사용자 이름 (영문, 숫자, . _ @ -)<input name="username" autocomplete="username" required
 value="{html.escape(username)}"></label>
<label>표시 이름<input name="display_name" value="{html.escape(display_name)}"></label>
<label>비밀번호<input name="password" type="password" autocomplete="new-password" required
 aria-describedby="password-rules"></label>
<ul class="rules" id="password-rules">{stated}</ul>
<label>비밀번호 확인<input name="again" type="password" autocomplete="new-password" required></label>
<button type="submit">관리자 만들기</button></form>""")

    def setup_closed() -> HTMLResponse:
        # Once an administrator exists the link is used up, whoever asks; before that only a wrong token lands here.
        used = services.registry.has_admin()
        return _page("설정 끝남" if used else "설정 링크 오류", SETUP_USED if used else SETUP_WRONG, status=404)

    @app.get("/setup", include_in_schema=False)
    def setup_page(token: str = "") -> Response:
        if not setup_open(token):
            return setup_closed()
        return setup_form(token)

    @app.post("/setup", include_in_schema=False)
    def setup(request: Request, token: str = Form(""), username: str = Form(...), password: str = Form(...),
              again: str = Form(...), display_name: str = Form("")) -> Response:
        if not setup_open(token):
            return setup_closed()
        if password != again:
            return setup_form(token, "두 비밀번호가 다릅니다.", username, display_name)
        try:
            user = services.registry.add_user(username.strip(), password, "admin", display_name=display_name.strip())
        except RegistryError as exc:
            return setup_form(token, exc.message, username, display_name)
        response = RedirectResponse("/admin/", status_code=303)  # its "what next" panel: departments, leads
        sessions.open(request, response, user)
        return response

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/", failed: int = 0) -> HTMLResponse:
        reason = {2: gate.locked_message(), 3: BUSY}.get(failed, "사용자 이름이나 비밀번호가 맞지 않습니다.")
        error = f'<p class="error" role="alert">{html.escape(reason)}</p>' if failed else ""
        return _page("로그인", f"""<h1>로그인</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{html.escape(safe_next(next))}">
<label>사용자 이름<input name="username" autocomplete="username" required></label>
<label>비밀번호<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">로그인</button></form>""")

    @app.post("/login", include_in_schema=False)
    async def login(request: Request, username: str = Form(..., max_length=64),
                    password: str = Form(..., max_length=256), next: str = Form("/")) -> Response:
        target = safe_next(next)
        try:
            user = await gate.sign_in(username, password, client_address(request))
        except SignInLocked:
            return RedirectResponse(f"/login?failed=2&next={quote(target)}", status_code=303)
        except SignInBusy:
            return RedirectResponse(f"/login?failed=3&next={quote(target)}", status_code=303)
        if user is None:
            return RedirectResponse(f"/login?failed=1&next={quote(target)}", status_code=303)
        response = RedirectResponse(target, status_code=303)
        await run_in_threadpool(sessions.open, request, response, user)
        return response

    @app.get("/logout", include_in_schema=False)
    def logout_link(request: Request) -> Response:
        if started_elsewhere(request.headers):
            # A link on another site must not sign people out: they confirm here (the form posts from our page).
            return _page("로그아웃", '<h1>로그아웃</h1><form class="inline" method="post" action="/logout">'
                                     '<button type="submit">로그아웃</button></form>')
        return logout(request)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        sessions.close(request, response)
        # Nothing of the signed-in user stays in this browser (Chromium honours this on https and localhost).
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        cards = []
        for bot in services.registry.served_bots():  # the published versions
            if not bot.published or not can_use(bot, user):
                continue
            definition = bot.definition
            link = f"/b/{quote(bot.slug)}" + (f"?key={quote(bot.link_key)}" if definition.visibility == "link" else "")
            cards.append(f'<a class="bot" href="{html.escape(link)}" data-search="'
                         f'{html.escape((definition.name + " " + definition.description).lower())}">'
                         f"<strong>{icon_html(definition.icon, 24)} {html.escape(definition.name)}</strong><br>"
                         f"{html.escape(definition.description)}</a>")
        listing = "".join(cards) or "<p>쓸 수 있는 봇이 아직 없습니다.</p>"
        return _page("내 봇", f"""<h1>내 봇</h1>
<input id="search" type="search" placeholder="봇 검색" aria-label="봇 검색">
<div id="bots">{listing}</div>
<script>document.getElementById('search').addEventListener('input', e => {{
  const q = e.target.value.trim().toLowerCase();
  for (const a of document.querySelectorAll('#bots .bot')) a.hidden = q && !a.dataset.search.includes(q);
}});</script>""", nav=_nav(user))
