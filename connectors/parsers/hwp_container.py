"""HWP 5.0's container: the OLE compound file, its FileHeader, compressed streams and tagged records.

Split from hwp.py, which walks the records into paragraphs, tables and pictures; this module knows nothing of
their meaning. Written against the published HWP 5.0 format spec.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

import olefile

from connectors.errors import EncryptedDocumentError, FileTooLargeError, ParseError, UnsupportedFormatError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURE = b"HWP Document File"
RESAVE = "한글에서 열어 다시 저장한 뒤 올려 주세요"

# FileHeader property flags (HWP 5.0 spec, table 3).
_FLAG_COMPRESSED = 1 << 0
_FLAG_PASSWORD = 1 << 1
_FLAG_DISTRIBUTION = 1 << 2
_FLAG_DRM = (1 << 4) | (1 << 8) | (1 << 10)  # DRM, certificate encryption, certificate DRM

# OLE files that are not HWP but reach this parser because they share the container's magic bytes.
_OFFICE_STREAMS = (("WordDocument", "Word 97-2003(.doc)", "Word에서 DOCX나 PDF"),
                   ("Workbook", "Excel 97-2003(.xls)", "표 내용을 PDF"),
                   ("PowerPoint Document", "PowerPoint 97-2003(.ppt)", "PDF"))
_SECTION_STREAM = re.compile(r"^Section(\d+)$")


@dataclass(slots=True)
class Record:
    """One tagged record; children are the records right after it with a level one deeper."""

    tag: int
    level: int
    data: bytes
    children: list[Record] = field(default_factory=list)


def check_container(data: bytes, file: str) -> None:
    """Reject non-OLE bytes with a message that says what the file really is."""
    if data.startswith(_OLE_MAGIC):
        return
    if data.startswith(b"HWP Document File V"):
        raise UnsupportedFormatError(file, "HWP 3.0 이하의 옛 한글 문서 형식은 읽을 수 없습니다",
                                     "한글에서 열어 HWP(5.0 이상) 또는 HWPX로 다시 저장한 뒤 올려 주세요")
    if data.startswith(b"PK"):
        raise UnsupportedFormatError(file, "확장자는 HWP지만 실제로는 HWPX(zip) 파일입니다",
                                     "확장자를 .hwpx로 바꾸어 올려 주세요")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UnsupportedFormatError(file, "HWPML(XML) 형식 문서는 읽을 수 없습니다",
                                     "한글에서 열어 HWP 또는 HWPX로 다시 저장한 뒤 올려 주세요")
    raise ParseError(
        file, "HWP 문서 형식이 아닙니다 — 손상되었거나 문서보안(DRM)이 적용된 파일일 수 있습니다",
        "한글에서 열리는지 확인하고, DRM을 해제하거나 다시 저장한 뒤 올려 주세요",
    )


def check_header(ole: olefile.OleFileIO, file: str) -> bool:
    """Validate FileHeader; raise for encrypted documents; return whether the streams are compressed."""
    if not ole.exists("FileHeader"):
        raise _not_hwp_error(ole, file)
    header = ole.openstream("FileHeader").read(256)
    if len(header) < 40 or not header.startswith(_SIGNATURE):
        raise ParseError(file, "HWP 문서 서명(HWP Document File)이 없습니다 (손상된 파일)", RESAVE)
    version, flags = struct.unpack_from("<II", header, 32)
    if version >> 24 != 5:
        raise UnsupportedFormatError(file, f"지원하지 않는 HWP 버전입니다 ({version >> 24}.x)",
                                     "한글에서 열어 HWPX로 다시 저장한 뒤 올려 주세요")
    if flags & _FLAG_PASSWORD:
        raise EncryptedDocumentError(file, "암호가 걸린 HWP 문서입니다",
                                     "한글에서 암호를 해제하고 다시 저장한 뒤 올려 주세요")
    if flags & _FLAG_DISTRIBUTION:
        raise EncryptedDocumentError(file, "배포용(읽기 전용)으로 잠긴 HWP 문서입니다",
                                     "배포용으로 만들기 전의 원본 문서를 올려 주세요")
    if flags & _FLAG_DRM:
        raise EncryptedDocumentError(file, "문서보안(DRM)이나 인증서로 암호화된 HWP 문서입니다",
                                     "보안을 해제한 문서를 한글에서 다시 저장한 뒤 올려 주세요")
    return bool(flags & _FLAG_COMPRESSED)


def _not_hwp_error(ole: olefile.OleFileIO, file: str) -> ParseError:
    """The error for an OLE file without FileHeader: name the Office format when we recognise it."""
    for stream, kind, target in _OFFICE_STREAMS:
        if ole.exists(stream):
            return UnsupportedFormatError(file, f"HWP가 아니라 {kind} 문서입니다",
                                          f"{target}로 저장해 올려 주세요")
    return ParseError(file, "HWP 문서의 FileHeader 스트림이 없습니다 (HWP 5.0 문서가 아니거나 손상됨)",
                      RESAVE)


def section_streams(ole: olefile.OleFileIO, file: str) -> list[str]:
    """BodyText/SectionN stream names sorted by N (numerically, so Section10 follows Section9)."""
    found: list[tuple[int, str]] = []
    for path in ole.listdir(streams=True, storages=False):
        if len(path) == 2 and path[0] == "BodyText" and (match := _SECTION_STREAM.match(path[1])):
            found.append((int(match.group(1)), "/".join(path)))
    if not found:
        if any(path and path[0] == "ViewText" for path in ole.listdir()):
            raise EncryptedDocumentError(file, "배포용(읽기 전용)으로 잠긴 HWP 문서입니다",
                                         "배포용으로 만들기 전의 원본 문서를 올려 주세요")
        raise ParseError(file, "HWP 문서에 본문(BodyText/Section) 스트림이 없습니다", RESAVE)
    return [name for _, name in sorted(found)]


@dataclass(slots=True)
class Budget:
    """Unpacked bytes still allowed across all streams (raw deflate can hide a decompression bomb)."""

    remaining: int


def read_stream(ole: olefile.OleFileIO, name: str, file: str, compressed: bool, budget: Budget) -> bytes:
    """A stream's bytes, inflated (raw deflate) when the document is compressed, within the budget."""
    raw = ole.openstream(name).read()
    if not compressed:
        data = raw
    else:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, budget.remaining + 1)
        if len(data) <= budget.remaining and not inflater.eof:
            raise ParseError(file, f"압축된 {name} 스트림이 잘렸거나 손상되었습니다", RESAVE)
    if len(data) > budget.remaining:
        raise FileTooLargeError(file, f"{name} 스트림의 압축을 풀면 허용 크기를 넘습니다 (압축 폭탄 의심)",
                                "정상 문서인지 확인해 주세요")
    budget.remaining -= len(data)
    return data


def records(stream: bytes, file: str, name: str) -> list[Record]:
    """Split a stream into records (32-bit header: tag 10 bits, level 10 bits, size 12 bits or 0xFFF + 32)."""
    records: list[Record] = []
    offset, end = 0, len(stream)
    while offset < end:
        if offset + 4 > end:
            raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", RESAVE)
        header = struct.unpack_from("<I", stream, offset)[0]
        offset += 4
        size = header >> 20
        if size == 0xFFF:
            if offset + 4 > end:
                raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", RESAVE)
            size = struct.unpack_from("<I", stream, offset)[0]
            offset += 4
        if offset + size > end:
            raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", RESAVE)
        records.append(Record(header & 0x3FF, (header >> 10) & 0x3FF, stream[offset: offset + size]))
        offset += size
    return records


def record_tree(records: list[Record]) -> list[Record]:
    """Nest records by level; in a damaged file a level jump attaches to the nearest shallower record."""
    roots: list[Record] = []
    stack: list[Record] = []
    for record in records:
        while stack and stack[-1].level >= record.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(record)
        stack.append(record)
    return roots
