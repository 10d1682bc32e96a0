"""The web app's front door: every request passes here before FastAPI or a Gradio app sees it.

Gradio mounted inside FastAPI is not a launched Gradio app: its file-path check is skipped, its CORS middleware
echoes any origin with credentials, and it serves many routes our pages never use (its file route, a proxy, run
history, monitoring). So, for every request:
- a request that changes something (any method but GET and HEAD) from a page of another origin is refused
  (the Origin header, else Sec-Fetch-Site), and no response carries CORS headers: only our own pages may make
  credentialed calls;
- bodies are limited (`max_body_kb`; uploads `max_upload_mb`) before they are read into memory;
- a mounted Gradio app answers only the routes its pages and `gradio_client` use; the builder's only to leads
  and administrators, the admin pages' only to administrators, and only the builder takes uploads;
- a Gradio event may name a file only if the same session uploaded it (`ui/uploads.py`): Gradio copies a named
  file before any handler runs, so this must be decided before Gradio reads the request;
- every response gets a Content-Security-Policy that loads nothing from other hosts, posts forms only here and
  allows framing only by our own pages, and no referrer leaves the site (share-link keys are in URLs).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from builder.privacy import printable
from ui.pages.shell import page_html
from ui.sessions import Sessions
from ui.uploads import UploadLedger
from ui.wiring import Services

log = logging.getLogger(__name__)
_MB = 1024 * 1024
PAGE_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' data: blob:; "
               "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'self'")
# What the Gradio pages and gradio_client call (all else Gradio serves is 404 here): the page, its config and
# assets, the API description, the event queue, heartbeats, and uploads where a mount takes them.
_GRADIO_GET = re.compile(r"/?|/config/?|/theme\.css|/assets/[^?#]+|/static/[^?#]+|/favicon\.ico|/gradio_api/info/?"
                         r"|/gradio_api/queue/data|/gradio_api/heartbeat/[\w-]+|/gradio_api/startup-events"
                         r"|/gradio_api/upload_progress")
_GRADIO_POST = re.compile(r"/gradio_api/(queue/join|upload|cancel|reset/?)")
_ASSETS = re.compile(r"/theme\.css|/assets/[^?#]+|/static/[^?#]+|/favicon\.ico")
_UPLOAD = "/gradio_api/upload"
FORBIDDEN_PAGE = page_html("권한 없음", "<h1>권한이 없습니다</h1>"
                           "<p>봇 만들기는 부서 담당자와 관리자만 쓸 수 있습니다. 봇을 쓰려면 홈에서 고르세요.</p>"
                           '<p class="actions"><a class="button primary" href="/">홈으로</a> '
                           '<a href="/logout">다른 계정으로 로그인</a></p>')
ADMIN_FORBIDDEN_PAGE = page_html("권한 없음", "<h1>권한이 없습니다</h1>"
                                  "<p>관리 화면은 관리자만 쓸 수 있습니다.</p>"
                                  '<p class="actions"><a class="button primary" href="/">홈으로</a> '
                                  '<a href="/logout">다른 계정으로 로그인</a></p>')


@dataclass(frozen=True, slots=True)
class Mount:
    """A Gradio app mounted at `prefix`: whether only leads and administrators may use it (or only
    administrators), whether it takes files."""

    prefix: str
    leads_only: bool
    uploads: bool
    admins_only: bool = False

    @property
    def roles(self) -> tuple[str, ...]:
        """Who may use it ((): anyone)."""
        return ("admin",) if self.admins_only else ("admin", "lead") if self.leads_only else ()


class _TooLarge(Exception):
    """The request body grew past its limit while it was being read."""


class Guard:
    """Pure ASGI middleware (it must see bodies before the apps read them, and stream uploads through)."""

    def __init__(self, app: ASGIApp, *, services: Services, sessions: Sessions, uploads: UploadLedger,
                 mounts: tuple[Mount, ...]) -> None:
        self.app = app
        self.sessions = sessions
        self.uploads = uploads
        self.mounts = mounts
        settings = services.settings
        self.max_body = settings.max_body_kb * 1024
        self.max_upload = settings.max_upload_mb * _MB
        self.origins = {urlsplit(o.strip()).netloc.lower() for o in settings.allowed_origins.split(",") if o.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # nothing of ours speaks WebSocket
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _secured(send)
        headers = Headers(scope=scope)
        method = scope["method"]
        if method == "OPTIONS" or (method not in ("GET", "HEAD") and self.foreign(headers)):
            log.warning("cross-origin request refused path=%s origin=%s", printable(scope["path"]),
                        printable(headers.get("origin", headers.get("sec-fetch-site", ""))))
            await _deny(send, 403, "다른 사이트의 페이지에서 보낸 요청은 받지 않습니다.")
            return
        mount = next((m for m in self.mounts if scope["path"] == m.prefix or scope["path"].startswith(m.prefix + "/")),
                     None)
        if mount is not None:
            await self._gradio(mount, scope, receive, send, headers)
            return
        if method in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, headers, self.max_body)
        if body is None:
            await _deny(send, 413, f"요청이 너무 큽니다 (한도 {self.max_body // 1024}KB).")
            return
        await self.app(scope, _replay(body, receive), send)

    def foreign(self, headers: Headers) -> bool:
        """Whether a request comes from a page of another origin (another host, port or scheme's site)."""
        origin = headers.get("origin")
        if origin is None:  # not a browser's cross-origin request, unless its fetch metadata says so
            return started_elsewhere(headers)
        netloc = urlsplit(origin).netloc.lower() if origin != "null" else "null"
        return netloc not in {headers.get("host", "").lower(), *self.origins}

    async def _gradio(self, mount: Mount, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        sub = scope["path"][len(mount.prefix):]
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        pattern = _GRADIO_GET if method == "GET" else _GRADIO_POST if method == "POST" else None
        if pattern is None or not pattern.fullmatch(sub) or (sub == _UPLOAD and not mount.uploads):
            await _deny(send, 404, "Not Found")
            return
        cookies = cookie_parser(headers.get("cookie", ""))
        if mount.roles and not _ASSETS.fullmatch(sub):
            user = await run_in_threadpool(self.sessions.user, cookies, headers)
            if user is None or user.role not in mount.roles:
                await _refuse_builder(send, sub, signed_in=user is not None, mount=mount)
                return
            if sub == "":
                await _redirect(send, mount.prefix + "/")
                return
        if method == "GET":
            await self.app(scope, receive, send)
            return
        key = await run_in_threadpool(self.sessions.key, cookies, headers) if mount.uploads else ""
        if sub == _UPLOAD:
            await self._upload(key, scope, receive, send, headers)
            return
        body = await _read_body(receive, headers, self.max_body)
        if body is None:
            await _deny(send, 413, f"요청이 너무 큽니다 (한도 {self.max_body // 1024}KB).")
            return
        problem = self._files_problem(body, key)
        if problem:
            log.warning("gradio request refused path=%s reason=%s", printable(scope["path"]), problem)
            await _deny(send, 403 if problem == "file" else 400, "올린 적 없는 파일이나 읽을 수 없는 요청입니다.")
            return
        await self.app(scope, _replay(body, receive), send)

    def _files_problem(self, body: bytes, key: str) -> str:
        """"" when every file the event names was uploaded by this session; else why not."""
        try:
            payload = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            return "json"
        for path in _file_references(payload):
            if not isinstance(path, str) or not self.uploads.owns(key, path):
                return "file"
        return ""

    async def _upload(self, key: str, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """Stream an upload to Gradio within the limit, and file the paths it stored under the session."""
        if not key:
            await _deny(send, 403, "다시 로그인해 주세요.")
            return
        if _length(headers) > self.max_upload:
            await _deny(send, 413, f"올리는 파일이 너무 큽니다 (한 번에 {self.max_upload // _MB}MB까지).")
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:  # Gradio's answer is a short JSON list of the stored paths
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _counted(receive, self.max_upload), keep)
        except _TooLarge:
            await _deny(send, 413, f"올리는 파일이 너무 큽니다 (한 번에 {self.max_upload // _MB}MB까지).")
            return
        body = b"".join(chunks)
        if start.get("status") == 200:
            try:
                stored = json.loads(body)
            except ValueError:
                stored = []
            self.uploads.record(key, [p for p in stored if isinstance(p, str)])
        await send(start)
        await send({"type": "http.response.body", "body": body})


def started_elsewhere(headers: Mapping[str, str]) -> bool:
    """Whether the browser says the request was started by a page of another origin (Sec-Fetch-Site); requests
    without it (other programs, old browsers) are taken as our own."""
    return headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


def _file_references(value: Any, depth: int = 0) -> Iterator[Any]:
    """The `path` of every file object (Gradio's FileData, or anything with a path) anywhere in an event's JSON."""
    if depth > 64:
        yield None  # deeper than any event of ours: refused
        return
    if isinstance(value, dict):
        meta = value.get("meta")
        if "path" in value or (isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"):
            yield value.get("path")
        for item in value.values():
            yield from _file_references(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _file_references(item, depth + 1)


def _secured(send: Send) -> Send:
    """Security headers on every response; CORS headers (Gradio's) removed."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name in {k for k in headers if k.startswith("access-control-")}:
                del headers[name]
            headers.setdefault("x-content-type-options", "nosniff")
            headers.setdefault("x-frame-options", "SAMEORIGIN")
            headers.setdefault("referrer-policy", "same-origin")
            policy = headers.get("content-security-policy")
            if policy is None:
                headers["content-security-policy"] = PAGE_POLICY
            elif "frame-ancestors" not in policy:
                headers["content-security-policy"] = policy + "; frame-ancestors 'self'"
        await send(message)

    return wrapped


def _length(headers: Headers) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 1 << 62


async def _read_body(receive: Receive, headers: Headers, limit: int) -> bytes | None:
    """The whole body, or None when it is (or grows) over the limit; never more than the limit is kept."""
    if _length(headers) > limit:
        return None
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the already-read body once, then waits for the client as the original does."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counted(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise _TooLarge
        return message

    return counted


async def _deny(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def _refuse_builder(send: Send, sub: str, *, signed_in: bool, mount: Mount) -> None:
    """The builder (or admin) page sends visitors to sign-in (or says whom it is for); its API just refuses."""
    if sub in ("", "/") and not signed_in:
        await _redirect(send, "/login?next=" + quote(mount.prefix + "/"))
    elif sub in ("", "/"):
        body = (ADMIN_FORBIDDEN_PAGE if mount.admins_only else FORBIDDEN_PAGE).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    else:
        await _deny(send, 403 if signed_in else 401,
                    "관리자로 로그인해 주세요." if mount.admins_only else "부서 담당자나 관리자로 로그인해 주세요.")

