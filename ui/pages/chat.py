"""The chat page of a shared bot (`/b/{slug}` -> `/chat/?bot=slug&key=…`): Gradio, Korean, phone-width friendly.

The bot's icon, name and description; its conversation starters as buttons; answers streamed as they are made;
the sources an answer cites as numbered cards (the citation line, the quoted passage, the page); a new-conversation
button. Access is decided per request by `builder.access` from the share-link key and the session cookie; a bot
the visitor may not use shows only a neutral message, never its name.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from bots.answer import Answer, Answerer, Delta, Done, Notice, Reset
from bots.citations import Citation
from bots.generators import Turn
from builder.access import can_use
from builder.registry import BotRecord, RegistryError
from connectors.errors import ConnectorError
from ui.api import LIMITED, QUESTION_CHARS, Answerers, AskLimits, Rating, rate_answer
from ui.files import file_link, icon_html
from ui.sessions import Sessions
from ui.wiring import Services

MAX_STARTERS = 6
_CONCURRENT = 32  # questions of the chat page answered at once per server
NOT_FOUND = ("<h3>봇을 찾을 수 없습니다</h3>"
             "<p>링크가 바뀌었거나 게시가 중지되었을 수 있습니다. 로그인이 필요한 봇이면 먼저 로그인해 주세요.</p>")
CSS = """
.source-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 12px; margin: 6px 0;}
.source-card .label {font-weight: 600;}
.source-card blockquote {margin: 4px 0 0 0; color: #444;}
.source-card a.open {margin-left: .5em; white-space: nowrap;}
"""


def source_cards(citations: list[Citation], link: Callable[[Citation], str | None] = lambda _: None) -> str:
    """The cited sources as numbered HTML cards, each with a link to the original document when there is one."""
    cards = []
    for citation in citations:  # the label names the page already ("… 12쪽")
        href = link(citation)
        opener = (f' <a class="open" href="{html.escape(href)}" target="_blank" rel="noopener">원문 보기</a>'
                  if href else "")
        cards.append(f'<div class="source-card" data-n="{citation.n}"><span class="label">[{citation.n}] '
                     f"{html.escape(citation.label)}</span>{opener}<blockquote>{html.escape(citation.quote)}"
                     "</blockquote></div>")
    return "".join(cards)


def document_link(services: Services, bot: str, key: str | None) -> Callable[[Citation], str | None]:
    """Links to cited documents through the bot (so the file route can check the visitor may use it)."""

    def link(citation: Citation) -> str | None:
        try:
            slug = services.registry.department(citation.department).slug
        except RegistryError:
            return None  # a department indexed but not registered: no route serves it
        return file_link(slug, citation.file, bot=bot, key=key, page=citation.page or 0)

    return link


def as_text(text: str) -> str:
    """Text from documents, bot fields or the asker, for a chat bubble: shown as the characters it is.

    Chat bubbles render HTML (even with Markdown off), so a `<form>` quoted from an uploaded file would be a live
    form; the bubbles are made with `render_markdown=False` and everything in them is escaped here.
    """
    return html.escape(clean(text), quote=False)


def clean(text: str) -> str:
    """Text without lone surrogates (a JSON "\\ud800" in a question would fail far from here)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def replies(answerer: Answerer, question: str, history: list[Turn]) -> Iterator[tuple[str, Answer | None]]:
    """The answer's text as it grows (a fallback notice first), then the finished answer with its final text,
    escaped for a chat bubble."""
    text, notice = "", ""
    for event in answerer.stream(question, history):
        if isinstance(event, Delta):
            text += event.text
        elif isinstance(event, Reset):
            text = ""
        elif isinstance(event, Notice):
            notice += f"⚠️ {event.text}\n\n"
        elif isinstance(event, Done):
            yield as_text(notice + event.answer.text), event.answer
            return
        yield as_text(notice + text), None


def bot_header(bot: BotRecord) -> str:
    """The chat page's header: the bot's icon, name and description, as text."""
    definition = bot.definition
    return (f'<h2 class="bot-name">{icon_html(definition.icon, 40)} {html.escape(definition.name)}</h2>'
            f'<p class="bot-description">{html.escape(definition.description)}</p>')


def build_chat(services: Services, answerers: Answerers, sessions: Sessions, limits: AskLimits) -> gr.Blocks:
    """The chat page."""

    def user_of(request: gr.Request) -> Any:
        return sessions.user(dict(request.cookies), dict(request.headers))

    def allowed(state: dict[str, Any], request: gr.Request) -> BotRecord | None:
        try:
            bot = services.registry.bot(str(state.get("bot", "")))
        except RegistryError:
            return None
        return bot if can_use(bot, user_of(request), state.get("key")) else None

    def load(request: gr.Request) -> tuple[Any, ...]:
        params = dict(request.query_params)
        state = {"bot": params.get("bot", ""), "key": params.get("key"), "messages": []}
        bot = allowed(state, request)
        if bot is None:
            hidden = [gr.update(visible=False)] * MAX_STARTERS
            return (state, NOT_FOUND, gr.update(visible=False), *hidden)
        starters = [gr.update(value=s, visible=True) for s in bot.definition.starters[:MAX_STARTERS]]
        starters += [gr.update(visible=False)] * (MAX_STARTERS - len(starters))
        return (state, bot_header(bot), gr.update(visible=True), *starters)

    def respond(question: str, state: dict[str, Any], request: gr.Request) -> Iterator[tuple[Any, ...]]:
        # The conversation is kept in the server-side state, never taken back from the browser: a chat value
        # sent by a client could name files for Gradio to copy, and would let it rewrite what was said.
        question = clean((question or "").strip()[:QUESTION_CHARS])
        bot = allowed(state, request)
        messages = list(state.get("messages", []))
        if not question or bot is None:
            yield messages, "", gr.update()
            return
        history: list[Turn] = list(state.get("turns", []))
        messages += [{"role": "user", "content": as_text(question)}, {"role": "assistant", "content": ""}]
        state["messages"] = messages
        if not limits.allow(user_of(request), request.client.host if request.client else ""):
            messages[-1]["content"] = f"⚠️ {LIMITED}"
            yield messages, question, gr.update()
            return
        yield messages, "", ""
        try:
            for shown, answer in replies(answerers.get(bot), question, history):
                messages[-1] = {"role": "assistant", "content": shown}
                if answer is None:
                    yield messages, "", gr.update()
                    continue
                state.setdefault("turns", []).append(answer.turn(question))
                state.setdefault("traces", {})[str(len(messages) - 1)] = answer.trace.id
                link = document_link(services, bot.slug, state.get("key"))
                yield messages, "", source_cards(answer.citations, link)
        except ConnectorError as exc:  # e.g. the Chroma server is down: say so, keep the question for a retry
            messages[-1] = {"role": "assistant",
                            "content": as_text(f"⚠️ 지금은 답할 수 없습니다. {exc.problem} — {exc.action}")}
            yield messages, question, ""

    def like(data: gr.LikeData, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        bot = allowed(state, request)
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        trace_id = state.get("traces", {}).get(str(index))
        if bot is None or not trace_id or data.liked is None:
            return state, gr.update(visible=False), ""
        rating = 1 if data.liked else -1
        rate_answer(services, bot, user_of(request), Rating(trace_id=trace_id, rating=rating))
        state["rated"] = {"trace_id": trace_id, "rating": rating}
        return state, gr.update(visible=True), "평가가 기록되었습니다. 더 하실 말씀이 있으면 남겨 주세요."

    def comment(text: str, state: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        bot, rated = allowed(state, request), state.get("rated")
        if bot is None or not rated:
            return "", gr.update(visible=False), ""
        rate_answer(services, bot, user_of(request), Rating(trace_id=rated["trace_id"], rating=rated["rating"],
                                                            comment=clean(text or "")[:2000]))
        return "", gr.update(visible=False), "의견이 기록되었습니다. 고맙습니다."

    def new_conversation(state: dict[str, Any]) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
        state = {"bot": state.get("bot", ""), "key": state.get("key"), "messages": []}
        return [], "", state

    with gr.Blocks(title="deptbot", analytics_enabled=False) as page:
        state = gr.State({})
        header = gr.HTML("불러오는 중…", elem_id="bot-header")
        with gr.Column(visible=False) as body:
            with gr.Row():
                starters = [gr.Button(visible=False, size="sm", elem_classes=["starter"]) for _ in range(MAX_STARTERS)]
            chat = gr.Chatbot(label="대화", height=420, elem_id="chat", line_breaks=True, render_markdown=False)
            sources = gr.HTML(elem_id="sources")
            with gr.Row():
                box = gr.Textbox(placeholder="질문을 입력하세요", show_label=False, scale=5, elem_id="question",
                                 max_length=QUESTION_CHARS)
                send = gr.Button("보내기", variant="primary", scale=1, elem_id="send")
            thanks = gr.Markdown("", elem_id="feedback-status")
            with gr.Row(visible=False, elem_id="feedback") as feedback:
                remark = gr.Textbox(placeholder="의견 (선택): 무엇이 틀렸거나 부족했나요?", show_label=False, scale=5,
                                    max_length=2000, elem_id="feedback-comment")
                remark_send = gr.Button("의견 보내기", scale=1, size="sm", elem_id="feedback-send")
            reset = gr.Button("새 대화", size="sm", elem_id="new-conversation")
        page.load(load, outputs=[state, header, body, *starters])
        for trigger in (box.submit, send.click):
            trigger(respond, inputs=[box, state], outputs=[chat, box, sources])
        for button in starters:
            button.click(respond, inputs=[button, state], outputs=[chat, box, sources])
        reset.click(new_conversation, inputs=[state], outputs=[chat, sources, state])
        chat.like(like, inputs=[state], outputs=[state, feedback, thanks])
        for trigger in (remark.submit, remark_send.click):
            trigger(comment, inputs=[remark, state], outputs=[remark, feedback, thanks])
    # Gradio answers one call of each event at a time by default: every visitor's question would wait for the
    # one before it. Many run at once (the answer slots of the API are for its own route).
    page.queue(default_concurrency_limit=_CONCURRENT)
    return page
