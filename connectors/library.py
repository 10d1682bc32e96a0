"""A department's document folder as the web builder uses it: uploads saved in, files deleted, originals read back.

The folder is the one the department is indexed from (so a scheduled `deptbot reindex` of that folder keeps the
uploads), and never a folder the web server serves statically: originals go out only through the access-checked
route of the web app. Uploads are checked before they are kept: size, a format we read decided by content (not
by the name), and a file name made safe (no folders, no control or reserved characters, bounded length).
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from connectors.document import Format
from connectors.errors import ConnectorError, FileTooLargeError, UnsafeFileNameError, UnsupportedFormatError
from connectors.index.records import FileRecord
from connectors.ingest import PIPELINE_VERSION, FileResult, Progress, Reindexer, file_sha256
from connectors.parsers import ParseLimits
from connectors.parsers.detect import EXTENSIONS, check_name, detect_format, extension_format

_RESERVED = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_MAX_NAME_BYTES = 180  # most file systems allow 255 bytes; Korean takes 3 per character in UTF-8
_TEXT_FORMATS = {"txt", "md", "html"}
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf", "hwp": "application/x-hwp", "hwpx": "application/hwp+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8", "html": "text/plain; charset=utf-8",
}


def safe_name(name: str) -> str:
    """The upload's name reduced to a safe file name: its last path part, NFC, no reserved characters."""
    base = unicodedata.normalize("NFC", _RESERVED.sub("_", re.split(r"[\\/]", name or "")[-1])).strip()
    stem, suffix = os.path.splitext(base)
    if not suffix and base.startswith("."):  # ".pdf": an extension with no name
        stem, suffix = "", base
    suffix = suffix.lower()
    if extension_format("x" + suffix) is None:
        raise UnsupportedFormatError(name or "(이름 없음)", "읽을 수 없는 형식의 파일입니다",
                                     "PDF, HWP, HWPX, DOCX, TXT, MD, HTML 파일을 올려 주세요 (지원 확장자: "
                                     + ", ".join(sorted(EXTENSIONS)) + ")")
    stem = stem.strip().lstrip(".").strip() or "문서"  # no hidden files: a re-index skips them
    while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip() + suffix


def save_upload(folder: Path, name: str, source: Path, limits: ParseLimits) -> str:
    """Keep an uploaded file in the folder under its safe name (replacing a file of that name); returns the name.

    The content must be a format we read and agree with the name's family (a PDF named `.hwp` is refused);
    the file is written beside its place first and then moved in, so a half-written upload is never indexed.
    """
    file = safe_name(name)
    size = source.stat().st_size
    if size > limits.max_file_bytes:
        raise FileTooLargeError(file, f"파일이 너무 큽니다 ({size / 1024 / 1024:.1f}MB, 한도 "
                                f"{limits.max_file_bytes / 1024 / 1024:.0f}MB)", "파일을 나누어 올려 주세요")
    # The whole file: a zip's directory is at its end. The limits guard against zip bombs.
    detected = detect_format(source.read_bytes(), file, limits)
    claimed = extension_format(file)
    if claimed is not None and not _agrees(claimed, detected):
        raise UnsupportedFormatError(file, f"파일 이름은 {claimed.upper()}인데 내용은 {detected.upper()} 형식입니다",
                                     f"올바른 확장자(.{detected})로 저장해 다시 올려 주세요")
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".upload-{uuid.uuid4().hex}"  # hidden: a re-index running meanwhile skips it
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, folder / file)
    finally:
        temporary.unlink(missing_ok=True)
    return file


def _agrees(claimed: Format, detected: Format) -> bool:
    return claimed == detected or {claimed, detected} <= _TEXT_FORMATS


def document_path(folder: Path, file: str) -> Path:
    """The path of a document of the folder, refusing anything that would lead outside it."""
    check_name(file)
    root = folder.resolve()
    path = (root / PurePosixPath(file)).resolve()
    if not path.is_relative_to(root):
        raise UnsafeFileNameError(file, "폴더 밖의 파일은 열 수 없습니다")
    if not path.is_file():
        raise ConnectorError(file, "원본 파일이 폴더에 없습니다", "문서를 다시 올려 주세요")
    return path


def remove_document(folder: Path, file: str) -> None:
    """Delete a document from the folder (its chunks go at the next re-index)."""
    document_path(folder, file).unlink()


def add_documents(reindexer: Reindexer, folder: Path, department: str, uploads: Sequence[tuple[str, Path]],
                  progress: Progress | None = None) -> list[FileResult]:
    """Keep uploaded files in the department's folder and index them: one result per upload, in upload order.

    An upload that cannot be kept (type, size, name) fails alone with its reason; the others are indexed. An upload
    identical to an indexed file of the same name is not indexed again: its result is "unchanged". Files of the
    folder that changed meanwhile are brought in line too, as any re-index of the folder does.
    """
    results: dict[int, FileResult] = {}
    kept: dict[int, str] = {}
    known = _indexed(reindexer, department)
    for position, (name, source) in enumerate(uploads):
        try:
            same = _same_as_indexed(known, folder, name, source)
            if same is not None:  # ⑦ idempotent: the same content again is not indexed again, and is said so
                results[position] = FileResult(same.file, "unchanged", same.chunks, same.pages, format=same.format,
                                               warnings=list(same.warnings))
                continue
            kept[position] = save_upload(folder, name, source, reindexer.options.limits)
        except ConnectorError as exc:
            results[position] = FileResult(safe_label(name), "failed", error=exc.message)
    if kept:
        report = reindexer.reindex(folder, department, progress=progress, force=set(kept.values()))
        by_file = {result.file: result for result in report.files}
        for position, file in kept.items():
            results[position] = by_file.get(file) or FileResult(file, "failed", error=f"{file}: 색인되지 않았습니다")
    return [results[position] for position in range(len(uploads))]


def _indexed(reindexer: Reindexer, department: str) -> dict[str, FileRecord]:
    """The department's files indexed with the current pipeline, by name (none before its first upload)."""
    if not reindexer.store.exists(department):
        return {}
    records = reindexer.store.open(department, reindexer.embedder).file_records()
    return {file: r for file, r in records.items() if r.status == "indexed" and r.pipeline == PIPELINE_VERSION}


def _same_as_indexed(known: dict[str, FileRecord], folder: Path, name: str, source: Path) -> FileRecord | None:
    """The record of an indexed file the upload is identical to: same name, same content, still in the folder."""
    record = known.get(safe_name(name))
    if record is None or not (folder / record.file).is_file():
        return None
    return record if file_sha256(source) == record.sha256 == file_sha256(folder / record.file) else None


def safe_label(name: str) -> str:
    """An upload's name for showing in a result (its last path part)."""
    return re.split(r"[\\/]", name or "")[-1] or "(이름 없음)"
