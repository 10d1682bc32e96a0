"""How the chat page shows things: answers as escaped text with their source cards and copy button, kept
conversations as chat messages, the bot's header. Shared with the builder's preview.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

from bots.answer import Answer, Answerer, Delta, Done, Notice, Reset
from bots.citations import Citation
from bots.generators import Turn
from builder.conversations import SavedTurn
from builder.registry import BotRecord, RegistryError
from ui.files import file_link, icon_html
from ui.pages.chat_history import citations_of
from ui.wiring import Services

COPY_LABEL = "출처와 함께 복사"


def source_cards(citations: list[Citation], link: Callable[[Citation], str | None] = lambda _: None) -> str:
    """The cited sources as numbered HTML cards, each with a link to the original document when there is one."""
    cards = []
    for citation in citations:  # the label names the page already ("… 12쪽")
        href = link(citation)
        opener = (f' <a class="open" href="{html.escape(href)}" target="_blank" rel="noopener">원문 보기</a>'
                  if href else "")
        # A quoted table row comes with its table's column names above it.
        columns = (f'<span class="columns">{html.escape(citation.columns)}</span><br>' if citation.columns else "")
        cards.append(f'<div class="source-card" data-n="{citation.n}"><span class="label">[{citation.n}] '
                     f"{html.escape(citation.label)}</span>{opener}<blockquote>{columns}"
                     f"{html.escape(citation.quote)}</blockquote></div>")
    return "".join(cards)


def plain_text(text: str, citations: list[Citation]) -> str:
    """An answer with its citations as plain text, for pasting into a document or a message."""
    lines = [clean(text).strip()]
    if citations:
        lines += ["", "출처"]
        for citation in citations:
            lines.append(f"[{citation.n}] {clean(citation.label)}")
            quote = " ".join(clean(citation.quote).split())
            if quote and citation.columns:
                lines.append(f"    ({' '.join(clean(citation.columns).split())})")
            if quote:
                lines.append(f"    “{quote}”")
    return "\n".join(lines)


def answer_bubble(shown: str, text: str, citations: list[Citation],
                  link: Callable[[Citation], str | None] = lambda _: None) -> str:
    """A finished answer's chat bubble: its text as shown (escaped), its source cards, and the copy button."""
    cards = source_cards(citations, link)
    # The text rides in the button's value (Gradio's sanitizer drops data attributes, and a hidden element's text
    # would be found by text on the page), its line breaks as character references: a bubble turns a newline into
    # <br>.
    copied = html.escape(plain_text(text, citations), quote=True).replace("\n", "&#10;")
    return (shown + (f'<div class="answer-sources">{cards}</div>' if cards else "")
            + f'<div class="answer-tools"><button type="button" class="copy-answer" value="{copied}">{COPY_LABEL}'
            "</button></div>")


def conversation_messages(turns: list[SavedTurn], link: Callable[[Citation], str | None]
                          ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A kept conversation as chat messages (every answer with its cards), and the answers' traces by message."""
    messages: list[dict[str, Any]] = []
    traces: dict[str, str] = {}
    for turn in turns:
        messages.append({"role": "user", "content": as_text(turn.question)})
        messages.append({"role": "assistant",
                         "content": answer_bubble(as_text(turn.answer), turn.answer, citations_of(turn), link)})
        if turn.trace_id:
            traces[str(len(messages) - 1)] = turn.trace_id
    return messages, traces


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
