"""The chat page of a shared bot (`/b/{slug}` -> `/chat/?bot=slug&key=…`): Gradio, Korean, phone-width friendly.

The bot's icon, name and description; its conversation starters as buttons; answers streamed as they are made;
the sources an answer cites as numbered cards (the citation line, the quoted passage, the page); a new-conversation
button. Access is decided per request by `builder.access` from the share-link key and the session cookie; a bot
the visitor may not use shows only a neutral message, never its name.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from bots.answer import Delta, Done, Notice, Reset
from bots.citations import Citation
from bots.generators import Turn
from builder.access import can_use
from builder.registry import BotRecord, RegistryError
from ui.api import QUESTION_CHARS, Answerers, Rating, rate_answer, session_user
from ui.wiring import Services

MAX_STARTERS = 6
NOT_FOUND = ("### 봇을 찾을 수 없습니다\n"
             "링크가 바뀌었거나 게시가 중지되었을 수 있습니다. 로그인이 필요한 봇이면 먼저 로그인해 주세요.")
CSS = """
.source-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 12px; margin: 6px 0;}
.source-card .label {font-weight: 600;}
.source-card blockquote {margin: 4px 0 0 0; color: #444;}
"""


def source_cards(citations: list[Citation]) -> str:
    """The cited sources as numbered HTML cards."""
    cards = []
    for citation in citations:  # the label names the page already ("… 12쪽")
        cards.append(f'<div class="source-card" data-n="{citation.n}"><span class="label">[{citation.n}] '
                     f"{html.escape(citation.label)}</span><blockquote>{html.escape(citation.quote)}"
                     "</blockquote></div>")
    return "".join(cards)


def build_chat(services: Services, answerers: Answerers, secret: str) -> gr.Blocks:
    """The chat page."""

    def allowed(state: dict[str, Any], request: gr.Request) -> BotRecord | None:
        try:
            bot = services.registry.bot(str(state.get("bot", "")))
        except RegistryError:
            return None
        user = session_user(services, dict(request.cookies), secret)
        return bot if can_use(bot, user, state.get("key")) else None

    def load(request: gr.Request) -> tuple[Any, ...]:
        params = dict(request.query_params)
        state = {"bot": params.get("bot", ""), "key": params.get("key")}
        bot = allowed(state, request)
        if bot is None:
            hidden = [gr.update(visible=False)] * MAX_STARTERS
            return (state, NOT_FOUND, gr.update(visible=False), *hidden)
        definition = bot.definition
        header = f"## {definition.icon} {definition.name}\n{definition.description}"
        starters = [gr.update(value=s, visible=True) for s in definition.starters[:MAX_STARTERS]]
        starters += [gr.update(visible=False)] * (MAX_STARTERS - len(starters))
        return (state, header, gr.update(visible=True), *starters)

    def respond(question: str, messages: list[dict[str, Any]], state: dict[str, Any],
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()[:QUESTION_CHARS]
        bot = allowed(state, request)
        if not question or bot is None:
            yield messages, "", gr.update()
            return
        history = [Turn(q, a) for q, a in state.get("turns", [])]
        messages = [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        text, notice = "", ""
        yield messages, "", ""
        for event in answerers.get(bot).stream(question, history):
            if isinstance(event, Delta):
                text += event.text
            elif isinstance(event, Reset):
                text = ""
            elif isinstance(event, Notice):
                notice = f"⚠️ {event.text}\n\n"
            elif isinstance(event, Done):
                text = event.answer.text
                state.setdefault("turns", []).append((question, text))
                state.setdefault("traces", {})[str(len(messages) - 1)] = event.answer.trace.id
                messages[-1] = {"role": "assistant", "content": notice + text}
                yield messages, "", source_cards(event.answer.citations)
                return
            messages[-1] = {"role": "assistant", "content": notice + text}
            yield messages, "", gr.update()

    def like(data: gr.LikeData, state: dict[str, Any], request: gr.Request) -> None:
        bot = allowed(state, request)
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        trace_id = state.get("traces", {}).get(str(index))
        if bot is None or not trace_id or data.liked is None:
            return
        user = session_user(services, dict(request.cookies), secret)
        rate_answer(services, bot, user, Rating(trace_id=trace_id, rating=1 if data.liked else -1))

    def new_conversation(state: dict[str, Any]) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
        state = {"bot": state.get("bot", ""), "key": state.get("key")}
        return [], "", state

    with gr.Blocks(title="deptbot", analytics_enabled=False) as page:
        state = gr.State({})
        header = gr.Markdown("불러오는 중…", elem_id="bot-header")
        with gr.Column(visible=False) as body:
            with gr.Row():
                starters = [gr.Button(visible=False, size="sm", elem_classes=["starter"]) for _ in range(MAX_STARTERS)]
            chat = gr.Chatbot(label="대화", height=420, elem_id="chat", line_breaks=True)
            sources = gr.HTML(elem_id="sources")
            with gr.Row():
                box = gr.Textbox(placeholder="질문을 입력하세요", show_label=False, scale=5, elem_id="question",
                                 max_length=QUESTION_CHARS)
                send = gr.Button("보내기", variant="primary", scale=1, elem_id="send")
            reset = gr.Button("새 대화", size="sm", elem_id="new-conversation")
        page.load(load, outputs=[state, header, body, *starters])
        for trigger in (box.submit, send.click):
            trigger(respond, inputs=[box, chat, state], outputs=[chat, box, sources])
        for button in starters:
            button.click(respond, inputs=[button, chat, state], outputs=[chat, box, sources])
        reset.click(new_conversation, inputs=[state], outputs=[chat, sources, state])
        chat.like(like, inputs=[state])
    return page
