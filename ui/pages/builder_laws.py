"""The documents tab's laws section (법령 최신 유지): the department's list of laws kept current from the law portal,
a check that changes nothing, and a sync, as `deptbot laws check` and `deptbot laws sync` do on the command line.

Everything here is for the department's leads (the handlers check, as every builder event does); the portal's
address and key are the administrator's settings (`DEPTBOT_LAW__URL`, `DEPTBOT_LAW__KEY`), never typed here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from builder.registry import User
from connectors.errors import ConnectorError
from connectors.laws.check import FLAG_LABELS, StatuteCheck
from connectors.laws.listing import parse_law_list, read_law_list, write_law_list
from connectors.laws.sync import SyncReport, sync_folder
from ui.pages.builder_common import md, record
from ui.pages.builder_documents_view import escape, row, table
from ui.wiring import Services, build_law_portal, department_folder, law_checks

_SYNCED = {"written": "✅ 받음", "unchanged": "☑️ 변경 없음", "repealed": "⚠️ 폐지", "not_found": "❌ 찾지 못함"}
CHECK_HEADERS = ["법령", "파일", "폴더의 판", "포털의 판", "확인"]


def checks_html(checks: list[StatuteCheck]) -> str:
    """The check's result: every statute, the ones needing attention first."""
    rows = []
    for check in sorted(checks, key=lambda c: (not c.flags, c.law)):
        flags = ", ".join(FLAG_LABELS[f] for f in check.flags) or "최신"
        local = " ".join(filter(None, (f"시행 {check.local_effective}" if check.local_effective else "",
                                       check.local_promulgation)))
        portal = " ".join(filter(None, (f"시행 {check.portal_effective}" if check.portal_effective else "",
                                        check.portal_promulgation)))
        rows.append(row(CHECK_HEADERS, [escape(check.law), escape(check.file), escape(local), escape(portal),
                                         escape(("⚠️ " if check.flags else "✅ ") + flags)],
                         "failed" if check.flags else "indexed"))
    return table(CHECK_HEADERS, rows, "목록에 법령이 없고 폴더에 법령 문서도 없습니다.")


def sync_summary(report: SyncReport) -> str:
    """One line per listed law, then the re-index totals."""
    lines = []
    for law in report.laws:
        effective = f" (시행 {law.effective})" if law.effective else ""
        said = law.message if law.message and law.status != "written" else f"{law.name or law.entry}{effective}"
        lines.append(f"- {_SYNCED[law.status]} {md(said)}")  # a message names its law itself
    if report.index is not None:
        totals = report.index.totals()
        lines.append(f"\n색인 {totals['indexed']}, 변경 없음 {totals['unchanged']}, 실패 {totals['failed']}")
    return "\n".join(lines)


class _Laws:
    """The section's handlers. `led` tells whether the request's user leads the department; `lock` gives the lock
    that keeps one change to a department's documents at a time (shared with uploads and deletes)."""

    def __init__(self, services: Services, led: Callable[[str, gr.Request], User | None],
                 lock: Callable[[str], threading.Lock]) -> None:
        self.services, self.led, self.lock = services, led, lock

    def folder(self, department: str) -> Path:
        return department_folder(self.services, department)

    def text(self, department: str, request: gr.Request) -> str:
        """The department's list as the lead edits it."""
        if self.led(department, request) is None:
            return ""
        return "\n".join(read_law_list(self.folder(department)))

    def save(self, department: str, text: str, request: gr.Request) -> list[Any]:
        user = self.led(department, request)
        if user is None:
            return [gr.update(), "⚠️ 내가 담당하는 부서를 고르세요."]
        entries = write_law_list(self.folder(department), parse_law_list(text or ""))
        record(self.services, user, request, "law_list_saved", department, f"{len(entries)} laws")
        return ["\n".join(entries),
                f"✅ 법령 목록을 저장했습니다 ({len(entries)}건). '지금 받아 오기'로 본문을 받습니다."]

    def check(self, department: str, request: gr.Request) -> list[Any]:
        if self.led(department, request) is None:
            return ["⚠️ 내가 담당하는 부서를 고르세요.", gr.update(visible=False)]
        try:
            checks = law_checks(self.services, build_law_portal(self.services.settings), department, date.today())
        except ConnectorError as exc:
            return [f"⚠️ {md(exc.message)}", gr.update(visible=False)]
        flagged = sum(bool(c.flags) for c in checks)
        return [f"법령 {len(checks)}건 가운데 확인이 필요한 법령 {flagged}건 (아무것도 바꾸지 않았습니다).",
                gr.update(value=checks_html(checks), visible=True)]

    def sync(self, department: str, request: gr.Request) -> list[Any]:
        user = self.led(department, request)
        if user is None:
            return ["⚠️ 내가 담당하는 부서를 고르세요."]
        folder = self.folder(department)
        if not read_law_list(folder):
            return ["⚠️ 법령 목록이 비어 있습니다. 한 줄에 법령명이나 법령ID를 하나씩 적고 저장하세요."]
        try:
            portal = build_law_portal(self.services.settings)
            with self.lock(department):
                report = sync_folder(portal, self.services.reindexer, folder, department)
        except ConnectorError as exc:  # nothing was written: the folder and its index are as they were
            return [f"⚠️ {md(exc.message)}"]
        written = [law.file for law in report.laws if law.status == "written"]
        if written:
            record(self.services, user, request, "laws_synced", department, " ".join(written)[:3500])
        return [sync_summary(report)]


def laws_section(services: Services, department: gr.Dropdown, led: Callable[[str, gr.Request], User | None],
                 lock: Callable[[str], threading.Lock], refresh: Callable[[str], list[Any]],
                 refreshed: list[Any]) -> tuple[gr.Textbox, Callable[[str, gr.Request], str]]:
    """The section's layout and events (call inside the documents tab). `refresh(department)` gives the document
    list's outputs (`refreshed`) after a sync. Returns the list's textbox and its loader, for the tab's load."""
    laws = _Laws(services, led, lock)
    gr.Markdown("#### 법령 최신 유지 (국가법령정보센터)")
    text = gr.Textbox(label="받아 둘 법령 (한 줄에 하나: 법령명 또는 법령ID)", lines=4, elem_id="law-list",
                      placeholder="개인정보 보호법\n공익신고자 보호법")
    with gr.Row():
        save = gr.Button("목록 저장", scale=1, elem_id="law-save")
        check = gr.Button("법령 확인 (바꾸지 않음)", scale=1, elem_id="law-check")
        sync = gr.Button("지금 받아 오기", variant="primary", scale=1, elem_id="law-sync")
    status = gr.Markdown("", elem_id="law-status")
    checked = gr.HTML("", elem_id="law-checks", visible=False, js_on_load=None)

    def synced(department_name: str, request: gr.Request) -> list[Any]:
        # The check shown before no longer holds once the laws are fetched: it is hidden, not left stale.
        return [*laws.sync(department_name, request), gr.update(visible=False), *refresh(department_name)]

    save.click(laws.save, inputs=[department, text], outputs=[text, status], api_name="law_list_save")
    check.click(laws.check, inputs=[department], outputs=[status, checked], api_name="law_check")
    sync.click(synced, inputs=[department], outputs=[status, checked, *refreshed], api_name="law_sync")
    department.input(laws.text, inputs=[department], outputs=[text], api_name="law_list")
    return text, laws.text
