"""What the builder's tabs share: who may build, text shown as written, the audit record, and the page's styles."""

from __future__ import annotations

import html
import re

import gradio as gr

from builder.registry import User
from ui.sessions import Sessions
from ui.wiring import Services

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")

# The builder's own styles, carried by a component of the page (the mounted apps share one stylesheet, which the
# chat page owns): a field's message in the error colour, and text in the document tables wrapped, never cut.
STYLE = """
.field-error .info-text {color: var(--error-text-color, #b91c1c); font-weight: 600; font-size: var(--text-md);}
#doc-confirm {border: 1px solid #fca5a5; border-radius: 8px; padding: 8px 12px; background: #fff7f7;}
"""


def lead(sessions: Sessions, request: gr.Request) -> User | None:
    """The signed-in user if they may build bots (a lead or an administrator)."""
    user = sessions.user(dict(request.cookies), dict(request.headers))
    return user if user is not None and user.role in ("admin", "lead") else None


def md(text: object) -> str:
    """Text of a user, a file name or a bot field inside a Markdown message: shown as written, never as markup (an
    image or a link in a bot's name would otherwise load or point elsewhere)."""
    return _MARKDOWN.sub(r"\\\1", html.escape(str(text), quote=False))


def record(services: Services, user: User, request: gr.Request, action: str, target: str, detail: str = "") -> None:
    """An administrative action of the builder, in the audit log."""
    services.registry.audit(user.username, action, target, detail, request.client.host if request.client else "")


def particle(word: str, pair: str) -> str:
    """The particle of a pair ("을/를", "이/가", "은/는", "과/와", "으로/로") that fits the word's last sound."""
    with_final, without = pair.split("/")
    last = word.rstrip()[-1:] if word.rstrip() else ""
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        if pair == "으로/로" and final == 8:  # ㄹ takes 로
            return without
        return with_final if final else without
    if last.isdigit():  # 영 일 삼 육 칠 팔 end in a consonant; 일 칠 팔 in ㄹ
        if pair == "으로/로" and last in "178":
            return without
        return with_final if last in "013678" else without
    # Latin letters and symbols: read as most Korean readers would (a file name ends in its extension)
    if pair == "으로/로" and last.lower() == "l":
        return without
    return with_final if last.lower() in "lmn" else without
