"""The JSON API (FastAPI, which Gradio runs on too): sign-in, the bots a user may use, asking a bot.

Access follows `builder.access`; a bot the caller may not use answers 404 whether it exists or not, so the API
never tells its name, documents or answers. Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure when
the settings say the app is served over HTTPS).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.middleware.sessions import SessionMiddleware

from bots.answer import Answerer
from bots.generators import ExtractiveGenerator, Turn
from builder.access import can_use
from builder.registry import BotRecord, RegistryError, User
from connectors.errors import ConnectorError
from ui.wiring import Services, bot_answerer

log = logging.getLogger(__name__)
_SESSION_HOURS = 8
QUESTION_CHARS = 2000
SESSION_COOKIE = "deptbot_session"


class SignIn(BaseModel):
    """Credentials for POST /api/session."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class HistoryTurn(BaseModel):
    """An earlier exchange of the conversation."""

    question: str = Field(max_length=QUESTION_CHARS)
    answer: str = Field("", max_length=20000)


class AskRequest(BaseModel):
    """POST /api/bots/{slug}/ask."""

    question: str = Field(min_length=1, max_length=QUESTION_CHARS)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=20)
    key: str | None = Field(None, description="the share link's key, for bots shared by link", max_length=64)


class Rating(BaseModel):
    """POST /api/bots/{slug}/feedback: thumbs up (+1) or down (-1) on one answer, with an optional comment."""

    trace_id: str = Field(min_length=8, max_length=64)
    rating: int = Field(ge=-1, le=1)
    comment: str = Field("", max_length=2000)
    key: str | None = Field(None, max_length=64)


def rate_answer(services: Services, bot: BotRecord, user: User | None, rating: Rating) -> bool:
    """Record a rating if the trace is an answer of this bot (False when it is not)."""
    trace = services.traces.read(rating.trace_id)
    if trace is None or trace.get("bot") != bot.slug or rating.rating == 0:
        return False
    services.registry.rate(bot.slug, rating.trace_id, rating.rating, rating.comment,
                           user.username if user else "")
    return True


class SignInLocked(Exception):
    """Too many failed sign-ins of one user name: refused until the window passes."""


def sign_in(services: Services, username: str, password: str, address: str) -> User | None:
    """Check a password, counting failures per user name in the registry (so every server of a deployment counts
    them together): after `sign_in_attempts` failures within the window, even the right password is refused."""
    settings = services.settings
    if services.registry.recent_failures(username, settings.sign_in_lock_minutes) >= settings.sign_in_attempts:
        raise SignInLocked(username)
    user = services.registry.authenticate(username, password)
    if user is None:
        services.registry.audit("", "sign_in_failed", username, address=address)
        log.warning("sign-in failed user=%s address=%s", username, address)  # never the password
    return user


def locked_message(services: Services) -> str:
    """What a locked-out user is told."""
    return (f"로그인 실패가 너무 많습니다. {services.settings.sign_in_lock_minutes:g}분 뒤에 다시 해 보세요. "
            "비밀번호를 잊었다면 관리자에게 문의해 주세요.")


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


def session_secret(services: Services) -> str:
    """The key that signs session cookies: from settings, or made once and kept in the data folder."""
    configured = services.settings.secret_key.get_secret_value()
    if configured:
        return configured
    path = Path(services.settings.data_dir) / "session.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted local proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else ""


def header_user(services: Services, headers: Mapping[str, str]) -> User | None:
    """The user a trusted single-sign-on proxy names in its header (DEPTBOT_SSO_HEADER), if that is set up.

    The proxy authenticates the user and sets the header on every request, overwriting any value the browser
    sent; deptbot then must be reachable only through it (listen on 127.0.0.1). The user must exist (and be
    active) in the registry: roles and departments stay deptbot's.
    """
    name = services.settings.sso_header
    if not name:
        return None
    value = next((v for k, v in headers.items() if k.lower() == name.lower()), "").strip()
    if not value:
        return None
    try:
        user = services.registry.user(value)
    except RegistryError:
        return None
    return user if user.active else None


def current_user(request: Request) -> User | None:
    """The user of a request: a bearer API token, the single-sign-on proxy's header, or the session cookie's
    signed-in user (None: anonymous)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return request.app.state.services.registry.user_for_token(authorization[7:].strip())
    if request.app.state.services.settings.sso_header:
        proxied = header_user(request.app.state.services, request.headers)
        if proxied is not None:
            return proxied
    username = request.session.get("user")
    if not username:
        return None
    try:
        user = request.app.state.services.registry.user(str(username))
    except RegistryError:
        request.session.clear()
        return None
    return user if user.active else None


def session_user(services: Services, cookies: dict[str, str], secret: str,
                 headers: Mapping[str, str] | None = None) -> User | None:
    """The signed-in user of a request: the single-sign-on header when set up, else the session cookie (read as
    Starlette's SessionMiddleware writes it). The Gradio pages get their requests through Gradio's queue, so they
    read these themselves.
    """
    if headers is not None and services.settings.sso_header:
        proxied = header_user(services, headers)
        if proxied is not None:
            return proxied
    import base64
    import json

    from itsdangerous import BadSignature, TimestampSigner

    raw = cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.b64decode(TimestampSigner(secret).unsign(raw.encode(),
                                                                           max_age=_SESSION_HOURS * 3600)))
        user = services.registry.user(str(data["user"]))
    except (BadSignature, ValueError, KeyError, RegistryError):
        return None
    return user if user.active else None


class Answerers:
    """One answerer per bot version, built on first use."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._built: dict[str, tuple[int, Answerer]] = {}
        self._lock = threading.Lock()

    def get(self, bot: BotRecord) -> Answerer:
        """The answerer of the bot's current version."""
        with self._lock:
            cached = self._built.get(bot.slug)
            if cached is not None and cached[0] == bot.version:
                return cached[1]
            answerer = bot_answerer(self.services, bot.definition)
            self._built[bot.slug] = (bot.version, answerer)
            return answerer


def create_api(services: Services) -> FastAPI:
    """The FastAPI application with the JSON API; the web pages mount on it."""
    app = FastAPI(title="deptbot", description="부서 문서 챗봇 API", docs_url="/docs", redoc_url=None)
    secret = session_secret(services)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=_SESSION_HOURS * 3600, same_site="lax", https_only=services.settings.https)
    answerers = Answerers(services)
    limits = AskLimits(services)
    slots = AnswerSlots()
    app.state.services, app.state.answerers, app.state.secret = services, answerers, secret
    app.state.limits = limits

    def visible_bot(slug: str, user: User | None, key: str | None) -> BotRecord:
        try:
            bot = services.registry.bot(slug)
        except RegistryError:
            bot = None
        if bot is None or not can_use(bot, user, key):
            raise HTTPException(status_code=404, detail="봇을 찾을 수 없습니다")
        return bot

    @app.post("/api/session", summary="로그인")
    def open_session(body: SignIn, request: Request) -> dict[str, Any]:
        try:
            user = sign_in(services, body.username, body.password, client_address(request))
        except SignInLocked as exc:
            raise HTTPException(status_code=429, detail=locked_message(services)) from exc
        if user is None:
            raise HTTPException(status_code=401, detail="사용자 이름이나 비밀번호가 맞지 않습니다")
        request.session.clear()
        request.session["user"] = user.username
        return {"username": user.username, "role": user.role, "departments": list(user.departments)}

    @app.delete("/api/session", summary="로그아웃")
    def sign_out(request: Request) -> dict[str, bool]:
        request.session.clear()
        return {"signed_out": True}

    @app.get("/api/bots", summary="내가 쓸 수 있는 봇 목록")
    def list_bots(request: Request) -> list[dict[str, Any]]:
        user = current_user(request)
        return [{"slug": bot.slug, "name": bot.definition.name, "description": bot.definition.description,
                 "icon": bot.definition.icon, "starters": bot.definition.starters, "published": bot.published}
                for bot in services.registry.bots() if user is not None and can_use(bot, user)]

    @app.post("/api/bots/{slug}/ask", summary="봇에게 묻기")
    async def ask(slug: str, body: AskRequest, request: Request) -> dict[str, Any]:
        # Async, so that a waiting question holds no thread: the registry and the answer run in threads, the
        # answer in its own pool behind a slot (one per core for the CPU-bound extractive answerer, many for an
        # LLM server that mostly waits), and cheap routes keep the default pool for themselves.
        user = await run_in_threadpool(current_user, request)
        bot = await run_in_threadpool(visible_bot, slug, user, body.key)
        if not limits.allow(user, client_address(request)):
            raise HTTPException(status_code=429, detail=LIMITED)
        history = [Turn(turn.question, turn.answer) for turn in body.history]
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

    return app
