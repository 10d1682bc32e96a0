"""Saved conversations of the chat page: where they are kept, and the chat messages they are shown as again.

A signed-in user's conversations live in the registry (`builder.conversations`: every server of a deployment lists
and resumes them); an anonymous visitor's only in the page's server-side state, for as long as the page is open
(nothing is stored for them, and nothing is ever taken back from the browser). The chat page's handlers call this
module; it holds no Gradio layout.
"""

from __future__ import annotations

import secrets
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bots.answer import Answer
from bots.citations import Citation
from bots.generators import Turn
from builder.conversations import Conversation, ConversationError, ConversationInfo, SavedTurn, title_of
from builder.registry import User
from ui.wiring import Services

KST = timezone(timedelta(hours=9), "KST")  # the city's clock: Korea keeps no daylight saving time
_CITATION_FIELDS = {f.name for f in fields(Citation)}


def saved_turn(question: str, answer: Answer) -> SavedTurn:
    """An answered question as it is kept: the answer's text, its citations' JSON form and its trace."""
    return SavedTurn(question, answer.text, tuple(c.to_dict() for c in answer.citations), answer.trace.id)


def citations_of(turn: SavedTurn) -> list[Citation]:
    """A kept turn's citations as our type again (the rendered `label` is made anew, not read back)."""
    cited = []
    for data in turn.citations:
        try:
            cited.append(Citation(**{k: v for k, v in data.items() if k in _CITATION_FIELDS}))
        except TypeError:
            continue  # a row written by another version, missing a field: the turn is shown without it
    return cited


def history_of(turns: list[SavedTurn]) -> list[Turn]:
    """Kept turns as the conversation a follow-up question is asked in."""
    return [Turn(t.question, t.answer, tuple((c.title, c.article) for c in citations_of(t))) for t in turns]


def label(info: ConversationInfo) -> str:
    """A conversation in the list: its title and when it was last continued (Korean time)."""
    return f"{info.title} · {info.updated_at.astimezone(KST):%Y-%m-%d %H:%M}"


class History:
    """The conversations of the page's visitor: the registry's for a signed-in user, the page state's otherwise."""

    def __init__(self, services: Services) -> None:
        self.store = services.registry.conversations

    def save(self, state: dict[str, Any], user: User | None, turn: SavedTurn) -> None:
        """Add an answered question to the current conversation (starting one on the first question)."""
        current = str(state.get("conversation") or "")
        if user is not None:
            state["conversation"] = self.store.add_turn(user.id, str(state.get("bot", "")), turn, current)
            return
        local: dict[str, dict[str, Any]] = state.setdefault("local", {})
        moment = datetime.now(UTC)
        if current not in local:
            current = secrets.token_hex(16)
            local[current] = {"title": title_of(turn.question), "created": moment, "turns": []}
        local[current]["turns"].append(turn)
        local[current]["updated"] = moment
        state["conversation"] = current

    def listed(self, state: dict[str, Any], user: User | None) -> list[tuple[str, str]]:
        """(label, id) of the visitor's conversations with this page's bot, most recently continued first."""
        if user is not None:
            return [(label(info), info.id) for info in self.store.listed(user.id, str(state.get("bot", "")))]
        infos = [_local_info(key, value, str(state.get("bot", ""))) for key, value in state.get("local", {}).items()]
        return [(label(info), info.id) for info in sorted(infos, key=lambda i: i.updated_at, reverse=True)]

    def open(self, state: dict[str, Any], user: User | None, conversation_id: str) -> Conversation:
        """One of the visitor's conversations with this page's bot (ConversationError for any other id)."""
        if user is not None:
            found = self.store.get(user.id, conversation_id)
            if found.info.bot_slug != state.get("bot"):  # another bot's: not opened on this bot's page
                raise ConversationError("대화", "그런 대화가 없습니다", "목록에서 다시 골라 주세요")
            return found
        kept = state.get("local", {}).get(conversation_id)
        if kept is None:
            raise ConversationError("대화", "그런 대화가 없습니다", "목록에서 다시 골라 주세요")
        return Conversation(_local_info(conversation_id, kept, str(state.get("bot", ""))), tuple(kept["turns"]))

    def rename(self, state: dict[str, Any], user: User | None, conversation_id: str, title: str) -> str:
        """Give the conversation a new title; the title it now has."""
        self.open(state, user, conversation_id)  # of this bot's page, and the visitor's own
        if user is not None:
            return self.store.rename(user.id, conversation_id, title).title
        title = " ".join(title.split())[:100]
        if not title:
            raise ConversationError("대화 이름", "새 이름이 비어 있습니다", "이름을 적은 뒤 다시 눌러 주세요")
        state["local"][conversation_id]["title"] = title
        return title

    def delete(self, state: dict[str, Any], user: User | None, conversation_id: str) -> None:
        """Delete one of the visitor's conversations."""
        self.open(state, user, conversation_id)
        if user is not None:
            self.store.delete(user.id, conversation_id)
        else:
            del state["local"][conversation_id]


def _local_info(key: str, kept: dict[str, Any], bot: str) -> ConversationInfo:
    return ConversationInfo(key, bot, kept["title"], kept["created"], kept.get("updated", kept["created"]),
                            len(kept["turns"]))
