"""The web application: the JSON API with the Gradio pages mounted on it (Gradio analytics off, nothing external)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ui.api import create_api, current_user, session_user
from ui.files import add_file_routes
from ui.pages.home import add_pages
from ui.wiring import Services

FORBIDDEN = ('<!doctype html><html lang="ko"><meta charset="utf-8"><title>권한 없음 · deptbot</title>'
             "<p>봇 만들기는 부서 담당자와 관리자만 쓸 수 있습니다. <a href=\"/\">홈으로</a></p></html>")


def create_app(services: Services, setup_token: str = "") -> FastAPI:
    """The whole app: /api/…, /docs, the chat page at /chat/ and share links /b/{slug}."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before Gradio is imported: no request leaves the machine
    import gradio as gr

    from ui.pages.builder import build_builder
    from ui.pages.chat import CSS, build_chat

    app = create_api(services)

    add_pages(app, services, setup_token)
    add_file_routes(app, services)

    @app.get("/b/{slug}", include_in_schema=False)
    def share_link(slug: str, request: Request) -> RedirectResponse:
        key = request.query_params.get("key")
        if not key and current_user(request) is None:
            # Without a link key a bot needs a signed-in user: sign-in first, whether the bot exists or not.
            return RedirectResponse(f"/login?next={quote('/b/' + slug)}", status_code=303)
        query = f"?bot={quote(slug)}" + (f"&key={quote(key)}" if key else "")
        return RedirectResponse(f"/chat/{query}", status_code=303)

    @app.middleware("http")
    async def builder_gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # The builder page itself only for leads and administrators (each of its actions checks again).
        if request.url.path in ("/builder", "/builder/") and request.method == "GET":
            user = session_user(services, dict(request.cookies), app.state.secret, dict(request.headers))
            if user is None:
                return RedirectResponse("/login?next=/builder/", status_code=303)
            if user.role not in ("admin", "lead"):
                return HTMLResponse(FORBIDDEN, status_code=403)
            if request.url.path == "/builder":
                return RedirectResponse("/builder/", status_code=303)
        return await call_next(request)

    chat = build_chat(services, app.state.answerers, app.state.secret, app.state.limits)
    builder = build_builder(services, app.state.secret)
    # System fonts only: Gradio's default theme would have every browser fetch its font from Google.
    theme = gr.themes.Default(font=["Noto Sans KR", "Malgun Gothic", "sans-serif"], font_mono=["monospace"])
    gr.mount_gradio_app(app, builder, path="/builder", css=CSS, ssr_mode=False, theme=theme)
    return gr.mount_gradio_app(app, chat, path="/chat", css=CSS, ssr_mode=False, theme=theme)
