"""Gradio's own words on our pages, in Korean: the one place both Gradio apps (builder, chat) take them from.

Gradio picks its interface language from the browser's. Its Korean dictionary lacks many entries (copy buttons,
"Complete"), so those fell back to English, and one key it uses (`common.complete`, read aloud when an event
ends) is in no dictionary, so the raw key leaked. `gradio_i18n()` gives Gradio our Korean for each of its keys,
for English and Korean browsers alike; Gradio looks a flat key ("chatbot.copy_message") up before its own nested
one, so ours wins. A few labels are written into Gradio's components in English with no key at all (the chat's
"chatbot conversation", the table's "Copy table data", "More tabs"…): `HEAD` carries a small script that
rewrites exactly those, as Gradio renders them. The footer (API, "Built with Gradio", settings, runs) is
switched off by the mount option `footer_links=[]` in `ui/app.py`.
"""

from __future__ import annotations

import json
from typing import Any

# Gradio's i18n keys (gradio/js/core/src/lang/en.json) that our pages can show, in Korean.
GRADIO_KOREAN: dict[str, str] = {
    "blocks.connection_can_break": "휴대폰에서 이 탭을 벗어나거나 화면이 꺼지면 연결이 끊어져 순서를 잃을 수 있습니다.",
    "blocks.long_requests_queue": "요청이 많이 밀려 있습니다. 잠시 기다려 주세요.",
    "blocks.lost_connection": "페이지를 벗어나 연결이 끊어졌습니다. 다시 연결하는 중…",
    "blocks.waiting_for_inputs": "파일을 다 올릴 때까지 기다렸다가 다시 해 주세요.",
    "chatbot.edit": "고치기", "chatbot.retry": "다시 묻기", "chatbot.undo": "되돌리기", "chatbot.submit": "보내기",
    "chatbot.cancel": "취소", "chatbot.like": "좋아요", "chatbot.dislike": "싫어요", "chatbot.clear": "대화 지우기",
    "chatbot.complete": "완료", "chatbot.copy_message": "답변 복사", "chatbot.copied_message": "복사했습니다",
    "common.clear": "지우기", "common.download": "내려받기", "common.download_all": "모두 내려받기",
    "common.edit": "고치기", "common.empty": "비어 있음", "common.error": "오류", "common.loading": "불러오는 중",
    "common.or": "또는", "common.remove": "지우기", "common.share": "공유", "common.submit": "보내기",
    "common.undo": "되돌리기", "common.complete": "완료", "common.progress": "진행", "common.run": "실행",
    "common.settings": "설정", "common.language": "언어", "common.back_to_app": "돌아가기", "common.logo": "로고",
    "common.back_to_app_description": "페이지로 돌아가기", "common.no_devices": "장치가 없습니다",
    "dataframe.incorrect_format": "형식이 맞지 않습니다. CSV와 TSV 파일만 됩니다",
    "dataframe.new_column": "열 추가", "dataframe.new_row": "행 추가", "dataframe.add_row_above": "위에 행 추가",
    "dataframe.add_row_below": "아래에 행 추가", "dataframe.delete_row": "행 지우기",
    "dataframe.delete_column": "열 지우기", "dataframe.add_column_left": "왼쪽에 열 추가",
    "dataframe.add_column_right": "오른쪽에 열 추가", "dataframe.sort_column": "열 정렬",
    "dataframe.sort_ascending": "오름차순 정렬", "dataframe.sort_descending": "내림차순 정렬",
    "dataframe.drop_to_upload": "CSV나 TSV 파일을 여기에 끌어 놓으면 표로 가져옵니다",
    "dataframe.import_empty_file": "끌어 놓은 파일이 비어 있습니다.",
    "dataframe.import_no_column_names": "끌어 놓은 파일에 열 이름이 없습니다.",
    "dataframe.import_ragged_row": "파일의 {line}번째 줄은 칸이 {fields}개인데 머리글은 {columns}개입니다.",
    "dataframe.import_static_columns": "읽기 전용 열이 있는 표에는 가져올 수 없습니다.",
    "dataframe.import_fixed_columns": "이 표는 열이 {expected}개여야 하는데 파일은 {actual}개입니다.",
    "dataframe.import_fixed_rows": "이 표는 행이 {expected}개여야 하는데 파일은 {actual}개입니다.",
    "dataframe.clear_sort": "정렬 해제", "dataframe.filter": "거르기", "dataframe.clear_filter": "거르기 해제",
    "dropdown.dropdown": "선택", "file.uploading": "올리는 중…", "plot.plot": "그래프",
    "status.queue_position": "대기 중: {size}명 가운데 {position}번째",
    "upload_text.click_to_upload": "눌러서 파일 고르기", "upload_text.drop_file": "파일을 여기에 끌어 놓기",
    "upload_text.drop_csv": "CSV 파일을 여기에 끌어 놓기", "upload_text.drop_image": "그림을 여기에 끌어 놓기",
    "upload_text.drop_gallery": "파일을 여기에 끌어 놓기", "upload_text.paste_clipboard": "클립보드에서 붙여 넣기",
}
# Locales whose Gradio dictionary our Korean replaces: the browsers city staff use. (Every one of Gradio's 32
# locales would add some 130 KB to each page's configuration, on phones too.)
LOCALES = ("en", "ko")

# English Gradio writes into its components without an i18n key: aria-labels, titles and a few texts.
UNTRANSLATED: dict[str, str] = {
    "chatbot conversation": "대화", "Copy conversation": "대화 복사", "Copied conversation": "대화를 복사했습니다",
    "Copy message": "답변 복사", "Copied message": "복사했습니다", "Like": "좋아요", "Dislike": "싫어요",
    "Liked": "좋아요 누름", "Disliked": "싫어요 누름", "Clear": "지우기", "Share": "공유", "Copy": "복사",
    "Copied": "복사했습니다", "Copied!": "복사했습니다", "Copied to clipboard": "복사했습니다",
    "More tabs": "탭 더 보기", "Table actions": "표 도구", "Copy table data": "표 내용 복사",
    "Fullscreen": "전체 화면", "Exit fullscreen mode": "전체 화면 끝내기", "Exit fullscreen": "전체 화면 끝내기",
    "Open cell menu": "칸 메뉴 열기", "Empty value": "값 없음", "No value": "값 없음",
    "Click to upload or drop files": "눌러서 파일 고르기", "File upload": "파일 올리기", "Textbox": "입력란",
    "Scroll down": "아래로", "Close": "닫기", "Download": "내려받기", "Remove": "지우기", "Loading...": "불러오는 중…",
    "common.complete": "완료",
}
# Labels Gradio builds as "<role>'s message: <text>" for each chat bubble.
PREFIXES: dict[str, str] = {"user's message: ": "질문: ", "bot's message: ": "답변: ",
                            "assistant's message: ": "답변: "}

_SCRIPT = """
(() => {
  const words = %s, prefixes = %s, attributes = ["aria-label", "title", "placeholder", "alt"];
  const korean = (value) => {
    if (value == null) return null;
    const trimmed = value.trim();
    if (Object.prototype.hasOwnProperty.call(words, trimmed)) return value.replace(trimmed, words[trimmed]);
    for (const [english, ours] of Object.entries(prefixes)) if (value.startsWith(english))
      return ours + value.slice(english.length);
    return null;
  };
  const element = (node) => {
    for (const name of attributes) {
      const ours = korean(node.getAttribute(name));
      if (ours !== null) node.setAttribute(name, ours);
    }
  };
  const text = (node) => {
    const ours = korean(node.nodeValue);
    if (ours !== null) node.nodeValue = ours;
  };
  const walk = (root) => {
    if (root.nodeType === 3) return text(root);
    if (root.nodeType !== 1) return;
    element(root);
    for (const node of root.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) element(node);
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) text(node);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "attributes") element(change.target);
      else if (change.type === "characterData") text(change.target);
      else change.addedNodes.forEach(walk);
    }
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                         attributes: true, attributeFilter: attributes});
  document.addEventListener("DOMContentLoaded", () => walk(document.body));
})();
"""

# Phone widths (tests/ui/test_chrome.py checks 390 px): nothing wider than the screen, long words wrap.
CSS = """
.gradio-container {overflow-wrap: anywhere;}
"""

HEAD = f"<script>{_SCRIPT % (json.dumps(UNTRANSLATED, ensure_ascii=False), json.dumps(PREFIXES))}</script>"


def gradio_i18n() -> Any:
    """Gradio's translations for our pages: our Korean under each of Gradio's keys, for `LOCALES`."""
    import gradio as gr  # imported by the app factory only (nothing happens at import time)

    return gr.I18n(**{locale: dict(GRADIO_KOREAN) for locale in LOCALES})
