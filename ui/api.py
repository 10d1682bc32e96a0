"""The JSON API (FastAPI, which Gradio runs on too): sign-in, the bots a user may use, asking a bot.

Access follows `builder.access`; a bot the caller may not use answers 404 whether it exists or not, so the API
never tells its name, documents or answers. Sessions, tokens and the sign-in limits are `ui.sessions`'.
"""

from __future__ import annotations

import asyncio
import html
import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field
from starlette.middleware.cors import CORSMiddleware

from bots.answer import Answerer
from bots.generators import ExtractiveGenerator, Turn
from builder.access import can_use
from builder.registry import BotRecord, RegistryError, User
from connectors.errors import ConnectorError
from ui.sessions import BUSY, Sessions, SignInBusy, SignInGate, SignInLocked, client_address, current_user
from ui.uploads import UploadLedger, private_upload_folder
from ui.wiring import Services, bot_answerer

QUESTION_CHARS = 2000


def readable(value: str) -> str:
    """Refuse text that is not Unicode characters (a lone surrogate from a JSON escape such as "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("글자로 읽을 수 없는 문자(짝이 없는 서로게이트)가 들어 있습니다") from exc
    return value


Text = Annotated[str, AfterValidator(readable)]


class SignIn(BaseModel):
    """Credentials for POST /api/session."""

    username: Text = Field(max_length=64)
    password: Text = Field(max_length=256)


class CitedUnit(BaseModel):
    """A source an earlier answer cited, as its `citations` gave it (a follow-up is searched there first)."""

    title: Text = Field("", max_length=200)
    article: Text = Field("", max_length=20)


class HistoryTurn(BaseModel):
    """An earlier exchange of the conversation."""

    question: Text = Field(max_length=QUESTION_CHARS)
    answer: Text = Field("", max_length=20000)
    citations: list[CitedUnit] = Field(default_factory=list, max_length=20,
                                       description="the earlier answer's citations (title and article are used)")


class AskRequest(BaseModel):
    """POST /api/bots/{slug}/ask."""

    question: Text = Field(min_length=1, max_length=QUESTION_CHARS)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=20)
    key: Text | None = Field(None, description="the share link's key, for bots shared by link", max_length=64)


class Rating(BaseModel):
    """POST /api/bots/{slug}/feedback: thumbs up (+1) or down (-1) on one answer, with an optional comment."""

    trace_id: Text = Field(min_length=8, max_length=64)
    rating: int = Field(ge=-1, le=1)
    comment: Text = Field("", max_length=2000)
    key: Text | None = Field(None, max_length=64)


def rate_answer(services: Services, bot: BotRecord, user: User | None, rating: Rating) -> bool:
    """Record a rating if the trace is an answer of this bot (False when it is not)."""
    trace = services.traces.read(rating.trace_id)
    if trace is None or trace.get("bot") != bot.slug or rating.rating == 0:
        return False
    services.registry.rate(bot.slug, rating.trace_id, rating.rating, rating.comment,
                           user.username if user else "")
    return True


class RateLimiter:
    """Questions per minute per key (a user, or an address), counted in this process: a sliding window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Whether one more question is allowed now (and count it if so)."""
        now = time.monotonic()
        with self._lock:
            times = self._times.setdefault(key, deque())
            while times and now - times[0] > 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self._times) > 10000:  # forget idle keys
                self._times = {k: v for k, v in self._times.items() if v and now - v[-1] <= 60}
            return True


class AskLimits:
    """The per-user and per-address question limits, shared by the API and the chat pages of one server."""

    def __init__(self, services: Services) -> None:
        self.user = RateLimiter(services.settings.ask_per_minute)
        self.address = RateLimiter(services.settings.ask_per_minute_address)

    def allow(self, user: User | None, address: str) -> bool:
        """Whether this user (or anonymous visitor) at this address may ask now."""
        who = f"user:{user.username}" if user else f"anonymous:{address}"
        return self.address.allow(address) and self.user.allow(who)


LIMITED = "질문이 너무 잦습니다. 1분쯤 뒤에 다시 물어봐 주세요."
_LLM_SLOTS = 64  # answers streaming from an LLM server at once, per process


class AnswerSlots:
    """How many answers run at once: one per core for the extractive answerer (CPU-bound; more would only share
    the cores and slow every answer and the event loop), many for an LLM server (its answers mostly wait).

    The waiting is done on the event loop (a waiting question holds no thread); semaphores belong to one event
    loop, so each loop that serves requests gets its own (uvicorn runs one; test clients may run several).
    """

    def __init__(self) -> None:
        self.threads = anyio.CapacityLimiter((os.cpu_count() or 1) + _LLM_SLOTS)
        self._loops: weakref.WeakKeyDictionary[Any, tuple[anyio.Semaphore, anyio.Semaphore]] = \
            weakref.WeakKeyDictionary()

    def for_(self, answerer: Answerer) -> anyio.Semaphore:
        """The slots an answerer's questions wait for (on the running event loop)."""
        loop = asyncio.get_running_loop()
        if loop not in self._loops:
            self._loops[loop] = (anyio.Semaphore(os.cpu_count() or 1), anyio.Semaphore(_LLM_SLOTS))
        cpu, llm = self._loops[loop]
        return cpu if isinstance(answerer.generator, ExtractiveGenerator) else llm


class Answerers:
    """One answerer per bot version, built on first use, keyed by slug and version: staff asking the published
    version and a lead trying an unpublished draft on the chat page never get each other's answerer."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._built: OrderedDict[tuple[str, int], Answerer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, bot: BotRecord) -> Answerer:
        """The answerer of the record's version (`Registry.served` gives the one its users get)."""
        key = (bot.slug, bot.version)
        with self._lock:
            cached = self._built.get(key)
            if cached is not None:
                self._built.move_to_end(key)
                return cached
            answerer = bot_answerer(self.services, bot.definition)
            self._built[key] = answerer
            # Two versions of a bot at most (the published one and one more): older drafts are not kept.
            older = [k for k in self._built if k[0] == bot.slug and k != key]
            for stale in older[:-1]:
                del self._built[stale]
            return answerer


def create_api(services: Services) -> FastAPI:
    """The FastAPI application with the JSON API; the web pages mount on it."""
    app = FastAPI(title="deptbot", description="부서 문서 챗봇 API", docs_url=None, redoc_url=None)
    # A CORS middleware of our own with no allowed origin: Gradio then adds none of its own (which echoes any
    # origin with credentials), and no other site's page may make credentialed calls.
    app.add_middleware(CORSMiddleware, allow_origins=[])
    app.state.upload_folder = private_upload_folder(services.settings.data_dir)
    app.state.uploads = UploadLedger(app.state.upload_folder)
    sessions, gate = Sessions(services, app.state.uploads), SignInGate(services)
    answerers = Answerers(services)
    limits = AskLimits(services)
    slots = AnswerSlots()
    app.state.services, app.state.answerers, app.state.sessions = services, answerers, sessions
    app.state.limits, app.state.sign_in = limits, gate

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The default handler echoes the input, and cannot write a JSON NaN back (a 500): say where and what only.
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    def visible_bot(slug: str, user: User | None, key: str | None) -> BotRecord:
        try:
            bot = services.registry.served(slug)  # the published version: a lead's draft never leaves the builder
        except RegistryError:
            bot = None
        if bot is None or not can_use(bot, user, key):
            raise HTTPException(status_code=404, detail="봇을 찾을 수 없습니다")
        return bot

    @app.post("/api/session", summary="로그인")
    async def open_session(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
        try:
            user = await gate.sign_in(body.username, body.password, client_address(request))
        except SignInLocked as exc:
            raise HTTPException(status_code=429, detail=gate.locked_message()) from exc
        except SignInBusy as exc:
            raise HTTPException(status_code=503, detail=BUSY, headers={"Retry-After": "5"}) from exc
        if user is None:
            raise HTTPException(status_code=401, detail="사용자 이름이나 비밀번호가 맞지 않습니다")
        await run_in_threadpool(sessions.open, request, response, user)
        return {"username": user.username, "role": user.role, "departments": list(user.departments)}

    @app.delete("/api/session", summary="로그아웃")
    def sign_out(request: Request, response: Response) -> dict[str, bool]:
        sessions.close(request, response)
        return {"signed_out": True}

    @app.get("/api/bots", summary="내가 쓸 수 있는 봇 목록")
    def list_bots(request: Request) -> list[dict[str, Any]]:
        user = current_user(request)
        return [{"slug": bot.slug, "name": bot.definition.name, "description": bot.definition.description,
                 "icon": bot.definition.icon, "starters": bot.definition.starters, "published": bot.published}
                for bot in services.registry.served_bots() if user is not None and can_use(bot, user)]

    @app.post("/api/bots/{slug}/ask", summary="봇에게 묻기")
    async def ask(slug: str, body: AskRequest, request: Request) -> dict[str, Any]:
        # Async, so that a waiting question holds no thread: the registry and the answer run in threads, the
        # answer in its own pool behind a slot (one per core for the CPU-bound extractive answerer, many for an
        # LLM server that mostly waits), and cheap routes keep the default pool for themselves.
        user = await run_in_threadpool(current_user, request)
        bot = await run_in_threadpool(visible_bot, slug, user, body.key)
        if not limits.allow(user, client_address(request)):
            raise HTTPException(status_code=429, detail=LIMITED)
        history = [Turn(turn.question, turn.answer, tuple((c.title, c.article) for c in turn.citations))
                   for turn in body.history]
        try:
            answerer = await run_in_threadpool(answerers.get, bot)
            async with slots.for_(answerer):
                if await request.is_disconnected():  # the asker left while waiting: no answer, no LLM call
                    raise HTTPException(status_code=499, detail="요청이 취소되었습니다")
                answer = await anyio.to_thread.run_sync(answerer.ask, body.question, history,
                                                        limiter=slots.threads)
        except ConnectorError as exc:
            raise HTTPException(status_code=503, detail=exc.message) from exc
        return answer.to_dict()

    @app.post("/api/bots/{slug}/feedback", summary="답변 평가 (좋아요/싫어요, 의견)")
    def feedback(slug: str, body: Rating, request: Request) -> dict[str, bool]:
        user = current_user(request)
        bot = visible_bot(slug, user, body.key)
        if not rate_answer(services, bot, user, body):
            raise HTTPException(status_code=404, detail="그런 답변이 없습니다")
        return {"recorded": True}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(api_docs(app.openapi()))

    return app


def api_docs(spec: dict[str, Any]) -> str:
    """The API's routes as a page of our own (FastAPI's /docs loads Swagger UI from a public CDN)."""
    rows = []
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            schema = body.get("$ref", "").rsplit("/", 1)[-1]
            rows.append(f"<tr><td><code>{html.escape(method.upper())}</code></td><td><code>{html.escape(path)}</code>"
                        f"</td><td>{html.escape(operation.get('summary', ''))}</td>"
                        f"<td>{html.escape(schema)}</td></tr>")
    return ('<!doctype html><html lang="ko"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>API 문서 · deptbot</title>'
            "<style>body{font-family:'Noto Sans KR','Malgun Gothic',sans-serif;max-width:860px;margin:2rem auto;"
            "padding:0 1rem}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}</style></head><body>"
            "<h1>deptbot JSON API</h1><p>요청과 응답의 형식은 <a href=\"/openapi.json\">OpenAPI 명세</a>에 있습니다. "
            "로그인은 세션 쿠키(<code>POST /api/session</code>) 또는 <code>Authorization: Bearer</code> API 토큰으로 "
            "합니다.</p><table><tr><th>메서드</th><th>경로</th><th>설명</th><th>본문</th></tr>"
            + "".join(rows) + "</table></body></html>")
