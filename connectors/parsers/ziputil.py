"""Opening zip containers (DOCX, HWPX) safely: corrupt archives and zip bombs become clear errors."""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib

from connectors.errors import FileTooLargeError, ParseError
from connectors.parsers.base import ParseLimits
from connectors.particles import with_josa

# What zipfile raises on a damaged archive or member: bad headers or CRC (BadZipFile), an unsupported zip version
# or compression method (NotImplementedError), an encrypted member (RuntimeError), corrupt or truncated
# compressed data (zlib.error, EOFError; OSError for bzip2, LZMAError for LZMA), an undecodable name (ValueError).
ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError, OSError, lzma.LZMAError,
              ValueError)


def open_zip(data: bytes, file: str, limits: ParseLimits, kind: str) -> zipfile.ZipFile:
    """Open `data` as a zip archive after checking its declared unpacked size against the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ParseError(file, f"{kind} 파일이 손상되었거나 잘렸습니다 ({exc})",
                         "원본 프로그램에서 다시 저장한 뒤 올려 주세요") from exc
    total = sum(info.file_size for info in archive.infolist())
    ratio = total / max(len(data), 1)
    if total > limits.max_unpacked_bytes or ratio > limits.max_compression_ratio:
        archive.close()
        raise FileTooLargeError(
            file,
            f"압축을 풀면 {total / 1024 / 1024:.0f}MB(압축률 {ratio:.0f}배)로 비정상적으로 큽니다 (압축 폭탄 의심)",
            "정상 문서인지 확인한 뒤 원본 프로그램에서 다시 저장해 주세요",
        )
    return archive


def read_member(archive: zipfile.ZipFile, name: str, file: str, limits: ParseLimits) -> bytes:
    """Read one member, never more than the unpacked limit even if the header lied about its size."""
    try:
        with archive.open(name) as handle:
            data = handle.read(limits.max_unpacked_bytes + 1)
    except ZIP_ERRORS as exc:
        raise ParseError(file, f"압축 안의 {with_josa(name, '를')} 읽을 수 없습니다 ({exc})",
                         "원본 프로그램에서 다시 저장한 뒤 올려 주세요") from exc
    if len(data) > limits.max_unpacked_bytes:
        raise FileTooLargeError(file, f"압축 안의 {with_josa(name, '가')} 너무 큽니다 (압축 폭탄 의심)",
                                "정상 문서인지 확인해 주세요")
    return data
