"""Hostile files for the tests: a DOCX whose XML takes long to parse, an HWPX whose `mimetype` inflates to 2 GB."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_BODY_START = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
               b'wordprocessingml/2006/main"><w:body>')
_BODY_END = b"</w:body></w:document>"


def big_docx(path: Path, paragraphs: int, words: int = 1) -> Path:
    """A valid DOCX of many numbered paragraphs, written in blocks (the test process never holds its XML)."""
    text = " 한빛시 조례는 민원 처리 기한을 정한다" * words
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(_BODY_START)
            for start in range(0, paragraphs, 5000):
                out.write("".join(f"<w:p><w:r><w:t>{i:x} 제{i}조{text}</w:t></w:r></w:p>"
                                  for i in range(start, min(start + 5000, paragraphs))).encode())
            out.write(_BODY_END)
    return path


def _zip_of(members: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip written by hand from (name, method, data as stored, CRC-32, unpacked size): zipfile cannot store
    deflate data made elsewhere, and deflating 2 GB with it takes seconds."""
    local, central = bytearray(), bytearray()
    for name, method, stored, crc, size in members:
        encoded = name.encode()
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(stored), size,
                               len(encoded), 0, 0, 0, 0, 0, len(local)) + encoded
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(stored), size,
                             len(encoded), 0) + encoded + stored
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    return bytes(local + central + end)


def inflating_hwpx() -> bytes:
    """A 2 MB HWPX whose `mimetype` member truly inflates to 2 GB of zeros (deflate's ratio of about 1000:1)."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor starts afresh, so one megabyte's block repeated is a valid stream.
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    stream = block * 2048 + deflate.flush()
    crc = 0
    for _ in range(2048):
        crc = zlib.crc32(zeros, crc)
    section = b"<hs:sec/>"
    return _zip_of([("mimetype", zipfile.ZIP_DEFLATED, stream, crc, 2048 << 20),
                    ("Contents/section0.xml", zipfile.ZIP_STORED, section, zlib.crc32(section), len(section))])
