"""The web application: the JSON API with the Gradio pages mounted on it (Gradio analytics off, nothing external)."""

from __future__ import annotations

import os
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from ui.api import create_api, current_user
from ui.files import add_file_routes
from ui.pages.home import add_pages
from ui.wiring import Services


def create_app(services: Services) -> FastAPI:
    """The whole app: /api/…, /docs, the chat page at /chat/ and share links /b/{slug}."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before Gradio is imported: no request leaves the machine
    import gradio as gr

    from ui.pages.builder import build_builder
    from ui.pages.chat import CSS, build_chat

    app = create_api(services)

    add_pages(app, services)
    add_file_routes(app, services)

    @app.get("/b/{slug}", include_in_schema=False)
    def share_link(slug: str, request: Request) -> RedirectResponse:
        key = request.query_params.get("key")
        if not key and current_user(request) is None:
            # Without a link key a bot needs a signed-in user: sign-in first, whether the bot exists or not.
            return RedirectResponse(f"/login?next={quote('/b/' + slug)}", status_code=303)
        query = f"?bot={quote(slug)}" + (f"&key={quote(key)}" if key else "")
        return RedirectResponse(f"/chat/{query}", status_code=303)

    @app.get("/builder", include_in_schema=False)
    def builder_entry(request: Request) -> RedirectResponse:
        if current_user(request) is None:
            return RedirectResponse("/login?next=/builder/", status_code=303)
        return RedirectResponse("/builder/", status_code=303)

    chat = build_chat(services, app.state.answerers, app.state.secret)
    builder = build_builder(services, app.state.secret)
    # System fonts only: Gradio's default theme would have every browser fetch its font from Google.
    theme = gr.themes.Default(font=["Noto Sans KR", "Malgun Gothic", "sans-serif"], font_mono=["monospace"])
    gr.mount_gradio_app(app, builder, path="/builder", css=CSS, ssr_mode=False, theme=theme)
    return gr.mount_gradio_app(app, chat, path="/chat", css=CSS, ssr_mode=False, theme=theme)
