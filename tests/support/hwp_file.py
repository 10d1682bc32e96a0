"""HWP 5.0 files written in tests: an OLE compound file (version 3, 512-byte sectors) holding FileHeader, DocInfo,
BodyText/Section0 and BinData pictures, with records as the format spec lays them out.

Only what the reader needs is written: paragraphs of text, drawing objects holding a picture, tables of one row
and the DocInfo BIN_DATA items naming the pictures.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

_SECTOR = 512
_END, _FREE, _FAT_SECTOR, _NONE = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_CUTOFF, _MINI = 4096, 64

TAG_BIN_DATA, TAG_PARA_HEADER, TAG_PARA_TEXT, TAG_CTRL_HEADER = 0x12, 0x42, 0x43, 0x47
TAG_LIST_HEADER, TAG_SHAPE_COMPONENT, TAG_TABLE, TAG_SHAPE_PICTURE = 0x48, 0x4C, 0x4D, 0x55


def record(tag: int, level: int, body: bytes) -> bytes:
    """One record: a 32-bit header (tag, level, size; 0xFFF and a 32-bit size for long bodies), then the body."""
    if len(body) >= 0xFFF:
        return struct.pack("<II", tag | level << 10 | 0xFFF << 20, len(body)) + body
    return struct.pack("<I", tag | level << 10 | len(body) << 20) + body


def _control_char(ctrl_id: str) -> bytes:
    """An extended control in PARA_TEXT: 8 WCHARs, code 11, the id stored reversed, code 11 again."""
    return b"\x0b\x00" + ctrl_id.encode("ascii")[::-1] + b"\x00" * 8 + b"\x0b\x00"


def paragraph(text: str, level: int = 0, controls: list[tuple[str, list[bytes]]] | None = None) -> bytes:
    """A paragraph: its text (controls anchored after it) and each control's CTRL_HEADER with its records,
    which must be made one level deeper than the control (level + 2)."""
    controls = controls or []
    chars = text.encode("utf-16-le") + b"".join(_control_char(ctrl) for ctrl, _ in controls) + b"\x0d\x00"
    out = record(TAG_PARA_HEADER, level, b"\x00" * 22) + record(TAG_PARA_TEXT, level + 1, chars)
    for ctrl, children in controls:
        out += record(TAG_CTRL_HEADER, level + 1, ctrl.encode("ascii")[::-1] + b"\x00" * 32) + b"".join(children)
    return out


def picture(item: int, level: int) -> tuple[str, list[bytes]]:
    """A drawing object ('gso ') showing BinItem `item` (1-based), for a paragraph at `level`."""
    shape = record(TAG_SHAPE_COMPONENT, level + 2, b"$pic$pic" + b"\x00" * 188)
    return "gso ", [shape + record(TAG_SHAPE_PICTURE, level + 3, b"\x00" * 71 + struct.pack("<H", item))]


def table(cells: list[list[bytes]], level: int) -> tuple[str, list[bytes]]:
    """A one-row table ('tbl ') for a paragraph at `level`; each cell is a list of paragraphs made at level+2."""
    shape = struct.pack("<IHHH", 0, 1, len(cells), 0) + b"\x00" * 8 + struct.pack("<H", len(cells))
    out = [record(TAG_TABLE, level + 2, shape)]
    for col, paras in enumerate(cells):
        out.append(record(TAG_LIST_HEADER, level + 2, struct.pack("<hIHHH", len(paras), 0, col, 0, 1) + b"\x00" * 20))
        out.extend(paras)
    return "tbl ", out


@dataclass
class BinItem:
    """A DocInfo BIN_DATA item: embedded as BinData/BIN{storage:04X}.{ext}; `packing` 0 follows the document's
    compression, 1 compresses, 2 stores; `linked` makes it a link to an outside file (no stream)."""

    data: bytes
    ext: str = "png"
    storage: int = 1
    packing: int = 0
    linked: bool = False
    stream: bytes | None = None  # the stream's bytes as stored, when a test wants them damaged


@dataclass
class HwpFile:
    """Section0's records, the pictures, and whether the document's streams are compressed."""

    section: bytes
    items: list[BinItem] = field(default_factory=list)
    compressed: bool = True

    def build(self) -> bytes:
        def pack(data: bytes, compress: bool) -> bytes:
            if not compress:
                return data
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            return packer.compress(data) + packer.flush()

        doc_info = b""
        streams: dict[str, bytes] = {}
        for item in self.items:
            if item.linked:
                path = "C:\\그림.png".encode("utf-16-le")
                doc_info += record(TAG_BIN_DATA, 0, struct.pack("<HH", 0, len(path) // 2) + path + b"\x00\x00")
                continue
            ext = item.ext.encode("utf-16-le")
            doc_info += record(TAG_BIN_DATA, 0, struct.pack("<HHH", 1 | item.packing << 4, item.storage,
                                                            len(item.ext)) + ext)
            compress = self.compressed if item.packing == 0 else item.packing == 1
            streams[f"BinData/BIN{item.storage:04X}.{item.ext}"] = (
                item.stream if item.stream is not None else pack(item.data, compress))
        header = b"HWP Document File".ljust(32, b"\x00") + struct.pack("<II", 0x05000300, int(self.compressed))
        streams = {"FileHeader": header.ljust(256, b"\x00"), "DocInfo": pack(doc_info, self.compressed),
                   "BodyText/Section0": pack(self.section, self.compressed), **streams}
        return compound_file(streams)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file holding `streams` ("Storage/Stream" or "Stream") at their exact sizes: those under
    4096 bytes in the mini stream (64-byte sectors), the others in 512-byte sectors. Siblings are chained by their
    right pointers (readers look kids up by name, not by the red-black tree's order)."""
    entries: list[dict[str, Any]] = [{"name": "Root Entry", "type": _ROOT, "kids": [], "data": b""}]
    storages: dict[str, int] = {}
    for path, data in streams.items():
        parent = 0
        if "/" in path:
            storage, path = path.split("/", 1)
            if storage not in storages:
                storages[storage] = len(entries)
                entries.append({"name": storage, "type": _STORAGE, "kids": []})
                entries[0]["kids"].append(storages[storage])
            parent = storages[storage]
        entries[parent]["kids"].append(len(entries))
        entries.append({"name": path, "type": _STREAM, "data": data})
    mini, minifat = b"", list[int]()
    for entry in entries[1:]:
        if "data" in entry and len(entry["data"]) < _CUTOFF:
            count = -(-len(entry["data"]) // _MINI)
            entry["start"] = len(minifat) if count else _END
            minifat.extend(range(len(minifat) + 1, len(minifat) + count))
            minifat.extend([_END] if count else [])
            mini += entry["data"].ljust(count * _MINI, b"\x00")
    entries[0]["data"] = mini  # the root entry's stream is the mini stream
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    big = [entry for entry in entries if "data" in entry and (entry is entries[0] or len(entry["data"]) >= _CUTOFF)]
    dir_sectors = -(-len(entries) // 4)
    minifat_sectors = -(-len(minifat_bytes) // _SECTOR)
    needed = dir_sectors + minifat_sectors + sum(-(-len(entry["data"]) // _SECTOR) for entry in big)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + needed:
        fat_sectors += 1
    fat = [_FAT_SECTOR] * fat_sectors

    def chain(count: int) -> int:
        if not count:
            return _END
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(_END)
        return start

    first_dir = chain(dir_sectors)
    first_minifat = chain(minifat_sectors)
    body = minifat_bytes.ljust(minifat_sectors * _SECTOR, b"\x00")
    for entry in big:
        count = -(-len(entry["data"]) // _SECTOR)
        entry["start"] = chain(count)
        body += entry["data"].ljust(count * _SECTOR, b"\x00")
    for entry in entries:
        kids: list[int] = entry.get("kids", [])
        entry["child"] = kids[0] if kids else _NONE
        for left, right in itertools.pairwise(kids):
            entries[left]["right"] = right
    directory = b""
    for entry in entries:
        name = str(entry["name"]).encode("utf-16-le") + b"\x00\x00"
        directory += (name.ljust(64, b"\x00") + struct.pack("<HBB", len(name), entry["type"], 1)
                      + struct.pack("<III", _NONE, entry.get("right", _NONE), entry["child"]) + b"\x00" * 36
                      + struct.pack("<IQ", entry.get("start", _END), len(entry.get("data", b""))))
    directory = directory.ljust(dir_sectors * _SECTOR, b"\x00")
    fat.extend([_FREE] * (fat_sectors * 128 - len(fat)))
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, _CUTOFF, first_minifat, minifat_sectors,
                            _END, 0)
              + struct.pack("<109I", *difat))
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + body
