"""Who is asking: sessions, the single-sign-on header, API tokens, and the limits on signing in.

A session is a random token in an HttpOnly cookie; the session itself is a row of the registry (every server of a
deployment sees it), so signing out, a password change, removing the user or an administrator's "sign out
everywhere" end it at once on every server, and a session left idle ends by itself. The API, the pages, the
Gradio apps and `/files/` all ask this module, never the cookie themselves.

Signing in is limited per user name and address (a stranger failing as the administrator locks out only their
own address, never the administrator) and per address (spraying many names from one address), and password
hashing runs one at a time in its own thread, with a short queue: a flood of sign-ins takes at most one core
and never waits on the answers' threads.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping

import anyio
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from builder.privacy import printable
from builder.registry import SESSION_PREFIX, SIGN_IN_FAILED, RegistryError, User
from ui.uploads import UploadLedger
from ui.wiring import Services

log = logging.getLogger(__name__)
SESSION_COOKIE = "deptbot_session"
_PURGE_SECONDS = 3600  # how often a server deletes dead sessions (at a sign-in)
_HASHING_QUEUE = 8  # sign-ins waiting for the password hasher; more are told to try again at once


class SignInLocked(Exception):
    """Too many failed sign-ins of this name from this address, or of any name from this address."""


class SignInBusy(Exception):
    """Too many sign-ins at this moment: try again in a few seconds."""


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
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


class Sessions:
    """Sessions of one server: open, look up, close; and the users of requests."""

    def __init__(self, services: Services, uploads: UploadLedger) -> None:
        self.services = services
        self.uploads = uploads
        settings = services.settings
        self.idle_minutes = settings.session_idle_minutes
        self.max_hours = settings.session_hours
        self._purged = 0.0

    @staticmethod
    def token(cookies: Mapping[str, str]) -> str:
        """The session token a request's cookies carry ("" when none, or not one of ours)."""
        value = cookies.get(SESSION_COOKIE, "")
        return value if value.startswith(SESSION_PREFIX) and len(value) < 100 else ""

    def user(self, cookies: Mapping[str, str], headers: Mapping[str, str]) -> User | None:
        """The signed-in user: the single-sign-on header when set up, else the cookie's live session."""
        proxied = header_user(self.services, headers)
        if proxied is not None:
            return proxied
        token = self.token(cookies)
        if not token:
            return None
        return self.services.registry.session_user(token, idle_minutes=self.idle_minutes, max_hours=self.max_hours)

    def request_user(self, request: Request) -> User | None:
        """The user of a request: a bearer API token, the single-sign-on header, or the session (None: anonymous)."""
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return self.services.registry.user_for_token(authorization[7:].strip())
        return self.user(request.cookies, request.headers)

    def key(self, cookies: Mapping[str, str], headers: Mapping[str, str]) -> str:
        """What a signed-in browser's uploads are filed under: its session, or its single-sign-on user."""
        token = self.token(cookies)
        if token:
            return "session:" + hashlib.sha256(token.encode()).hexdigest()
        proxied = header_user(self.services, headers)
        return f"sso:{proxied.username}" if proxied is not None else ""

    def open(self, request: Request, response: Response, user: User) -> None:
        """Start a session for the user and set its cookie on the response (ending the request's old one)."""
        old = self.token(request.cookies)
        if old:
            self.services.registry.close_session(old)
        registry = self.services.registry
        if time.monotonic() - self._purged > _PURGE_SECONDS:  # dead sessions nobody presents again
            self._purged = time.monotonic()
            registry.purge_sessions(self.idle_minutes, self.max_hours)
        token = registry.open_session(user.username, client_address(request),
                                      request.headers.get("user-agent", "")[:200])
        response.set_cookie(SESSION_COOKIE, token, max_age=int(self.max_hours * 3600), path="/", httponly=True,
                            samesite="lax", secure=self.services.settings.https)

    def close(self, request: Request, response: Response) -> None:
        """End the request's session (if any), delete what it uploaded and did not use, and clear its cookie."""
        token = self.token(request.cookies)
        if token:
            self.uploads.drop(self.key(request.cookies, {}))
            self.services.registry.close_session(token)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=self.services.settings.https)


class SignInGate:
    """Password checks, limited per name and address and per address, hashed one at a time off the event loop."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._hasher = anyio.CapacityLimiter(1)
        self._waiting = 0

    async def sign_in(self, username: str, password: str, address: str) -> User | None:
        """The user when the password is right; None when wrong; SignInLocked or SignInBusy when refused."""
        if await run_in_threadpool(self._locked, username, address):
            raise SignInLocked(username)
        if self._waiting >= _HASHING_QUEUE:
            raise SignInBusy(username)
        self._waiting += 1
        try:
            user = await anyio.to_thread.run_sync(self.services.registry.authenticate, username, password,
                                                  limiter=self._hasher)
        finally:
            self._waiting -= 1
        if user is None:
            await run_in_threadpool(self.services.registry.audit, "", SIGN_IN_FAILED, username, "", address)
            log.warning("sign-in failed user=%s address=%s", printable(username), printable(address))
        return user

    def _locked(self, username: str, address: str) -> bool:
        settings, registry = self.services.settings, self.services.registry
        window = settings.sign_in_lock_minutes
        return (registry.recent_failures(username, window, address=address) >= settings.sign_in_attempts
                or registry.recent_failures_from(address, window) >= settings.sign_in_attempts_address)

    def locked_message(self) -> str:
        """What a locked-out visitor is told."""
        return (f"로그인 실패가 너무 많습니다. {self.services.settings.sign_in_lock_minutes:g}분 뒤에 다시 해 "
                "보세요. 비밀번호를 잊었다면 관리자에게 문의해 주세요.")


BUSY = "지금 로그인하는 사람이 많습니다. 몇 초 뒤에 다시 해 보세요."


def current_user(request: Request) -> User | None:
    """The user of a request to the app (see `Sessions.request_user`)."""
    sessions: Sessions = request.app.state.sessions
    return sessions.request_user(request)
