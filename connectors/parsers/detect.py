"""Deciding a file's format by its content (magic bytes), and checking its name."""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath

from connectors.document import Format
from connectors.errors import ParseError, UnsafeFileNameError, UnsupportedFormatError
from connectors.parsers.base import ParseLimits
from connectors.parsers.ziputil import ZIP_ERRORS, open_zip

EXTENSIONS: dict[str, Format] = {
    ".pdf": "pdf", ".hwp": "hwp", ".hwpx": "hwpx", ".docx": "docx", ".txt": "txt", ".text": "txt",
    ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_TAG = re.compile(rb"<(!doctype\s+html|html|head|body|meta|title)\b", re.I)
_CONTROL_IN_NAME = re.compile(r"[\x00-\x1f\x7f]")


def check_name(file: str) -> None:
    """Refuse path traversal, absolute paths and control characters in a file name."""
    if _CONTROL_IN_NAME.search(file):
        raise UnsafeFileNameError(repr(file), "파일 이름에 제어 문자가 들어 있습니다",
                                  "파일 이름을 바꾼 뒤 다시 올려 주세요")
    path = PurePosixPath(file.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not file.strip():
        raise UnsafeFileNameError(file, "파일 이름에 상위 폴더 경로(../)나 절대 경로가 들어 있습니다",
                                  "폴더 밖을 가리키지 않는 이름으로 바꿔 주세요")


def extension_format(file: str) -> Format | None:
    """The format the file name claims, or None for an extension we do not read."""
    return EXTENSIONS.get(PurePosixPath(file).suffix.lower())


def detect_format(data: bytes, file: str, limits: ParseLimits | None = None) -> Format:
    """The format decided by content; the extension only tells text from Markdown; zips are checked against
    the limits (zip bomb) before any member is read."""
    if not data:
        raise ParseError(file, "빈 파일입니다 (0바이트)", "내용이 있는 원본 파일을 다시 올려 주세요")
    head = data[:2048]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(_OLE_MAGIC):
        return "hwp"
    if head.startswith(_ZIP_MAGIC):
        return _zip_format(data, file, limits or ParseLimits())
    if _starts_like_html(head):
        return "html"
    if b"\x00" in data[:8192]:
        raise UnsupportedFormatError(file, "지원하지 않는 형식의 파일입니다 (알 수 없는 이진 파일)",
                                     "PDF, HWP, HWPX, DOCX, TXT, MD, HTML 중 하나로 저장해 올려 주세요")
    return "md" if extension_format(file) == "md" else "txt"


def _starts_like_html(head: bytes) -> bool:
    """True when the bytes start (after whitespace and comments) with an HTML document's first tag."""
    # A loop, not one regex: "(<!--.*?-->\s*)*<html" backtracks exponentially on "<!---->" * 30 + "x".
    rest = head.lstrip()
    while rest.startswith(b"<!--"):
        end = rest.find(b"-->", 4)
        if end < 0:
            return False
        rest = rest[end + 3:].lstrip()
    return _HTML_TAG.match(rest) is not None


def _zip_format(data: bytes, file: str, limits: ParseLimits) -> Format:
    # The declared sizes are checked first, and only the start of `mimetype` is inflated: reading it whole grew
    # the server by 1.95 GB for a 1 MB HWPX whose `mimetype` inflated to 2 GB.
    with open_zip(data, file, limits, "압축 형식(ZIP)") as archive:
        names = set(archive.namelist())
        mimetype = _head(archive, "mimetype", file) if "mimetype" in names else b""
    if mimetype.startswith(b"application/hwp+zip") or any(n.startswith("Contents/section") for n in names):
        return "hwpx"
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedFormatError(file, "지원하지 않는 압축 문서 형식입니다 (HWPX·DOCX가 아님)",
                                 "HWPX, DOCX 또는 PDF로 저장해 올려 주세요")


def _head(archive: zipfile.ZipFile, name: str, file: str) -> bytes:
    """The first 64 bytes of a member, inflating no more than that."""
    try:
        with archive.open(name) as handle:
            return handle.read(64)
    except ZIP_ERRORS as exc:
        raise ParseError(file, f"압축 형식(ZIP) 파일이 손상되었거나 잘렸습니다 ({exc})",
                         "원본 프로그램에서 다시 저장한 뒤 올려 주세요") from exc


def mismatch_warning(file: str, detected: Format) -> str | None:
    """A Korean warning when the extension claims another format than the content has."""
    claimed = extension_format(file)
    if claimed is None or claimed == detected or {claimed, detected} <= {"txt", "md"}:
        return None
    return f"확장자는 {claimed.upper()}인데 내용은 {detected.upper()} 형식이라 {detected.upper()}로 읽었습니다"
