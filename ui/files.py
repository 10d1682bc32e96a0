"""Original documents served back, only to whom may see them: `/files/{department slug}/{file}`.

A lead of the department (or an administrator) may open any of its indexed documents; anyone else only through
a bot they may use (`?bot=SLUG`, with the share link's `key` when they hold it) whose knowledge includes the
department. The answer is 404 in every other case, so nobody learns which files exist. Files are sent with a
sandboxing Content-Security-Policy (PDFs excepted: browsers show them in their own viewer) and as plain
text for HTML: an uploaded file cannot run script on this site.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

from builder.access import can_use
from builder.definitions import ICON_IMAGE
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
    """Mount the document and icon routes on the app."""
    from ui.sessions import current_user

    add_icon_route(app, services)

    @app.get("/files/{department_slug}/{file:path}", include_in_schema=False)
    def original(department_slug: str, file: str, request: Request, bot: str = "",
                 key: str | None = None) -> Response:
        user = current_user(request)
        try:
            department = services.registry.department(department_slug)
            allowed = user is not None and user.leads([department.name])
            if not allowed and bot:
                record = services.registry.served(bot)  # the version the visitor gets, not the lead's draft
                chosen = record.definition.documents  # a bot narrowed to chosen documents opens only those
                allowed = (department.name in record.definition.departments and can_use(record, user, key)
                           and (not chosen or f"{department.name}/{file}" in chosen))
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
        # Chromium will not show a PDF in a sandboxed document (its viewer runs no page script); other files are
        # sandboxed, so an uploaded HTML or SVG cannot run script on this site.
        headers["Content-Security-Policy"] = "frame-ancestors 'self'" if kind == "pdf" else "sandbox"
        if kind in ("txt", "md", "html"):  # often CP949 in Korean offices: sent as UTF-8, decoded as we indexed it
            text, _ = decode_text(path.read_bytes(), file)
            return Response(text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=headers)
        return FileResponse(path, media_type=MEDIA_TYPES.get(kind, "application/octet-stream"), headers=headers)


_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}
ICON_BYTES = 512 * 1024


def store_icon(services: Services, source: Path) -> str:
    """Keep an uploaded icon image (PNG, JPEG, GIF or WebP, decided by content) and return its `image:` value."""
    data = source.read_bytes()
    if len(data) > ICON_BYTES:
        raise ConnectorError(source.name, f"아이콘 이미지가 너무 큽니다 ({len(data) // 1024}KB, 한도 512KB)",
                             "작은 이미지로 줄여 올려 주세요")
    kind = next((k for magic, k in _IMAGE_TYPES.items() if data.startswith(magic)), "")
    if not kind and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "webp"
    if not kind:
        raise ConnectorError(source.name, "아이콘은 PNG, JPEG, GIF, WebP 이미지만 됩니다")
    name = f"{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
    folder = services.settings.data_dir / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return f"image:{name}"


def icon_html(icon: str, size: int = 32) -> str:
    """A bot's icon for a page: its uploaded image, or its emoji (escaped)."""
    image = ICON_IMAGE.match(icon)
    if image:
        return (f'<img class="bot-icon" src="/icons/{image.group(1)}" alt="" width="{size}" height="{size}" '
                'style="vertical-align: middle; border-radius: 6px; object-fit: cover">')
    return html.escape(icon)


def add_icon_route(app: FastAPI, services: Services) -> None:
    """Icons are public (they show on share links before sign-in) and hold no name: content-hashed file names."""

    @app.get("/icons/{name}", include_in_schema=False)
    def icon(name: str) -> Response:
        if not ICON_IMAGE.match(f"image:{name}"):
            raise HTTPException(status_code=404)
        path = services.settings.data_dir / "icons" / name
        if not path.is_file():
            raise HTTPException(status_code=404)
        kind = name.rsplit(".", 1)[1]
        return FileResponse(path, media_type="image/jpeg" if kind == "jpg" else f"image/{kind}",
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400",
                                     "Content-Security-Policy": "sandbox"})
