"""Original documents served back, only to whom may see them: `/files/{department slug}/{file}`.

A lead of the department (or an administrator) may open any of its indexed documents; anyone else only through
a bot they may use (`?bot=SLUG`, with the share link's `key` when they hold it) whose knowledge includes the
department. The answer is 404 in every other case, so nobody learns which files exist. Files are sent with a
sandboxing Content-Security-Policy (PDFs excepted: browsers show them in their own viewer) and as plain
text for HTML: an uploaded file cannot run script on this site.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

from builder.access import can_use
from builder.registry import RegistryError
from connectors.errors import ConnectorError
from connectors.library import MEDIA_TYPES, document_path
from connectors.parsers.text import decode_text
from ui.wiring import Services, department_folder

_INLINE = {"pdf", "txt", "md", "html"}  # the browser shows these (HTML as plain text); the others download


def file_link(department_slug: str, file: str, *, bot: str = "", key: str | None = None, page: int = 0) -> str:
    """The link to an original document (PDFs open at the page)."""
    query = "&".join(f"{name}={quote(value)}" for name, value in (("bot", bot), ("key", key or "")) if value)
    return (f"/files/{quote(department_slug)}/{quote(file)}" + (f"?{query}" if query else "")
            + (f"#page={page}" if page else ""))


def add_file_routes(app: FastAPI, services: Services) -> None:
    """Mount the document route on the app."""
    from ui.api import current_user

    @app.get("/files/{department_slug}/{file:path}", include_in_schema=False)
    def original(department_slug: str, file: str, request: Request, bot: str = "",
                 key: str | None = None) -> Response:
        user = current_user(request)
        try:
            department = services.registry.department(department_slug)
            allowed = user is not None and user.leads([department.name])
            if not allowed and bot:
                record = services.registry.bot(bot)
                allowed = department.name in record.definition.departments and can_use(record, user, key)
            if not allowed:
                raise LookupError
            records = services.store.open(department.name, services.embedder).file_records()
            if file not in records:
                raise LookupError
            path = document_path(department_folder(services, department.name), file)
        except (LookupError, RegistryError, ConnectorError) as exc:
            raise HTTPException(status_code=404, detail="문서를 찾을 수 없습니다") from exc
        kind = records[file].format
        disposition = "inline" if kind in _INLINE else "attachment"
        name = file.rsplit("/", 1)[-1]
        headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
        if kind != "pdf":  # Chromium will not show a PDF in a sandboxed document; its viewer runs no page script
            headers["Content-Security-Policy"] = "sandbox"
        if kind in ("txt", "md", "html"):  # often CP949 in Korean offices: sent as UTF-8, decoded as we indexed it
            text, _ = decode_text(path.read_bytes(), file)
            return Response(text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=headers)
        return FileResponse(path, media_type=MEDIA_TYPES.get(kind, "application/octet-stream"), headers=headers)
