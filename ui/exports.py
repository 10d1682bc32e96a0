"""Downloads of the builder (a bot's JSON export, its question log as CSV), made when asked, for its managers only.

Gradio would serve a file output from its cache to anyone holding the URL, and keep it there; these routes check
the session on every download and keep nothing on disk.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from bots.insights import question_log_csv
from builder.access import can_manage
from builder.registry import BotRecord, RegistryError
from ui.guard import started_elsewhere
from ui.sessions import client_address, current_user
from ui.wiring import Services


def export_link(kind: str, slug: str, label: str) -> str:
    """An HTML download link to an export (`bot` JSON or `questions` CSV) for the builder page."""
    suffix = "json" if kind == "bot" else "csv"
    href = f"/export/{kind}/{quote(slug)}.{suffix}"
    return f'<a class="export-link" href="{href}" download>⬇️ {label}</a>'


def add_export_routes(app: FastAPI, services: Services) -> None:
    """Mount /export/bot/SLUG.json and /export/questions/SLUG.csv."""

    def managed(slug: str, request: Request, action: str) -> BotRecord:
        # A download is a read, but one another site's page must not start in the lead's name.
        if started_elsewhere(request.headers):
            raise HTTPException(status_code=403, detail="다른 사이트에서 시작한 내려받기는 받지 않습니다")
        user = current_user(request)
        try:
            bot = services.registry.bot(slug)
        except RegistryError:
            bot = None
        if user is None or bot is None or not can_manage(bot, user):
            raise HTTPException(status_code=404, detail="내보낼 봇을 찾을 수 없습니다")
        services.registry.audit(user.username, action, slug, address=client_address(request))
        return bot

    def attachment(body: bytes, name: str, media_type: str) -> Response:
        return Response(body, media_type=media_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private, no-store"})

    @app.get("/export/bot/{slug}.json", include_in_schema=False)
    def bot_json(slug: str, request: Request) -> Response:
        bot = managed(slug, request, "bot_exported")
        text = json.dumps(bot.definition.model_dump(mode="json"), ensure_ascii=False, indent=2)
        return attachment(text.encode("utf-8"), f"{slug}.json", "application/json")

    @app.get("/export/questions/{slug}.csv", include_in_schema=False)
    def questions_csv(slug: str, request: Request) -> Response:
        managed(slug, request, "questions_exported")
        text = question_log_csv(services.traces, services.registry.feedback(slug), slug)
        return attachment(text.encode("utf-8"), f"{slug}-질문기록.csv", "text/csv; charset=utf-8")
