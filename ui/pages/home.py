"""Sign-in, sign-out and the home page (the bots the signed-in user may use, searchable), as plain HTML.

Small server-rendered pages: they must work before any script runs and for the share-link redirect, and they
need nothing Gradio offers. Every value shown is escaped.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from builder.access import can_use
from builder.registry import RegistryError
from ui.wiring import Services

_STYLE = """
body {font-family: 'Noto Sans KR', 'Malgun Gothic', sans-serif; max-width: 640px; margin: 2rem auto; padding: 0 1rem;}
input {font-size: 1rem; padding: .5rem; width: 100%; box-sizing: border-box; margin: .25rem 0 .75rem;}
button {font-size: 1rem; padding: .5rem 1rem;}
.bot {display: block; border: 1px solid #d0d7de; border-radius: 8px; padding: .75rem; margin: .5rem 0;
      color: inherit; text-decoration: none;}
.error {color: #b00020;}
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f'<!doctype html><html lang="ko"><head><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f"<title>{html.escape(title)} · deptbot</title><style>{_STYLE}</style></head>"
                        f"<body>{body}</body></html>")


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
    from ui.api import SignInLocked, client_address, current_user, locked_message, sign_in
    from ui.files import icon_html

    def setup_open(token: str) -> bool:
        return bool(setup_token) and secrets.compare_digest(token.encode(), setup_token.encode()) \
            and not services.registry.has_admin()

    def setup_form(token: str, error: str = "") -> HTMLResponse:
        alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        return _page("첫 관리자 만들기", f"""<h1>첫 관리자 만들기</h1>
<p>관리자가 아직 없습니다. 이 페이지는 관리자를 만들면 사라집니다.</p>{alert}
<form method="post" action="/setup">
<input type="hidden" name="token" value="{html.escape(token)}">
<label>사용자 이름 (영문, 숫자, . _ @ -)<input name="username" autocomplete="username" required></label>
<label>표시 이름<input name="display_name"></label>
<label>비밀번호 (12자 이상)<input name="password" type="password" autocomplete="new-password" required></label>
<label>비밀번호 확인<input name="again" type="password" autocomplete="new-password" required></label>
<button type="submit">관리자 만들기</button></form>""")

    @app.get("/setup", include_in_schema=False)
    def setup_page(token: str = "") -> Response:
        if not setup_open(token):
            return HTMLResponse("Not Found", status_code=404)
        return setup_form(token)

    @app.post("/setup", include_in_schema=False)
    def setup(request: Request, token: str = Form(""), username: str = Form(...), password: str = Form(...),
              again: str = Form(...), display_name: str = Form("")) -> Response:
        if not setup_open(token):
            return HTMLResponse("Not Found", status_code=404)
        if password != again:
            return setup_form(token, "두 비밀번호가 다릅니다.")
        try:
            user = services.registry.add_user(username.strip(), password, "admin", display_name=display_name.strip())
        except RegistryError as exc:
            return setup_form(token, exc.message)
        request.session.clear()
        request.session["user"] = user.username
        return RedirectResponse("/builder/", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/", failed: int = 0) -> HTMLResponse:
        reason = locked_message(services) if failed == 2 else "사용자 이름이나 비밀번호가 맞지 않습니다."
        error = f'<p class="error" role="alert">{html.escape(reason)}</p>' if failed else ""
        return _page("로그인", f"""<h1>로그인</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{html.escape(safe_next(next))}">
<label>사용자 이름<input name="username" autocomplete="username" required></label>
<label>비밀번호<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">로그인</button></form>""")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(...), password: str = Form(...),
              next: str = Form("/")) -> Response:
        target = safe_next(next)
        try:
            user = sign_in(services, username, password, client_address(request))
        except SignInLocked:
            return RedirectResponse(f"/login?failed=2&next={quote(target)}", status_code=303)
        if user is None:
            return RedirectResponse(f"/login?failed=1&next={quote(target)}", status_code=303)
        request.session.clear()
        request.session["user"] = user.username
        return RedirectResponse(target, status_code=303)

    @app.get("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        cards = []
        for bot in services.registry.bots():
            if not bot.published or not can_use(bot, user):
                continue
            definition = bot.definition
            link = f"/b/{quote(bot.slug)}" + (f"?key={quote(bot.link_key)}" if definition.visibility == "link" else "")
            cards.append(f'<a class="bot" href="{html.escape(link)}" data-search="'
                         f'{html.escape((definition.name + " " + definition.description).lower())}">'
                         f"<strong>{icon_html(definition.icon, 24)} {html.escape(definition.name)}</strong><br>"
                         f"{html.escape(definition.description)}</a>")
        listing = "".join(cards) or "<p>쓸 수 있는 봇이 아직 없습니다.</p>"
        return _page("내 봇", f"""<p>{html.escape(user.display_name)} 님 · <a href="/logout">로그아웃</a></p>
<h1>내 봇</h1><input id="search" type="search" placeholder="봇 검색" aria-label="봇 검색">
<div id="bots">{listing}</div>
<script>document.getElementById('search').addEventListener('input', e => {{
  const q = e.target.value.trim().toLowerCase();
  for (const a of document.querySelectorAll('#bots .bot')) a.hidden = q && !a.dataset.search.includes(q);
}});</script>""")
