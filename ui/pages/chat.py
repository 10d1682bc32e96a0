"""The chat page of a shared bot (`/b/{slug}` -> `/chat/?bot=slug&key=…`): Gradio, Korean, phone-width friendly.

The bot's icon, name and description; its conversation starters as buttons; answers streamed as they are made;
under every answer the sources it cites as numbered cards (the citation line, the quoted passage, the page) and a
button that copies the answer with its citations as plain text; a new-conversation button; the visitor's earlier
conversations to resume, rename or delete (`ui.pages.chat_history`). Access is decided per request by
`builder.access` from the share-link key and the session cookie; a bot the visitor may not use shows only a neutral
message, never its name.
"""

from __future__ import annotations

import gradio as gr

from ui.api import QUESTION_CHARS, Answerers, AskLimits
from ui.pages.chat_events import EMPTY_QUESTION, MAX_STARTERS, NOT_FOUND, ChatEvents
from ui.pages.chat_render import (  # re-exported: the builder's preview shows answers as the chat page does
    answer_bubble,
    as_text,
    bot_header,
    clean,
    document_link,
    plain_text,
    replies,
    source_cards,
)
from ui.sessions import Sessions
from ui.wiring import Services

__all__ = ["CSS", "EMPTY_QUESTION", "MAX_STARTERS", "NOT_FOUND", "answer_bubble", "as_text", "bot_header", "build_chat",
           "clean", "document_link", "plain_text", "replies", "source_cards"]

_CONCURRENT = 32  # questions of the chat page answered at once per server
CSS = """
.source-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 12px; margin: 6px 0;}
.source-card .label {font-weight: 600;}
.source-card blockquote {margin: 4px 0 0 0; color: #444;}
.source-card blockquote .columns {color: #57606a; font-size: 0.9em;}
.source-card a.open {margin-left: .5em; white-space: nowrap;}
.answer-sources {margin-top: 10px;}
.answer-tools {margin-top: 6px;}
.answer-tools button.copy-answer {border: 1px solid #d0d7de; border-radius: 6px; padding: 2px 10px; font-size: .85em;
                                  background: transparent; cursor: pointer;}
#ask-status p {color: #9a3412; margin: 0;}
#conversation-list .wrap {flex-direction: column; align-items: stretch;}
@media (max-width: 640px) {  /* a phone: an answer and its cards take the whole width */
  #chat .bubble.bot-row {max-width: 100% !important;}
  .source-card {padding: 6px 8px;}
}
"""
# The copy button of every answer (a Gradio chat bubble has no per-message button of ours): one listener for the
# page, run in the browser only; it copies the plain text the server put in the button, never the bubble's HTML.
COPY_SCRIPT = """() => {
  if (window.deptbotCopy) return;
  window.deptbotCopy = true;
  const say = (button, text) => {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = text;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.copy-answer") : null;
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    const text = button.value || "";
    const fallback = () => {
      const area = document.createElement("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      area.remove();
      say(button, copied ? "복사했습니다" : "복사하지 못했습니다");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => say(button, "복사했습니다"), fallback);
    } else {
      fallback();
    }
  }, true);
}"""


def build_chat(services: Services, answerers: Answerers, sessions: Sessions, limits: AskLimits) -> gr.Blocks:
    """The chat page: its layout, wired to `ChatEvents`."""
    events = ChatEvents(services=services, answerers=answerers, sessions=sessions, limits=limits)
    with gr.Blocks(title="deptbot", analytics_enabled=False) as page:
        state = gr.State({})
        header = gr.HTML("불러오는 중…", elem_id="bot-header")
        with gr.Column(visible=False) as body:
            with gr.Accordion("지난 대화", open=False, elem_id="history"):
                history_note = gr.Markdown("", elem_id="history-note")
                conversations = gr.Radio(choices=[], label="대화 목록", elem_id="conversation-list")
                with gr.Row():
                    title = gr.Textbox(placeholder="대화 이름", show_label=False, scale=4, max_length=100,
                                       elem_id="conversation-title")
                    rename = gr.Button("이름 바꾸기", size="sm", scale=1, elem_id="rename-conversation")
                    remove = gr.Button("대화 지우기", size="sm", scale=1, variant="stop", elem_id="delete-conversation")
                with gr.Row(visible=False, elem_id="confirm-delete") as confirm:
                    gr.Markdown("이 대화를 지울까요? 지운 대화는 되살릴 수 없습니다.")
                    really = gr.Button("지우기", size="sm", variant="stop", elem_id="confirm-delete-yes")
                    keep = gr.Button("취소", size="sm", elem_id="confirm-delete-no")
                history_status = gr.Markdown("", elem_id="history-status")
            with gr.Row():
                starters = [gr.Button(visible=False, size="sm", elem_classes=["starter"]) for _ in range(MAX_STARTERS)]
            # The built-in copy button would copy the bubble's HTML: each answer has its own (COPY_SCRIPT). The
            # label is not shown: Gradio floats it over the conversation, where on a phone it covers the first
            # line of a scrolled answer.
            chat = gr.Chatbot(label="대화", show_label=False, height=520, elem_id="chat", line_breaks=True,
                              render_markdown=False, buttons=[])
            with gr.Row():
                box = gr.Textbox(placeholder="질문을 입력하세요", show_label=False, scale=5, elem_id="question",
                                 max_length=QUESTION_CHARS)
                send = gr.Button("보내기", variant="primary", scale=1, elem_id="send")
            notice = gr.Markdown("", elem_id="ask-status")
            thanks = gr.Markdown("", elem_id="feedback-status")
            with gr.Row(visible=False, elem_id="feedback") as feedback:
                remark = gr.Textbox(placeholder="의견 (선택): 무엇이 틀렸거나 부족했나요?", show_label=False, scale=5,
                                    max_length=2000, elem_id="feedback-comment")
                remark_send = gr.Button("의견 보내기", scale=1, size="sm", elem_id="feedback-send")
            reset = gr.Button("새 대화", size="sm", elem_id="new-conversation")
        page.load(events.load, outputs=[state, header, body, *starters, conversations, history_note])
        page.load(None, js=COPY_SCRIPT)  # in the browser only: no request, no endpoint
        for trigger in (box.submit, send.click):
            trigger(events.respond, inputs=[box, state], outputs=[chat, box, notice, conversations])
        for button in starters:
            button.click(events.respond, inputs=[button, state], outputs=[chat, box, notice, conversations])
        conversations.input(events.resume, inputs=[conversations, state], outputs=[chat, state, title, history_status])
        for trigger in (title.submit, rename.click):
            trigger(events.rename, inputs=[title, state], outputs=[conversations, history_status])
        remove.click(lambda: gr.update(visible=True), outputs=[confirm], api_visibility="private")
        keep.click(lambda: gr.update(visible=False), outputs=[confirm], api_visibility="private")
        really.click(events.delete, inputs=[state], outputs=[chat, state, conversations, history_status, title]
                     ).then(lambda: gr.update(visible=False), outputs=[confirm], api_visibility="private")
        # The chat's own clear button starts a new conversation too (it would only blank the screen otherwise).
        for trigger in (reset.click, chat.clear):
            trigger(events.new_conversation, inputs=[state], outputs=[chat, notice, state, conversations, title])
        chat.like(events.like, inputs=[state], outputs=[state, feedback, thanks])
        for trigger in (remark.submit, remark_send.click):
            trigger(events.comment, inputs=[remark, state], outputs=[remark, feedback, thanks])
    # Gradio answers one call of each event at a time by default: every visitor's question would wait for the
    # one before it. Many run at once (the answer slots of the API are for its own route).
    page.queue(default_concurrency_limit=_CONCURRENT)
    return page
