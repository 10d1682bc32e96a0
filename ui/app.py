"""The web application: the JSON API with the Gradio pages mounted on it, behind one front door (`ui/guard.py`).

Gradio analytics and run history are off, nothing is loaded from other hosts, and the Gradio apps keep their
uploads in a folder of this process inside the data folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from ui.api import create_api
from ui.api_conversations import add_conversation_routes
from ui.exports import add_export_routes
from ui.files import add_file_routes
from ui.guard import Guard, Mount
from ui.pages.home import add_pages
from ui.sessions import current_user
from ui.uploads import UploadLedger
from ui.wiring import Services

_MB = 1024 * 1024


def _stop_cleanly(app: FastAPI, services: Services) -> None:
    """When the server stops, its parse workers stop and the uploads nobody used are deleted.

    This runs in the app's shutdown, not after `uvicorn.run` returns: on SIGTERM uvicorn re-raises the signal
    once it has shut down, and the process ends there.
    """
    inner = app.router.lifespan_context  # Gradio's, wrapping FastAPI's

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            try:
                yield state
            finally:
                services.reindexer.close()
                shutil.rmtree(application.state.upload_folder, ignore_errors=True)

    app.router.lifespan_context = lifespan


def create_app(services: Services, setup_token: str = "") -> FastAPI:
    """The whole app: /api/…, /docs, the sign-in and home pages, /files/, /export/, the builder at /builder/, the
    chat page at /chat/, share links /b/{slug} and the admin pages at /admin/."""
    # Before Gradio is imported or builds anything: no request leaves the machine, and uploads stay in our folder.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    app = create_api(services)
    uploads: UploadLedger = app.state.uploads
    os.environ["GRADIO_TEMP_DIR"] = str(app.state.upload_folder)
    import gradio as gr

    from ui.pages import chrome
    from ui.pages.admin import build_admin
    from ui.pages.builder import build_builder
    from ui.pages.chat import CSS, build_chat

    add_pages(app, services, setup_token)
    add_file_routes(app, services)
    add_export_routes(app, services)
    add_conversation_routes(app, services)

    @app.get("/b/{slug}", include_in_schema=False)
    def share_link(slug: str, request: Request) -> RedirectResponse:
        key = request.query_params.get("key")
        if not key and current_user(request) is None:
            # Without a link key a bot needs a signed-in user: sign-in first, whether the bot exists or not.
            return RedirectResponse(f"/login?next={quote('/b/' + slug)}", status_code=303)
        query = f"?bot={quote(slug)}" + (f"&key={quote(key)}" if key else "")
        return RedirectResponse(f"/chat/{query}", status_code=303)

    chat = build_chat(services, app.state.answerers, app.state.sessions, app.state.limits)
    builder = build_builder(services, app.state.sessions, uploads)
    admin = build_admin(services, app.state.sessions)
    # System fonts only: Gradio's default theme would have every browser fetch its font from Google.
    theme = gr.themes.Default(font=["Noto Sans KR", "Malgun Gothic", "sans-serif"], font_mono=["monospace"])
    # No footer (API, "Built with Gradio", settings, runs) and Gradio's own words in Korean (ui/pages/chrome.py).
    common = {"css": CSS + chrome.CSS, "ssr_mode": False, "theme": theme, "run_history": False, "footer_links": [],
              "i18n": chrome.gradio_i18n(), "head": chrome.HEAD, "max_file_size": services.settings.max_file_mb * _MB}
    gr.mount_gradio_app(app, builder, path="/builder", **common)
    gr.mount_gradio_app(app, chat, path="/chat", **common)
    gr.mount_gradio_app(app, admin, path="/admin", **common)
    for blocks in (builder, chat, admin):
        # Mounted apps are never marked launched, which turns off Gradio's own check that a file input names a
        # file in its upload folder. The guard's stricter check (uploaded by this session) comes first; this is
        # the second lock, and tests/security checks both.
        blocks.has_launched = True
    _stop_cleanly(app, services)
    app.add_middleware(Guard, services=services, sessions=app.state.sessions, uploads=uploads,
                       mounts=(Mount("/builder", leads_only=True, uploads=True),
                               Mount("/chat", leads_only=False, uploads=False),
                               Mount("/admin", leads_only=False, uploads=False, admins_only=True)))

    return app
