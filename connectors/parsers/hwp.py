"""HWP 5.0 binary reader (OLE compound file of tagged records), written against the published format spec.

Same conventions as the HWPX reader: paragraphs are split around the tables and text boxes they anchor,
footnotes/endnotes follow the paragraph that anchors them as their own paragraph ("1) ..."), and
headers/footers and hidden comments are skipped. Pages are not computed (HWP stores no page layout). A picture
(a drawing object holding a BinData image) is read by OCR where it is anchored (connectors/parsers/pictures.py);
one inside a table cell is read after its table. The OLE container and record layer is hwp_container.py.
"""

from __future__ import annotations

import io
import logging
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

import olefile

from connectors.document import Block, Document, table_block
from connectors.errors import FileTooLargeError, ParseError
from connectors.parsers.base import ParseLimits
from connectors.parsers.hangul import (
    TableCell,
    assemble_blocks,
    cell_text,
    clean_text,
    grid_rows,
    guess_title,
    outline_level,
)
from connectors.parsers.hwp_container import (
    RESAVE,
    Budget,
    Record,
    check_container,
    check_header,
    read_stream,
    record_tree,
    records,
    section_streams,
)
from connectors.parsers.pictures import read_pictures

log = logging.getLogger(__name__)

# Record tags (HWPTAG_BEGIN = 0x10).
_TAG_BIN_DATA = 0x12
_TAG_PARA_SHAPE = 0x19
_TAG_STYLE = 0x1A
_TAG_PARA_HEADER = 0x42
_TAG_PARA_TEXT = 0x43
_TAG_CTRL_HEADER = 0x47
_TAG_LIST_HEADER = 0x48
_TAG_TABLE = 0x4D
_TAG_SHAPE_PICTURE = 0x55  # SHAPE_COMPONENT_PICTURE: its BinItem id (1-based, into DocInfo's BIN_DATA) at byte 71
_PICTURE_ID_AT = 71
# BIN_DATA attribute (spec table 17): bits 0-3 the kind (1 = embedded in BinData/BIN%04X.ext), bits 4-5 its
# compression (0 = as the document, 1 = compressed, 2 = stored).
_BIN_EMBEDDED = 1

# PARA_TEXT control characters: 1 WCHAR (char controls) or 8 WCHARs (inline and extended controls).
_CHAR_CONTROLS = {0: "", 10: "\n", 13: "", 24: "-", 25: "", 26: "", 27: "", 28: "", 29: "", 30: " ", 31: " "}
_EXTENDED_CONTROLS = frozenset({1, 2, 3, 11, 12, 14, 15, 16, 17, 18, 21, 22, 23})
_NO_TEXT_WARNING = "본문에서 텍스트를 찾지 못했습니다 (그림이나 머리말·꼬리말만 있는 문서일 수 있습니다)"
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
class _Context:
    """What the section walk needs: the file name for errors and heading levels from DocInfo."""

    file: str
    warnings: list[str] = field(default_factory=list)
    style_levels: list[int] = field(default_factory=list)
    para_shape_levels: list[int] = field(default_factory=list)
    bin_items: list[tuple[int, int, str]] = field(default_factory=list)  # DocInfo BIN_DATA: attr, storage id, ext

    def heading_level(self, para: Record) -> int:
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
    check_container(data, file)
    try:
        return _parse(data, file, limits)
    except ParseError:
        raise
    except _MALFORMED as exc:  # last guard: malformed bytes must surface as a clear ParseError
        log.debug("hwp parse failed for %s", file, exc_info=True)
        raise ParseError(file, f"HWP 문서 구조가 손상되어 읽을 수 없습니다 ({type(exc).__name__}: {exc})",
                         RESAVE) from exc


def _parse(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Open the OLE container, check the header flags, then read DocInfo styles and every BodyText section."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        compressed = check_header(ole, file)
        budget = Budget(limits.max_unpacked_bytes)
        ctx = _Context(file=file)
        _read_doc_info(ole, ctx, compressed, budget)
        blocks: list[Block] = []
        for name in section_streams(ole, file):
            stream = read_stream(ole, name, file, compressed, budget)
            for record in record_tree(records(stream, file, name)):
                if record.tag == _TAG_PARA_HEADER:
                    blocks.extend(_paragraph_blocks(record, ctx))
        if any(block.picture for block in blocks):
            blocks, found = read_pictures(blocks, _picture_loader(ole, ctx, compressed, budget), limits.ocr)
            ctx.warnings.extend(found)
    if not blocks:
        ctx.warnings.append(_NO_TEXT_WARNING)
    return Document(file=file, format="hwp", blocks=blocks, title=guess_title(blocks), warnings=ctx.warnings)


def _picture_loader(ole: olefile.OleFileIO, ctx: _Context, compressed: bool,
                    budget: Budget) -> Callable[[str], tuple[str, bytes] | None]:
    """Reads a picture by its BinItem id: the DocInfo BIN_DATA item it names, stored as BinData/BIN%04X.ext."""

    def load(ref: str) -> tuple[str, bytes] | None:
        index = int(ref) - 1
        if not 0 <= index < len(ctx.bin_items):
            return None
        attr, storage, ext = ctx.bin_items[index]
        name = f"BinData/BIN{storage:04X}.{ext}"
        if attr & 0xF != _BIN_EMBEDDED or not ole.exists(name):  # linked files and OLE objects are not pictures
            return None
        packing = (attr >> 4) & 0x3
        try:
            return name, read_stream(ole, name, ctx.file, compressed if packing == 0 else packing == 1, budget)
        except (ParseError, zlib.error):  # a damaged (or bomb) picture is not a damaged document: its text is not read
            log.warning("%s: unreadable picture %s", ctx.file, name)
            return None

    return load


def _read_doc_info(ole: olefile.OleFileIO, ctx: _Context, compressed: bool, budget: Budget) -> None:
    """Fill heading levels from DocInfo styles and paragraph shapes; a damaged DocInfo only costs headings."""
    if not ole.exists("DocInfo"):
        return
    try:
        info = records(read_stream(ole, "DocInfo", ctx.file, compressed, budget), ctx.file, "DocInfo")
    except ParseError as exc:
        if isinstance(exc, FileTooLargeError):
            raise
        log.warning("%s: DocInfo unreadable, headings not detected: %s", ctx.file, exc.problem)
        ctx.warnings.append("문서 서식 정보(DocInfo)를 읽지 못해 제목(개요) 구분 없이 본문만 읽었습니다")
        return
    for record in info:
        if record.tag == _TAG_PARA_SHAPE and len(record.data) >= 4:
            attr = struct.unpack_from("<I", record.data, 0)[0]
            outline = (attr >> 23) & 0x3 == 1  # paragraph head type 1 = outline numbering (개요 번호)
            ctx.para_shape_levels.append(((attr >> 25) & 0x7) + 1 if outline else 0)
        elif record.tag == _TAG_STYLE:
            ctx.style_levels.append(_style_level(record.data))
        elif record.tag == _TAG_BIN_DATA:
            ctx.bin_items.append(_bin_item(record.data))


def _bin_item(data: bytes) -> tuple[int, int, str]:
    """A BIN_DATA record's attribute, storage id and extension (storage 0 when the item is a linked file)."""
    attr = struct.unpack_from("<H", data, 0)[0] if len(data) >= 2 else 0
    if attr & 0xF != _BIN_EMBEDDED or len(data) < 6:
        return attr, 0, ""
    storage, length = struct.unpack_from("<HH", data, 2)
    ext = data[6: 6 + 2 * length].decode("utf-16-le", "replace")
    return attr, storage, ext if ext.isascii() and ext.isalnum() else ""


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


def _paragraph_blocks(para: Record, ctx: _Context) -> list[Block]:
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


def _lists(records: list[Record]) -> list[tuple[Record, list[Record]]]:
    """Group sibling records into paragraph lists: each LIST_HEADER with the PARA_HEADERs after it."""
    lists: list[tuple[Record, list[Record]]] = []
    for record in records:
        if record.tag == _TAG_LIST_HEADER:
            lists.append((record, []))
        elif record.tag == _TAG_PARA_HEADER and lists:
            lists[-1][1].append(record)
    return lists


def _list_blocks(paras: list[Record], ctx: _Context) -> list[Block]:
    """Blocks of the paragraphs of one list (a cell, caption, text box or note)."""
    blocks: list[Block] = []
    for para in paras:
        blocks.extend(_paragraph_blocks(para, ctx))
    return blocks


def _shape_blocks(ctrl: Record, ctx: _Context) -> list[Block]:
    """Text of a drawing object or equation: caption and text-box paragraphs, grouped shapes recursively."""
    blocks: list[Block] = []
    for _, paras in _lists(ctrl.children):
        blocks.extend(_list_blocks(paras, ctx))
    for child in ctrl.children:
        if child.tag == _TAG_SHAPE_PICTURE and len(child.data) >= _PICTURE_ID_AT + 2:
            picture = struct.unpack_from("<H", child.data, _PICTURE_ID_AT)[0]
            blocks.append(Block(text="", picture=str(picture)))  # read by OCR once the file is read (pictures.py)
        elif child.tag not in (_TAG_LIST_HEADER, _TAG_PARA_HEADER) and child.children:
            blocks.extend(_shape_blocks(child, ctx))
    return blocks


def _note_blocks(ctrl: Record, ctx: _Context) -> list[Block]:
    """A footnote/endnote as one paragraph block (its paragraphs joined by newlines)."""
    texts = [b.text for _, paras in _lists(ctrl.children) for b in _list_blocks(paras, ctx)]
    text = clean_text("\n".join(texts))
    return [Block(text=text)] if text else []


def _table_blocks(ctrl: Record, ctx: _Context) -> list[Block]:
    """One table block from a 'tbl ' control, with its caption above or below it as printed."""
    children = ctrl.children
    at = next((i for i, c in enumerate(children) if c.tag == _TAG_TABLE), None)
    if at is None:  # no TABLE record: keep whatever paragraphs the control holds, in order
        return [b for _, paras in _lists(children) for b in _list_blocks(paras, ctx)]
    n_rows, n_cols, row_sizes = _table_shape(children[at].data)
    cells: list[TableCell] = []
    pictures: list[Block] = []  # a table row is text: pictures in its cells are read after the table
    for header, paras in _lists(children[at + 1:]):
        cell, found = _cell(header, paras, ctx)
        cells.append(cell)
        pictures.extend(found)
    table = table_block(grid_rows(_row_groups(cells, row_sizes, n_cols), n_rows, n_cols))
    before: list[Block] = []
    after: list[Block] = pictures
    for header, paras in _lists(children[:at]):
        caption = [Block(text=b.text, picture=b.picture) for b in _list_blocks(paras, ctx)]
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


def _cell(header: Record, paras: list[Record], ctx: _Context) -> tuple[TableCell, list[Block]]:
    """A cell's text and its (row, col) address from its LIST_HEADER (-1 when the record is too short), and the
    placeholders of the pictures in it."""
    blocks = _list_blocks(paras, ctx)
    text = "\n".join(cell_text(b) for b in blocks if not b.picture)
    pictures = [b for b in blocks if b.picture]
    if len(header.data) < 12:
        return TableCell(text=text), pictures
    col, row = struct.unpack_from("<HH", header.data, 8)
    return TableCell(text=text, row=row, col=col), pictures


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
