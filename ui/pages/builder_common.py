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

