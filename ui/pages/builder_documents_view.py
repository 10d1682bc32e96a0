"""How the documents tab shows things, as HTML: a progress bar per uploaded file, the document list, a document's
chunks. Pure functions of our records; every text from a file or a user is escaped here.

Tables of our own rather than Gradio's data frames: a failed file's row is marked, and an error, a warning or a
chunk's whole text wraps inside its cell instead of being cut.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.chunk import Chunk
from connectors.index.records import FileRecord
from connectors.ingest import FileResult

State = Literal["waiting", "queued", "reading", "read", "indexed", "unchanged", "failed"]
_STATES: dict[State, tuple[str, int]] = {  # what a file's row says, and how full its bar is (%)
    "waiting": ("대기 중", 0),
    "queued": ("같은 부서의 다른 올리기가 끝나기를 기다리는 중", 0),
    "reading": ("읽고 나누는 중…", 0),  # an indeterminate bar: a worker process is on it
    "read": ("읽기 끝 · 색인에 쓰는 중…", 70),
    "indexed": ("✅ 색인됨", 100),
    "unchanged": ("☑️ 이미 올린 파일과 같습니다 — 바뀐 내용이 없어 다시 색인하지 않았습니다", 100),
    "failed": ("❌ 실패", 100),
}
FAILED_MARK = "❌ 실패"
STYLE = """
.doc-progress {list-style: none; padding: 0; margin: 0;}
.doc-progress li {margin: 6px 0 10px;}
.doc-progress .name {font-weight: 600; overflow-wrap: anywhere;}
.doc-progress .bar {height: 10px; border-radius: 5px; background: #e5e7eb; overflow: hidden; margin: 4px 0;}
.doc-progress .bar > span {display: block; height: 100%; background: #2563eb; transition: width .3s;}
.doc-progress .reading .bar > span {width: 35% !important; animation: doc-slide 1.2s ease-in-out infinite;}
.doc-progress .indexed .bar > span {background: #16a34a;}
.doc-progress .unchanged .bar > span {background: #6b7280;}
.doc-progress .failed .bar > span {background: #dc2626;}
.doc-progress .state, .doc-table .note {font-size: .92em;}
.doc-progress .error, .doc-table .error {color: #b91c1c;}
.doc-progress .warning, .doc-table .warning {color: #92400e;}
@keyframes doc-slide {from {margin-left: -35%;} to {margin-left: 100%;}}
.doc-scroll {overflow-x: auto;}
.doc-table {border-collapse: collapse; width: 100%; font-size: .95em;}
.doc-table th, .doc-table td {border-bottom: 1px solid #e5e7eb; padding: 6px 8px; text-align: left; vertical-align: top;
  white-space: pre-wrap; word-break: keep-all; overflow-wrap: break-word;}
.doc-table th {white-space: nowrap; background: #f9fafb;}
.doc-table tr.failed td {background: #fef2f2;}
.doc-table td.text {min-width: 16em;}
.doc-table .empty {color: #6b7280;}
@media (max-width: 640px) {  /* a phone: each row a card, each cell under its column's name */
  .doc-table thead {display: none;}
  .doc-table, .doc-table tbody {display: block; border: none !important;}
  .doc-table tr {display: block; border: none !important; border-bottom: 1px solid #d1d5db !important;
    padding: 6px 0;}
  .doc-table td {display: block; border: none !important; padding: 2px 8px;}
  .doc-table td:empty {display: none;}
  .doc-table td[data-label]::before {content: attr(data-label) " · "; font-weight: 600; color: #374151;}
  .doc-table td.text {min-width: 0;}
}
"""


@dataclass
class FileLine:
    """One uploaded file on the progress board."""

    label: str  # as uploaded
    key: str  # the name it is kept under, which the indexer reports
    state: State = "waiting"
    detail: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def progress_html(lines: list[FileLine]) -> str:
    """A bar per uploaded file with what is happening to it, then its result, error and warnings."""
    if not lines:
        return ""
    items = []
    for line in lines:
        text, percent = _STATES[line.state]
        busy = ' aria-busy="true"' if line.state == "reading" else ""
        extra = "".join([f'<div class="error">{escape(line.error)}</div>' if line.error else "",
                         *(f'<div class="warning">⚠️ 주의: {escape(w)}</div>' for w in line.warnings)])
        items.append(
            f'<li class="{line.state}"><div class="name">{escape(line.label)}</div>'
            f'<div class="bar" role="progressbar" aria-label="{escape(line.label)}" aria-valuemin="0" '
            f'aria-valuemax="100" aria-valuenow="{percent}"{busy}><span style="width:{percent}%"></span></div>'
            f'<div class="state">{escape(text)}{escape(line.detail)}</div>{extra}</li>')
    done = sum(line.state in ("indexed", "unchanged", "failed") for line in lines)
    return (f'<div class="doc-board"><div class="count">파일 {len(lines)}개 중 {done}개 끝남</div>'
            f'<ul class="doc-progress">{"".join(items)}</ul></div>')


def finish(line: FileLine, result: FileResult) -> None:
    """Put a file's result on its line."""
    line.state = result.status if result.status in ("indexed", "unchanged", "failed") else "indexed"
    line.detail = "" if result.status == "failed" else f" · 조각 {result.chunks}개" + (
        f" · {result.pages}쪽" if result.pages else "")
    line.error, line.warnings = result.error, list(result.warnings)


def row(headers: list[str], cells: list[Any], css: str = "") -> str:
    """A table row; each cell carries its column's name, which a phone shows before it."""
    tds = "".join(f'<td data-label="{escape(h)}"{css_class}>{cell}</td>' if cell else "<td></td>"
                  for h, (cell, css_class) in zip(headers, map(_split, cells), strict=True))
    return f'<tr class="{css}">{tds}</tr>' if css else f"<tr>{tds}</tr>"


def _split(cell: Any) -> tuple[str, str]:
    """A cell's HTML and its class attribute: cells given as ("class", html) pairs keep their class."""
    return (cell[1], f' class="{cell[0]}"') if isinstance(cell, tuple) else (cell, "")


def table(headers: list[str], rows: list[str], empty: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(rows) or f'<tr><td class="empty" colspan="{len(headers)}">{escape(empty)}</td></tr>'
    return f'<div class="doc-scroll"><table class="doc-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>' \
           "</table></div>"


def listing_html(records: list[FileRecord], versions: dict[str, str] | None = None) -> str:
    """The department's documents: a failed one marked, with its error; warnings (e.g. pages without text); for a
    statute, its effective date and version (`bots.versions.statute_notes`: in force, not yet, older, duplicate)."""
    versions = versions or {}
    headers = ["파일", "형식", "쪽", "조각", "색인 시각", "상태", "법령 시행일", "오류·주의"]
    rows = []
    for r in records:
        failed = r.status == "failed"
        # A failed file's record keeps the warnings of the version before it; they are not this version's.
        warnings = [] if failed else r.warnings
        notes = "".join([f'<div class="error">{escape(r.error)}</div>' if r.error else "",
                         *(f'<div class="warning">⚠️ {escape(w)}</div>' for w in warnings)])
        cells: list[Any] = [escape(r.file), escape(r.format.upper()), str(r.pages or ""),
                            "" if failed else str(r.chunks), escape(r.indexed_at.replace("T", " ")[:16]),
                            FAILED_MARK if failed else "색인됨", escape(versions.get(r.file, "")),
                            ("note", notes) if notes else ""]
        rows.append(row(headers, cells, "failed" if failed else "indexed"))
    return table(headers, rows, "아직 올린 문서가 없습니다.")


def file_choices(records: list[FileRecord]) -> list[tuple[str, str]]:
    """The documents to pick from (for chunks, re-index, delete): a failed one says so in its label."""
    return [(f"{r.file} ({FAILED_MARK})" if r.status == "failed" else r.file, r.file) for r in records]


def chunks_html(chunks: list[Chunk]) -> str:
    """A document's chunks in order, each with its article, paragraph, heading, pages and whole text."""
    headers = ["순서", "조문", "항", "제목", "쪽", "내용"]
    rows = []
    for position, chunk in enumerate(chunks, 1):
        pages = (f"{chunk.page_start}" if chunk.page_end in (None, chunk.page_start)
                 else f"{chunk.page_start}-{chunk.page_end}") if chunk.page_start else ""
        cells: list[Any] = [str(position), escape(chunk.article), escape(chunk.paragraph), escape(chunk.heading), pages,
                            ("text", escape(chunk.text))]
        rows.append(row(headers, cells))
    return table(headers, rows, "문서를 고르면 조각이 여기 나옵니다.")
