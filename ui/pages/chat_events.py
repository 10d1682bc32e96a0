"""The chat page's handlers: load the bot, answer a question, rate an answer, and the visitor's conversations.

Every Gradio event is an endpoint anyone can call, so each handler asks `builder.access` again (from the share-link
key kept in the server-side state and the session cookie), and the conversation is kept in the server-side state,
never taken back from the browser: a chat value sent by a client could name files for Gradio to copy, and would let
it rewrite what was said. A conversation id from the list is only a choice: `History` opens the visitor's own only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr
from sqlalchemy.exc import SQLAlchemyError

from bots.generators import Turn
from builder.access import can_use
from builder.registry import BotRecord, RegistryError, User
from connectors.errors import ConnectorError
from ui.api import LIMITED, QUESTION_CHARS, Answerers, AskLimits, Rating, rate_answer
from ui.pages.chat_history import History, history_of, saved_turn
from ui.pages.chat_render import (
    answer_bubble,
    as_text,
    bot_header,
    clean,
    conversation_messages,
    document_link,
    replies,
)
from ui.sessions import Sessions
from ui.wiring import Services

MAX_STARTERS = 6
NOT_FOUND = ("<h3>봇을 찾을 수 없습니다</h3>"
             "<p>링크가 바뀌었거나 게시가 중지되었을 수 있습니다. 로그인이 필요한 봇이면 먼저 로그인해 주세요.</p>")
EMPTY_QUESTION = "질문을 입력한 뒤 보내기를 눌러 주세요."
SAVED_NOTE = "대화는 자동으로 저장됩니다. 목록에서 고르면 이어서 물어볼 수 있습니다."
ANONYMOUS_NOTE = ("로그인하지 않으면 대화가 저장되지 않고, 이 페이지를 닫거나 새로 고칠 때까지만 목록에 남습니다. "
                  "로그인하면 대화가 저장됩니다.")
NO_CONVERSATION = "먼저 목록에서 대화를 고르거나 질문을 해 주세요."
NOT_SAVED = "이 답변은 대화 목록에 저장하지 못했습니다. 잠시 뒤에 다시 물어봐 주세요."
log = logging.getLogger(__name__)


class ChatEvents:
    """The handlers of one chat page (its layout is `ui.pages.chat.build_chat`)."""

    def __init__(self, *, services: Services, answerers: Answerers, sessions: Sessions, limits: AskLimits) -> None:
        self.services = services
        self.answerers = answerers
        self.sessions = sessions
        self.limits = limits
        self.history = History(services)

    def user_of(self, request: gr.Request) -> User | None:
        """The signed-in user of the request, if any."""
        return self.sessions.user(dict(request.cookies), dict(request.headers))

    def allowed(self, state: dict[str, Any], request: gr.Request) -> BotRecord | None:
        """The page's bot as its users get it (the published version; an unpublished bot's draft for its
        managers), when this visitor may use it: looked up afresh at every event, never kept in the page's state."""
        try:
            bot = self.services.registry.served(str(state.get("bot", "")))
        except RegistryError:
            return None
        return bot if can_use(bot, self.user_of(request), state.get("key")) else None

    def _listing(self, state: dict[str, Any], user: User | None) -> dict[str, Any]:
        return gr.update(choices=self.history.listed(state, user), value=state.get("conversation") or None)

    def load(self, request: gr.Request) -> tuple[Any, ...]:
        """The page for the bot the address names: header, starters, and the visitor's conversations."""
        params = dict(request.query_params)
        state: dict[str, Any] = {"bot": params.get("bot", ""), "key": params.get("key"), "messages": []}
        bot = self.allowed(state, request)
        if bot is None:
            hidden = [gr.update(visible=False)] * MAX_STARTERS
            return (state, NOT_FOUND, gr.update(visible=False), *hidden, gr.update(choices=[]), "")
        starters = [gr.update(value=s, visible=True) for s in bot.definition.starters[:MAX_STARTERS]]
        starters += [gr.update(visible=False)] * (MAX_STARTERS - len(starters))
        user = self.user_of(request)
        note = SAVED_NOTE if user is not None else ANONYMOUS_NOTE
        return (state, bot_header(bot), gr.update(visible=True), *starters, self._listing(state, user), note)

    def respond(self, question: str, state: dict[str, Any], request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Answer a question as it is made; the finished answer gets its cards and is saved to the conversation."""
        question = clean((question or "").strip()[:QUESTION_CHARS])
        bot = self.allowed(state, request)
        messages = list(state.get("messages", []))
        if bot is None:
            yield messages, "", "", gr.update()
            return
        if not question:  # say so, instead of nothing happening
            yield messages, "", EMPTY_QUESTION, gr.update()
            return
        user = self.user_of(request)
        history: list[Turn] = list(state.get("turns", []))
        messages += [{"role": "user", "content": as_text(question)}, {"role": "assistant", "content": ""}]
        state["messages"] = messages
        if not self.limits.allow(user, request.client.host if request.client else ""):
            messages[-1]["content"] = f"⚠️ {LIMITED}"
            yield messages, question, "", gr.update()
            return
        yield messages, "", "", gr.update()
        try:
            for shown, answer in replies(self.answerers.get(bot), question, history):
                if answer is None:
                    messages[-1] = {"role": "assistant", "content": shown}
                    yield messages, "", "", gr.update()
                    continue
                link = document_link(self.services, bot.slug, state.get("key"))
                messages[-1] = {"role": "assistant",
                                "content": answer_bubble(shown, answer.text, answer.citations, link)}
                state.setdefault("turns", []).append(answer.turn(question))
                state.setdefault("traces", {})[str(len(messages) - 1)] = answer.trace.id
                try:
                    self.history.save(state, user, saved_turn(question, answer))
                except (SQLAlchemyError, ConnectorError) as exc:  # the answer is shown all the same, and said
                    log.warning("conversation_not_saved bot=%s error=%s", bot.slug, type(exc).__name__)
                    state.pop("conversation", None)  # e.g. deleted in another tab: the next question starts anew
                    yield messages, "", NOT_SAVED, gr.update()
                    return
                yield messages, "", "", self._listing(state, user)
        except ConnectorError as exc:  # e.g. the Chroma server is down: say so, keep the question for a retry
            messages[-1] = {"role": "assistant",
                            "content": as_text(f"⚠️ 지금은 답할 수 없습니다. {exc.problem} — {exc.action}")}
            yield messages, question, "", gr.update()

    def resume(self, choice: str | None, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Show a kept conversation, every answer with its cards, and continue it."""
        bot = self.allowed(state, request)
        if bot is None or not choice:
            return state.get("messages", []), state, "", ""
        try:
            found = self.history.open(state, self.user_of(request), str(choice))
        except ConnectorError as exc:
            return state.get("messages", []), state, "", exc.problem
        turns = list(found.turns)
        messages, traces = conversation_messages(turns, document_link(self.services, bot.slug, state.get("key")))
        state.update(messages=messages, turns=history_of(turns), traces=traces, conversation=found.info.id)
        state.pop("rated", None)
        return messages, state, found.info.title, ""

    def rename(self, title: str, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Rename the conversation on the screen."""
        current = str(state.get("conversation") or "")
        if self.allowed(state, request) is None or not current:
            return gr.update(), NO_CONVERSATION
        user = self.user_of(request)
        try:
            self.history.rename(state, user, current, clean(title or ""))
        except ConnectorError as exc:
            return gr.update(), f"{exc.problem}. {exc.action}" if exc.action else exc.problem
        return self._listing(state, user), "대화 이름을 바꿨습니다."

    def delete(self, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Delete the conversation on the screen and start a new one."""
        current = str(state.get("conversation") or "")
        if self.allowed(state, request) is None or not current:
            return gr.update(), state, gr.update(), NO_CONVERSATION, ""
        user = self.user_of(request)
        try:
            self.history.delete(state, user, current)
        except ConnectorError as exc:
            return gr.update(), state, gr.update(), exc.problem, gr.update()
        state = self.fresh(state)
        return [], state, self._listing(state, user), "대화를 지웠습니다.", ""

    def new_conversation(self, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Start again: an empty chat (the conversation so far stays in the list)."""
        state = self.fresh(state)
        return [], "", state, self._listing(state, self.user_of(request)), ""

    @staticmethod
    def fresh(state: dict[str, Any]) -> dict[str, Any]:
        """The state of a new conversation with the same bot (the visit's own conversations kept)."""
        kept = {"bot": state.get("bot", ""), "key": state.get("key"), "messages": []}
        if "local" in state:
            kept["local"] = state["local"]
        return kept

    def like(self, data: gr.LikeData, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Record a thumbs up or down on an answer, and offer a comment."""
        bot = self.allowed(state, request)
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        trace_id = state.get("traces", {}).get(str(index))
        if bot is None or not trace_id or data.liked is None:
            return state, gr.update(visible=False), ""
        rating = 1 if data.liked else -1
        rate_answer(self.services, bot, self.user_of(request), Rating(trace_id=trace_id, rating=rating))
        state["rated"] = {"trace_id": trace_id, "rating": rating}
        return state, gr.update(visible=True), "평가가 기록되었습니다. 더 하실 말씀이 있으면 남겨 주세요."

    def comment(self, text: str, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        """Add a comment to the rating just given."""
        bot, rated = self.allowed(state, request), state.get("rated")
        if bot is None or not rated:
            return "", gr.update(visible=False), ""
        rate_answer(self.services, bot, self.user_of(request),
                    Rating(trace_id=rated["trace_id"], rating=rated["rating"], comment=clean(text or "")[:2000]))
        return "", gr.update(visible=False), "의견이 기록되었습니다. 고맙습니다."
