"""HWP 5.0 binary reader (OLE compound file of tagged records), written against the published format spec.

Same conventions as the HWPX reader: paragraphs are split around the tables and text boxes they anchor,
footnotes/endnotes follow the paragraph that anchors them as their own paragraph ("1) ..."), and
headers/footers and hidden comments are skipped. Pages are not computed (HWP stores no page layout).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field

import olefile

from connectors.document import Block, Document, table_block
from connectors.errors import EncryptedDocumentError, FileTooLargeError, ParseError, UnsupportedFormatError
from connectors.parsers.base import ParseLimits
from connectors.parsers.hwpx import (
    TableCell,
    assemble_blocks,
    cell_text,
    clean_text,
    grid_rows,
    guess_title,
    outline_level,
)

log = logging.getLogger(__name__)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURE = b"HWP Document File"
_RESAVE = "한글에서 열어 다시 저장한 뒤 올려 주세요"

# FileHeader property flags (HWP 5.0 spec, table 3).
_FLAG_COMPRESSED = 1 << 0
_FLAG_PASSWORD = 1 << 1
_FLAG_DISTRIBUTION = 1 << 2
_FLAG_DRM = (1 << 4) | (1 << 8) | (1 << 10)  # DRM, certificate encryption, certificate DRM

# Record tags (HWPTAG_BEGIN = 0x10).
_TAG_PARA_SHAPE = 0x19
_TAG_STYLE = 0x1A
_TAG_PARA_HEADER = 0x42
_TAG_PARA_TEXT = 0x43
_TAG_CTRL_HEADER = 0x47
_TAG_LIST_HEADER = 0x48
_TAG_TABLE = 0x4D

# PARA_TEXT control characters: 1 WCHAR (char controls) or 8 WCHARs (inline and extended controls).
_CHAR_CONTROLS = {0: "", 10: "\n", 13: "", 24: "-", 25: "", 26: "", 27: "", 28: "", 29: "", 30: " ", 31: " "}
_EXTENDED_CONTROLS = frozenset({1, 2, 3, 11, 12, 14, 15, 16, 17, 18, 21, 22, 23})
_NO_TEXT_WARNING = "본문에서 텍스트를 찾지 못했습니다 (그림이나 머리말·꼬리말만 있는 문서일 수 있습니다)"
# OLE files that are not HWP but reach this parser because they share the container's magic bytes.
_OFFICE_STREAMS = (("WordDocument", "Word 97-2003(.doc)", "Word에서 DOCX나 PDF"),
                   ("Workbook", "Excel 97-2003(.xls)", "표 내용을 PDF"),
                   ("PowerPoint Document", "PowerPoint 97-2003(.ppt)", "PDF"))
_SECTION_STREAM = re.compile(r"^Section(\d+)$")
_MALFORMED = (struct.error, zlib.error, KeyError, IndexError, ValueError, EOFError, OSError, RecursionError,
              OverflowError)


def _ctrl_id(name: str) -> bytes:
    """A control id as stored: the four chars as a little-endian uint32, i.e. reversed ("tbl " -> b" lbt")."""
    return name.encode("ascii")[::-1]


_CTRL_TABLE = _ctrl_id("tbl ")
_CTRL_SHAPE = _ctrl_id("gso ")
_CTRL_EQUATION = _ctrl_id("eqed")
_CTRL_NOTES = frozenset({_ctrl_id("fn  "), _ctrl_id("en  ")})
_CTRL_AUTONUM = _ctrl_id("atno")


@dataclass(slots=True)
class _Record:
    """One tagged record; children are the records right after it with a level one deeper."""

    tag: int
    level: int
    data: bytes
    children: list[_Record] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    """What the section walk needs: the file name for errors and heading levels from DocInfo."""

    file: str
    warnings: list[str] = field(default_factory=list)
    style_levels: list[int] = field(default_factory=list)
    para_shape_levels: list[int] = field(default_factory=list)

    def heading_level(self, para: _Record) -> int:
        """Heading level from the paragraph's style ("개요 N"), else from outline numbering in its shape."""
        if len(para.data) < 11:
            return 0
        shape_id, style_id = struct.unpack_from("<HB", para.data, 8)
        if style_id < len(self.style_levels) and self.style_levels[style_id]:
            return self.style_levels[style_id]
        return self.para_shape_levels[shape_id] if shape_id < len(self.para_shape_levels) else 0


def parse_hwp(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Read an HWP 5.0 file into a Document of paragraphs, headings, tables and notes in reading order."""
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(file, f"파일이 {len(data) / 1024 / 1024:.0f}MB로 허용 크기를 넘습니다",
                                "문서를 나누어 올려 주세요")
    _check_container(data, file)
    try:
        return _parse(data, file, limits)
    except ParseError:
        raise
    except _MALFORMED as exc:  # last guard: malformed bytes must surface as a clear ParseError
        log.debug("hwp parse failed for %s", file, exc_info=True)
        raise ParseError(file, f"HWP 문서 구조가 손상되어 읽을 수 없습니다 ({type(exc).__name__}: {exc})",
                         _RESAVE) from exc


def _check_container(data: bytes, file: str) -> None:
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


def _parse(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Open the OLE container, check the header flags, then read DocInfo styles and every BodyText section."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        compressed = _check_header(ole, file)
        budget = _Budget(limits.max_unpacked_bytes)
        ctx = _Context(file=file)
        _read_doc_info(ole, ctx, compressed, budget)
        blocks: list[Block] = []
        for name in _section_streams(ole, file):
            stream = _read_stream(ole, name, file, compressed, budget)
            for record in _record_tree(_records(stream, file, name)):
                if record.tag == _TAG_PARA_HEADER:
                    blocks.extend(_paragraph_blocks(record, ctx))
    if not blocks:
        ctx.warnings.append(_NO_TEXT_WARNING)
    return Document(file=file, format="hwp", blocks=blocks, title=guess_title(blocks), warnings=ctx.warnings)


def _check_header(ole: olefile.OleFileIO, file: str) -> bool:
    """Validate FileHeader; raise for encrypted documents; return whether the streams are compressed."""
    if not ole.exists("FileHeader"):
        raise _not_hwp_error(ole, file)
    header = ole.openstream("FileHeader").read(256)
    if len(header) < 40 or not header.startswith(_SIGNATURE):
        raise ParseError(file, "HWP 문서 서명(HWP Document File)이 없습니다 (손상된 파일)", _RESAVE)
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
                      _RESAVE)


def _section_streams(ole: olefile.OleFileIO, file: str) -> list[str]:
    """BodyText/SectionN stream names sorted by N (numerically, so Section10 follows Section9)."""
    found: list[tuple[int, str]] = []
    for path in ole.listdir(streams=True, storages=False):
        if len(path) == 2 and path[0] == "BodyText" and (match := _SECTION_STREAM.match(path[1])):
            found.append((int(match.group(1)), "/".join(path)))
    if not found:
        if any(path and path[0] == "ViewText" for path in ole.listdir()):
            raise EncryptedDocumentError(file, "배포용(읽기 전용)으로 잠긴 HWP 문서입니다",
                                         "배포용으로 만들기 전의 원본 문서를 올려 주세요")
        raise ParseError(file, "HWP 문서에 본문(BodyText/Section) 스트림이 없습니다", _RESAVE)
    return [name for _, name in sorted(found)]


@dataclass(slots=True)
class _Budget:
    """Unpacked bytes still allowed across all streams (raw deflate can hide a decompression bomb)."""

    remaining: int


def _read_stream(ole: olefile.OleFileIO, name: str, file: str, compressed: bool, budget: _Budget) -> bytes:
    """A stream's bytes, inflated (raw deflate) when the document is compressed, within the budget."""
    raw = ole.openstream(name).read()
    if not compressed:
        data = raw
    else:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, budget.remaining + 1)
        if len(data) <= budget.remaining and not inflater.eof:
            raise ParseError(file, f"압축된 {name} 스트림이 잘렸거나 손상되었습니다", _RESAVE)
    if len(data) > budget.remaining:
        raise FileTooLargeError(file, f"{name} 스트림의 압축을 풀면 허용 크기를 넘습니다 (압축 폭탄 의심)",
                                "정상 문서인지 확인해 주세요")
    budget.remaining -= len(data)
    return data


def _read_doc_info(ole: olefile.OleFileIO, ctx: _Context, compressed: bool, budget: _Budget) -> None:
    """Fill heading levels from DocInfo styles and paragraph shapes; a damaged DocInfo only costs headings."""
    if not ole.exists("DocInfo"):
        return
    try:
        records = _records(_read_stream(ole, "DocInfo", ctx.file, compressed, budget), ctx.file, "DocInfo")
    except ParseError as exc:
        if isinstance(exc, FileTooLargeError):
            raise
        log.warning("%s: DocInfo unreadable, headings not detected: %s", ctx.file, exc.problem)
        ctx.warnings.append("문서 서식 정보(DocInfo)를 읽지 못해 제목(개요) 구분 없이 본문만 읽었습니다")
        return
    for record in records:
        if record.tag == _TAG_PARA_SHAPE and len(record.data) >= 4:
            attr = struct.unpack_from("<I", record.data, 0)[0]
            outline = (attr >> 23) & 0x3 == 1  # paragraph head type 1 = outline numbering (개요 번호)
            ctx.para_shape_levels.append(((attr >> 25) & 0x7) + 1 if outline else 0)
        elif record.tag == _TAG_STYLE:
            ctx.style_levels.append(_style_level(record.data))


def _style_level(data: bytes) -> int:
    """Outline level of a STYLE record from its Korean or English name (0 when not an outline style)."""
    names: list[str] = []
    offset = 0
    for _ in range(2):
        if offset + 2 > len(data):
            break
        length = struct.unpack_from("<H", data, offset)[0]
        names.append(data[offset + 2: offset + 2 + 2 * length].decode("utf-16-le", "replace"))
        offset += 2 + 2 * length
    return next((level for name in names if (level := outline_level(name))), 0)


# --- records ------------------------------------------------------------------------------------------------


def _records(stream: bytes, file: str, name: str) -> list[_Record]:
    """Split a stream into records (32-bit header: tag 10 bits, level 10 bits, size 12 bits or 0xFFF + 32)."""
    records: list[_Record] = []
    offset, end = 0, len(stream)
    while offset < end:
        if offset + 4 > end:
            raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", _RESAVE)
        header = struct.unpack_from("<I", stream, offset)[0]
        offset += 4
        size = header >> 20
        if size == 0xFFF:
            if offset + 4 > end:
                raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", _RESAVE)
            size = struct.unpack_from("<I", stream, offset)[0]
            offset += 4
        if offset + size > end:
            raise ParseError(file, f"{name} 스트림의 레코드가 중간에 잘렸습니다", _RESAVE)
        records.append(_Record(header & 0x3FF, (header >> 10) & 0x3FF, stream[offset: offset + size]))
        offset += size
    return records


def _record_tree(records: list[_Record]) -> list[_Record]:
    """Nest records by level; in a damaged file a level jump attaches to the nearest shallower record."""
    roots: list[_Record] = []
    stack: list[_Record] = []
    for record in records:
        while stack and stack[-1].level >= record.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(record)
        stack.append(record)
    return roots


def _decode_text(data: bytes) -> list[str | bytes]:
    """PARA_TEXT as plain text runs (str) and extended-control ids (4 bytes each), in order."""
    units = array("H")
    units.frombytes(data[: len(data) // 2 * 2])
    if sys.byteorder == "big":
        units.byteswap()
    out: list[str | bytes] = []
    start = i = 0
    while i < len(units):
        code = units[i]
        if code >= 32:
            i += 1
            continue
        if start < i:
            out.append(data[2 * start: 2 * i].decode("utf-16-le", "replace"))
        if code in _CHAR_CONTROLS:
            out.append(_CHAR_CONTROLS[code])
            i += 1
        else:  # inline or extended control: 8 WCHARs, the id in WCHARs 1-2
            if code in _EXTENDED_CONTROLS:
                out.append(data[2 * i + 2: 2 * i + 6])
            elif code == 9:
                out.append("\t")
            i += 8
        start = i
    if start < len(units):
        out.append(data[2 * start: 2 * len(units)].decode("utf-16-le", "replace"))
    return out


# --- paragraphs, controls, tables ---------------------------------------------------------------------------


def _paragraph_blocks(para: _Record, ctx: _Context) -> list[Block]:
    """Blocks for one paragraph: its text split around anchored tables/text boxes, then its notes."""
    text = next((c for c in para.children if c.tag == _TAG_PARA_TEXT), None)
    ctrls = [c for c in para.children if c.tag == _TAG_CTRL_HEADER]
    # Where each control id occurs, in order: scanning the list for every control character in the text is
    # quadratic, and a 2 KB file with 100,000 unmatched controls took minutes.
    positions: dict[bytes, list[int]] = {}
    for k, ctrl in enumerate(ctrls):
        positions.setdefault(ctrl.data[:4], []).append(k)
    pieces: list[str | list[Block]] = []
    notes: list[Block] = []
    used = 0
    for item in _decode_text(text.data) if text is not None else []:
        if isinstance(item, str):
            pieces.append(item)
            continue
        # Extended controls appear in the text in the same order as their CTRL_HEADER records.
        found = positions.get(item, [])
        at = bisect_left(found, used)
        if at == len(found):
            continue
        index = found[at]
        used = index + 1
        ctrl = ctrls[index]
        if item == _CTRL_TABLE:
            pieces.append(_table_blocks(ctrl, ctx))
        elif item in (_CTRL_SHAPE, _CTRL_EQUATION):
            pieces.append(_shape_blocks(ctrl, ctx))
        elif item in _CTRL_NOTES:
            notes.extend(_note_blocks(ctrl, ctx))
        elif item == _CTRL_AUTONUM:
            pieces.append(_auto_number(ctrl.data))
        # head/foot (page furniture), tcmt (hidden comment), fields, bookmarks...: no body text.
    return assemble_blocks(pieces, ctx.heading_level(para)) + notes


def _auto_number(data: bytes) -> str:
    """An auto number's text: "n)" for note numbers, "n" for table/figure/equation numbers, "" for pages."""
    if len(data) < 10:
        return ""
    kind = struct.unpack_from("<I", data, 4)[0] & 0xF
    number = struct.unpack_from("<H", data, 8)[0]
    if kind in (1, 2):
        return f"{number})"
    return str(number) if kind in (3, 4, 5) else ""


def _lists(records: list[_Record]) -> list[tuple[_Record, list[_Record]]]:
    """Group sibling records into paragraph lists: each LIST_HEADER with the PARA_HEADERs after it."""
    lists: list[tuple[_Record, list[_Record]]] = []
    for record in records:
        if record.tag == _TAG_LIST_HEADER:
            lists.append((record, []))
        elif record.tag == _TAG_PARA_HEADER and lists:
            lists[-1][1].append(record)
    return lists


def _list_blocks(paras: list[_Record], ctx: _Context) -> list[Block]:
    """Blocks of the paragraphs of one list (a cell, caption, text box or note)."""
    blocks: list[Block] = []
    for para in paras:
        blocks.extend(_paragraph_blocks(para, ctx))
    return blocks


def _shape_blocks(ctrl: _Record, ctx: _Context) -> list[Block]:
    """Text of a drawing object or equation: caption and text-box paragraphs, grouped shapes recursively."""
    blocks: list[Block] = []
    for _, paras in _lists(ctrl.children):
        blocks.extend(_list_blocks(paras, ctx))
    for child in ctrl.children:
        if child.tag not in (_TAG_LIST_HEADER, _TAG_PARA_HEADER) and child.children:
            blocks.extend(_shape_blocks(child, ctx))
    return blocks


def _note_blocks(ctrl: _Record, ctx: _Context) -> list[Block]:
    """A footnote/endnote as one paragraph block (its paragraphs joined by newlines)."""
    texts = [b.text for _, paras in _lists(ctrl.children) for b in _list_blocks(paras, ctx)]
    text = clean_text("\n".join(texts))
    return [Block(text=text)] if text else []


def _table_blocks(ctrl: _Record, ctx: _Context) -> list[Block]:
    """One table block from a 'tbl ' control, with its caption above or below it as printed."""
    children = ctrl.children
    at = next((i for i, c in enumerate(children) if c.tag == _TAG_TABLE), None)
    if at is None:  # no TABLE record: keep whatever paragraphs the control holds, in order
        return [b for _, paras in _lists(children) for b in _list_blocks(paras, ctx)]
    n_rows, n_cols, row_sizes = _table_shape(children[at].data)
    cells = [_cell(header, paras, ctx) for header, paras in _lists(children[at + 1:])]
    table = table_block(grid_rows(_row_groups(cells, row_sizes, n_cols), n_rows, n_cols))
    before: list[Block] = []
    after: list[Block] = []
    for header, paras in _lists(children[:at]):
        caption = [Block(text=b.text) for b in _list_blocks(paras, ctx)]
        bottom = len(header.data) >= 12 and struct.unpack_from("<I", header.data, 8)[0] & 0x3 == 3
        (after if bottom else before).extend(caption)
    return before + ([table] if table.text else []) + after


def _table_shape(data: bytes) -> tuple[int, int, list[int]]:
    """Row count, column count and cells per row from a TABLE record (zeros when it is too short)."""
    if len(data) < 8:
        return 0, 0, []
    n_rows, n_cols = struct.unpack_from("<HH", data, 4)
    sizes_end = 18 + 2 * n_rows
    sizes = list(struct.unpack_from(f"<{n_rows}H", data, 18)) if len(data) >= sizes_end else []
    return n_rows, n_cols, sizes


def _cell(header: _Record, paras: list[_Record], ctx: _Context) -> TableCell:
    """A cell's text and its (row, col) address from its LIST_HEADER (-1 when the record is too short)."""
    text = "\n".join(cell_text(b) for b in _list_blocks(paras, ctx))
    if len(header.data) < 12:
        return TableCell(text=text)
    col, row = struct.unpack_from("<HH", header.data, 8)
    return TableCell(text=text, row=row, col=col)


def _row_groups(cells: list[TableCell], row_sizes: list[int], n_cols: int) -> list[list[TableCell]]:
    """Cells grouped into rows for the sequential fallback: by the TABLE's cells-per-row, else n_cols each."""
    if row_sizes and sum(row_sizes) == len(cells):
        groups: list[list[TableCell]] = []
        start = 0
        for size in row_sizes:
            groups.append(cells[start: start + size])
            start += size
        return groups
    width = n_cols if n_cols > 0 else max(len(cells), 1)
    return [cells[i: i + width] for i in range(0, len(cells), width)]
