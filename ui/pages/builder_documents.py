"""The builder's documents tab (문서): upload with a progress bar per file, the document list with failed files
marked, a document's chunks, re-index, and delete after a confirmation.

Every handler asks again whether the session's user leads the department: the page's state is never trusted (every
Gradio event is an endpoint anyone can call). The delete confirmation is a step of the page, not a browser dialog:
the first click only asks about the picked file, and picking another file takes the question back, so the second
click deletes the file that was asked about.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from bots.versions import statute_notes
from builder.registry import User
from connectors.errors import ConnectorError, UnsafeFileNameError
from connectors.index.records import FileRecord
from connectors.ingest import FileResult
from connectors.library import add_documents, remove_document, safe_label, safe_name
from connectors.particles import josa
from ui.pages.builder_common import lead, md, record
from ui.pages.builder_documents_view import FileLine, chunks_html, file_choices, finish, listing_html, progress_html
from ui.pages.builder_laws import laws_section
from ui.sessions import Sessions
from ui.uploads import UploadLedger
from ui.wiring import Services, department_folder


@dataclass
class DocumentsTab:
    """The tab's parts that the page wires to its load event, and the handler that fills them."""

    department: gr.Dropdown
    outputs: list[Any]  # the document list, the document picker, the chunks
    show: Callable[..., list[Any]]


def indexed_documents(services: Services, departments: list[str]) -> list[str]:
    """"부서/파일" of the departments' documents that indexed: a failed file is never a bot's knowledge."""
    names = []
    for department in departments or []:
        if services.store.exists(department):
            records = services.index(department).file_records()
            names += [f"{department}/{file}" for file in sorted(records) if records[file].status != "failed"]
    return names


class _Documents:
    """The tab's handlers, on the services of the app."""

    def __init__(self, services: Services, sessions: Sessions, uploads: UploadLedger) -> None:
        self.services, self.sessions, self.uploads = services, sessions, uploads
        # One change to a department's documents at a time in this process: two uploads to one department must
        # not interleave their writes (the second waits, its files saying so); other departments go on meanwhile.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def indexing(self, department: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(department, threading.Lock())

    def led(self, department: str, request: gr.Request) -> User | None:
        user = lead(self.sessions, request)
        return user if user is not None and department and user.leads([department]) else None

    def records(self, department: str) -> list[FileRecord]:
        if not department or not self.services.store.exists(department):
            return []
        found = self.services.store.open(department, self.services.embedder).file_records()
        return [found[name] for name in sorted(found)]

    def listed(self, department: str, keep: str | None = None) -> list[Any]:
        """The document list and the picker (keeping its choice when the file is still there)."""
        records = self.records(department)
        value = keep if keep in {r.file for r in records} else None
        return [listing_html(records, self.versions(department) if records else {}),
                gr.update(choices=file_choices(records), value=value)]

    def versions(self, department: str) -> dict[str, str]:
        """Each statute's effective date and where it stands among the versions of its law the folder holds."""
        keywords = self.services.store.open(department, self.services.embedder).keyword_index()
        return statute_notes(keywords, date.today())

    def show(self, department: str, request: gr.Request) -> list[Any]:
        if self.led(department, request) is None:
            return [listing_html([]), gr.update(choices=[], value=None), chunks_html([])]
        return [*self.listed(department), chunks_html([])]

    # --- upload -------------------------------------------------------------------------------------------
    def upload(self, department: str, paths: list[str] | None, request: gr.Request) -> Iterator[list[Any]]:
        key = self.sessions.key(dict(request.cookies), dict(request.headers))
        handed = False  # once the indexing thread has them, it releases the uploads, even if the browser left
        try:
            for outputs in self._upload(department, paths or [], request, key):
                handed = True
                yield outputs
        finally:  # the uploaded copies are kept in the department folder now, or refused: either way gone here
            if not handed:
                self.uploads.release(key, paths or [])

    def _upload(self, department: str, paths: list[str], request: gr.Request, key: str) -> Iterator[list[Any]]:
        # outputs: progress board, document list, picker, status line, file input, upload button
        user = self.led(department, request)
        if user is None or not paths:
            self.uploads.release(key, paths)
            problem = "⚠️ 내가 담당하는 부서를 고르세요." if user is None else "⚠️ 올릴 파일을 고르세요."
            yield ["", gr.update(), gr.update(), problem, gr.update(), gr.update(interactive=True)]
            return
        lines = [FileLine(safe_label(Path(p).name), _kept_name(Path(p).name)) for p in paths]
        busy = gr.update(interactive=False)
        events: queue.Queue[tuple[str, Any]] = queue.Queue()
        threading.Thread(target=self._index, args=(department, paths, key, events), daemon=True).start()
        yield [progress_html(lines), gr.update(), gr.update(), f"⬆️ 파일 {len(lines)}개를 색인하고 있습니다…",
               gr.update(), busy]
        while True:
            kind, value = events.get()
            if kind in ("queued", "started"):
                _mark(lines, "reading" if kind == "started" else "queued")
            elif kind == "read":
                for line in lines:
                    if line.key == value and line.state == "reading":
                        line.state = "read"
            elif kind == "failed":
                yield [progress_html([]), gr.update(), gr.update(), f"⚠️ {md(value.message)}", None,
                       gr.update(interactive=True)]
                return
            elif kind == "crashed":  # the button comes back before Gradio reports the error
                yield [progress_html([]), gr.update(), gr.update(), "", None, gr.update(interactive=True)]
                raise value
            else:
                break
            yield [progress_html(lines), gr.update(), gr.update(), gr.update(), gr.update(), busy]
        results: list[FileResult] = value
        for line, result in zip(lines, results, strict=True):
            finish(line, result)
            record(self.services, user, request, "document_uploaded", f"{department}/{result.file}", result.status)
        yield [progress_html(lines), *self.listed(department), _summary(results), None, gr.update(interactive=True)]

    def _index(self, department: str, paths: list[str], key: str, events: queue.Queue[tuple[str, Any]]) -> None:
        """Keep and index the uploads, then let them go (in a thread of its own: the handler meanwhile redraws the
        bars, and a browser that leaves stops the handler, not the indexing)."""
        files = [(Path(p).name, Path(p)) for p in paths]
        lock = self.indexing(department)
        if not lock.acquire(blocking=False):
            events.put(("queued", None))
            lock.acquire()
        outcome: tuple[str, Any]
        try:
            events.put(("started", None))
            folder = department_folder(self.services, department)
            outcome = ("done", add_documents(self.services.reindexer, folder, department, files,
                                             progress=lambda done, total, file: events.put(("read", file))))
        except ConnectorError as exc:
            outcome = ("failed", exc)
        except Exception as exc:  # raised again in the handler, where Gradio reports it
            outcome = ("crashed", exc)
        finally:
            lock.release()
            self.uploads.release(key, paths)  # before the handler answers: nothing uploaded outlives the answer
        events.put(outcome)

    # --- one document ---------------------------------------------------------------------------------------
    def ask_delete(self, department: str, file: str, request: gr.Request) -> list[Any]:
        """The first step of a delete: ask, naming the file (nothing is deleted yet)."""
        if self.led(department, request) is None or not file:
            return [gr.update(visible=False), "", "⚠️ 지울 문서를 고르세요."]
        question = (f"**'{md(file)}'{josa(file, '를')} 지울까요?** 부서 폴더와 색인에서 지워지고 되돌릴 수 "
                    "없습니다. 이 문서를 인용하던 봇은 이제 다른 문서로 답합니다.")
        return [gr.update(visible=True), question, ""]

    def cancel_delete(self) -> list[Any]:
        return [gr.update(visible=False), "", "지우지 않았습니다."]

    def hide_confirmation(self) -> list[Any]:
        """Another document or department picked: a question about the earlier one is taken back."""
        return [gr.update(visible=False), ""]

    def delete(self, department: str, file: str, request: gr.Request) -> list[Any]:
        """The second step: delete the file asked about (still the picked one: picking another hides the question)."""
        user = self.led(department, request)
        hidden = [gr.update(visible=False), ""]
        if user is None or not file:
            return [*hidden, gr.update(), gr.update(), "⚠️ 지울 문서를 고르세요."]
        folder = department_folder(self.services, department)
        try:
            with self.indexing(department):
                _remove(folder, file)
                self.services.reindexer.reindex(folder, department)
            record(self.services, user, request, "document_deleted", f"{department}/{file}")
        except ConnectorError as exc:
            return [*hidden, gr.update(), gr.update(), f"⚠️ {md(exc.message)}"]
        return [*hidden, *self.listed(department),
                f"🗑️ '{md(file)}'{josa(file, '를')} 부서 폴더와 색인에서 지웠습니다."]

    def reindex_one(self, department: str, file: str, request: gr.Request) -> list[Any]:
        user = self.led(department, request)
        if user is None or not file:
            return [gr.update(), gr.update(), "⚠️ 다시 색인할 문서를 고르세요."]
        try:
            with self.indexing(department):
                report = self.services.reindexer.reindex(department_folder(self.services, department), department,
                                                         force={file})
        except ConnectorError as exc:
            return [gr.update(), gr.update(), f"⚠️ {md(exc.message)}"]
        result = next((r for r in report.files if r.file == file), None)
        record(self.services, user, request, "document_reindexed", f"{department}/{file}",
               result.status if result else "missing")
        listing = self.listed(department, keep=file)
        if result is None or result.status == "failed":
            return [*listing, f"⚠️ {md(result.error if result else file + ': 폴더에 없습니다')}"]
        return [*listing, f"✅ '{md(file)}'{josa(file, '를')} 다시 색인했습니다 (조각 {result.chunks}개)."]

    def chunks(self, department: str, file: str, request: gr.Request) -> str:
        if self.led(department, request) is None or not file or not self.services.store.exists(department):
            return ""
        return chunks_html(self.services.store.open(department, self.services.embedder).chunks_of(file))


def _kept_name(name: str) -> str:
    try:
        return safe_name(name)
    except ConnectorError:
        return ""  # refused before it is kept: its result says why


def _mark(lines: list[FileLine], state: str) -> None:
    for line in lines:
        if line.state in ("waiting", "queued"):
            line.state = "reading" if state == "reading" else "queued"


def _remove(folder: Path, file: str) -> None:
    """Delete a document's file; a file already gone (its record left from a failure) is dropped at the re-index."""
    try:
        remove_document(folder, file)
    except UnsafeFileNameError:
        raise
    except ConnectorError:
        if (folder / file).exists():
            raise


def _summary(results: list[FileResult]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in ("indexed", "unchanged", "failed")}
    parts = [f"✅ {counts['indexed']}개 색인"] if counts["indexed"] or not results else []
    if counts["unchanged"]:
        parts.append(f"☑️ {counts['unchanged']}개는 이미 올린 파일과 같아 다시 색인하지 않음")
    if counts["failed"]:
        parts.append(f"❌ {counts['failed']}개 실패 — 오류를 보고 고쳐 다시 올리거나, 목록에서 골라 지우세요")
    return ", ".join(parts)


def documents_tab(services: Services, sessions: Sessions, uploads: UploadLedger) -> DocumentsTab:
    """The tab's layout and events (call inside the tab)."""
    docs = _Documents(services, sessions, uploads)
    department = gr.Dropdown(label="부서", choices=[], value=None, elem_id="doc-department",
                             allow_custom_value=True)  # access is decided by the handlers
    files = gr.File(label="문서 올리기 (여러 개 가능: PDF, HWP, HWPX, DOCX, TXT, MD, HTML)", file_count="multiple",
                    type="filepath", elem_id="doc-upload")
    upload_button = gr.Button("⬆️ 올리고 색인하기", variant="primary", elem_id="doc-upload-button")
    status = gr.Markdown("", elem_id="doc-status")
    board = gr.HTML("", elem_id="upload-results", js_on_load=None)
    gr.Markdown("#### 부서 문서")
    listing = gr.HTML(listing_html([]), elem_id="doc-list", js_on_load=None)
    with gr.Row():
        picked = gr.Dropdown(label="문서", choices=[], value=None, scale=4, elem_id="doc-file",
                             allow_custom_value=True)  # access is decided by the handlers
        show_chunks = gr.Button("조각 보기", scale=1, elem_id="doc-chunks")
        redo = gr.Button("다시 색인", scale=1, elem_id="doc-reindex")
        remove = gr.Button("🗑️ 삭제", variant="stop", scale=1, elem_id="doc-delete")
    with gr.Group(visible=False, elem_id="doc-confirm") as confirm:
        question = gr.Markdown("", elem_id="doc-confirm-text")
        with gr.Row():
            yes = gr.Button("지우기", variant="stop", elem_id="doc-confirm-delete")
            no = gr.Button("취소", elem_id="doc-confirm-cancel")
    gr.Markdown("#### 조각 (조문·쪽)")
    # Whole chunks make a long table: it scrolls in its own box, so the page stays short.
    chunk_table = gr.HTML(chunks_html([]), elem_id="chunk-table", js_on_load=None, max_height=720)

    law_list, law_text = laws_section(services, department, docs.led, docs.indexing, docs.listed, [listing, picked])

    def show(name: str, request: gr.Request) -> list[Any]:
        return [*docs.show(name, request), law_text(name, request)]

    shown = [listing, picked, chunk_table, law_list]
    department.input(docs.show, inputs=[department], outputs=shown[:3])  # the laws section loads its own list
    upload_button.click(docs.upload, inputs=[department, files],
                        outputs=[board, listing, picked, status, files, upload_button], show_progress="hidden")
    remove.click(docs.ask_delete, inputs=[department, picked], outputs=[confirm, question, status])
    no.click(docs.cancel_delete, outputs=[confirm, question, status])
    yes.click(docs.delete, inputs=[department, picked], outputs=[confirm, question, listing, picked, status])
    for picker in (picked, department):
        picker.input(docs.hide_confirmation, outputs=[confirm, question])
    picked.input(docs.chunks, inputs=[department, picked], outputs=[chunk_table])
    redo.click(docs.reindex_one, inputs=[department, picked], outputs=[listing, picked, status])
    show_chunks.click(docs.chunks, inputs=[department, picked], outputs=[chunk_table])
    return DocumentsTab(department, shown, show)
