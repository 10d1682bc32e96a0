"""HWPX (OWPML zip) reader: paragraphs, headings, tables and notes in reading order, without page furniture.

Notes on choices that matter for retrieval:
- Footnotes/endnotes are emitted as a paragraph right after the paragraph (or paragraph part) that anchors
  them, so a note stays next to the text it explains; the note text starts with its number, e.g. "1) ...".
- A paragraph is split around the tables and text boxes it anchors, so "text, table, text" keeps its order.
- Headers/footers, hidden comments, memos and shape alt-text ("그림입니다.") are skipped; a picture (hp:pic) of
  text is read by OCR where it is anchored (connectors/parsers/pictures.py).
- Helpers shared with the HWP reader (outline_level, grid_rows, assemble_blocks, ...) are in hangul.py.
"""

from __future__ import annotations

import logging
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from connectors.document import Block, Document, table_block
from connectors.errors import EncryptedDocumentError, FileTooLargeError, ParseError
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
from connectors.parsers.pictures import read_pictures
from connectors.parsers.ziputil import open_zip, read_member

log = logging.getLogger(__name__)

_RESAVE = "한글에서 열어 HWPX로 다시 저장한 뒤 올려 주세요"
_ENCRYPTED_ACTION = "한글에서 암호(또는 문서보안 DRM)를 해제하고 다시 저장한 뒤 올려 주세요"
_NO_TEXT_WARNING = "본문에서 텍스트를 찾지 못했습니다 (그림이나 머리말·꼬리말만 있는 문서일 수 있습니다)"
_SECTION_NAME = re.compile(r"(?:^|/)section(\d+)\.xml$", re.IGNORECASE)
# Run children that carry no body text (or whose text is page furniture / metadata).
_NO_TEXT = frozenset({"secPr", "linesegarray", "header", "footer", "hiddenComment", "memo", "shapeComment",
                      "parameters", "script", "markpenBegin", "markpenEnd"})
_INLINE_CHARS = {"tab": "\t", "lineBreak": "\n", "fwSpace": " ", "nbSpace": " ", "hyphen": "-"}
_MALFORMED = (struct.error, zlib.error, zipfile.BadZipFile, KeyError, IndexError, ValueError, EOFError,
              OSError, RuntimeError, RecursionError, etree.LxmlError)


# --- parsing ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Styles:
    """Heading levels from Contents/header.xml: by style id and by paragraph-shape id (outline numbering)."""

    by_style: dict[str, int] = field(default_factory=dict)
    by_para_shape: dict[str, int] = field(default_factory=dict)

    def level(self, p: etree._Element) -> int:
        """Heading level of a paragraph (0 = body text)."""
        by_style = self.by_style.get(p.get("styleIDRef", ""), 0)
        return by_style or self.by_para_shape.get(p.get("paraPrIDRef", ""), 0)


def parse_hwpx(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Read an HWPX file into a Document of paragraphs, headings, tables and notes in reading order."""
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(file, f"파일이 {len(data) / 1024 / 1024:.0f}MB로 허용 크기를 넘습니다",
                                "문서를 나누어 올려 주세요")
    if not data.startswith(b"PK"):
        raise ParseError(file, _not_zip_problem(data), _RESAVE)
    try:
        return _parse(data, file, limits)
    except ParseError:
        raise
    except _MALFORMED as exc:  # last guard: malformed bytes must surface as a clear ParseError
        log.debug("hwpx parse failed for %s", file, exc_info=True)
        raise ParseError(file, f"HWPX 문서 구조가 손상되어 읽을 수 없습니다 ({type(exc).__name__}: {exc})",
                         _RESAVE) from exc


def _not_zip_problem(data: bytes) -> str:
    """Say what the non-zip bytes look like, so the user knows whether to rename, convert or remove DRM."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "확장자는 HWPX지만 실제로는 HWP(바이너리) 문서입니다 — 확장자를 .hwp로 바꾸어 올려도 됩니다"
    return "HWPX(zip) 형식이 아닙니다 — 파일이 손상되었거나 문서보안(DRM)이 적용된 파일일 수 있습니다"


def _parse(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Open the package, find its sections in order and turn each into blocks."""
    with open_zip(data, file, limits, "HWPX") as archive:
        _check_encryption(archive, file, limits)
        warnings: list[str] = []
        sections = _section_names(archive, file, limits, warnings)
        styles = _read_styles(archive, file, limits, warnings)
        blocks: list[Block] = []
        for name in sections:
            root = _parse_xml(read_member(archive, name, file, limits), file, name)
            for child in root:
                if _local(child) == "p":
                    blocks.extend(_paragraph_blocks(child, styles))
        if any(block.picture for block in blocks):
            blocks, found = read_pictures(blocks, _picture_loader(archive, file, limits), limits.ocr)
            warnings.extend(found)
    if not blocks:
        warnings.append(_NO_TEXT_WARNING)
    return Document(file=file, format="hwpx", blocks=blocks, title=guess_title(blocks), warnings=warnings)


def _picture_loader(archive: zipfile.ZipFile, file: str,
                    limits: ParseLimits) -> Callable[[str], tuple[str, bytes] | None]:
    """Reads a picture by its binary item id ("image1"): the content.hpf manifest's href, else BinData/image1.*."""
    items: dict[str, str] = {}
    names = archive.namelist()
    if "Contents/content.hpf" in names:
        try:
            package = _parse_xml_raw(read_member(archive, "Contents/content.hpf", file, limits))
            items = {el.get("id", ""): el.get("href", "") for el in package.iter() if _local(el) == "item"}
        except (etree.XMLSyntaxError, ParseError):
            log.warning("%s: unreadable Contents/content.hpf, finding pictures by name", file)

    def load(ref: str) -> tuple[str, bytes] | None:
        name = items.get(ref, "").lstrip("/")
        if name not in names:
            name = next((n for n in names if n.startswith(f"BinData/{ref}.")), "")
        try:
            return (name, read_member(archive, name, file, limits)) if name else None
        except ParseError:  # a damaged picture is not a damaged document: its text is simply not read
            log.warning("%s: unreadable picture %s", file, name)
            return None

    return load


def _check_encryption(archive: zipfile.ZipFile, file: str, limits: ParseLimits) -> None:
    """Raise EncryptedDocumentError for password-protected packages (zip or ODF-manifest encryption)."""
    if any(info.flag_bits & 0x1 for info in archive.infolist()):
        raise EncryptedDocumentError(file, "암호가 걸린 HWPX 문서입니다", _ENCRYPTED_ACTION)
    if "META-INF/manifest.xml" not in archive.namelist():
        return
    raw = read_member(archive, "META-INF/manifest.xml", file, limits)
    try:
        manifest = _parse_xml_raw(raw)
    except etree.XMLSyntaxError:
        log.warning("%s: unreadable META-INF/manifest.xml, checking sections instead", file)
        return
    if any(_local(el) == "encryption-data" for el in manifest.iter()):
        raise EncryptedDocumentError(file, "암호가 걸린 HWPX 문서입니다", _ENCRYPTED_ACTION)


def _section_names(
    archive: zipfile.ZipFile, file: str, limits: ParseLimits, warnings: list[str]
) -> list[str]:
    """Section members in reading order: from the content.hpf spine, else Contents/section*.xml by number."""
    names = set(archive.namelist())
    listed = _spine_sections(archive, file, limits) if "Contents/content.hpf" in names else []
    present = [name for name in listed if name in names]
    if present:
        return present
    found = sorted((int(m.group(1)), name) for name in names if (m := _SECTION_NAME.search(name)))
    if not found:
        raise ParseError(file, "HWPX 안에 본문(Contents/section*.xml)이 없습니다", _RESAVE)
    if listed or "Contents/content.hpf" in names:
        warnings.append("문서 목차(content.hpf)가 본문 위치와 맞지 않아 section 파일 번호 순서로 읽었습니다")
    return [name for _, name in found]


def _spine_sections(archive: zipfile.ZipFile, file: str, limits: ParseLimits) -> list[str]:
    """Section hrefs listed in Contents/content.hpf in spine order (manifest order if the spine is empty)."""
    try:
        package = _parse_xml_raw(read_member(archive, "Contents/content.hpf", file, limits))
    except etree.XMLSyntaxError:
        log.warning("%s: unreadable Contents/content.hpf, falling back to section file names", file)
        return []
    items = {el.get("id", ""): el.get("href", "") for el in package.iter() if _local(el) == "item"}
    order = [el.get("idref", "") for el in package.iter() if _local(el) == "itemref"] or list(items)
    hrefs = [items.get(ref, "") for ref in order]
    names = set(archive.namelist())  # once: a list per href is quadratic in a package with many members
    result: list[str] = []
    for href in hrefs:
        if not _SECTION_NAME.search(href):
            continue
        # Hrefs are package-relative in files from Hancom; some writers make them relative to Contents/.
        candidates = [href.lstrip("/"), posixpath.normpath(posixpath.join("Contents", href))]
        result.append(next((c for c in candidates if c in names), candidates[0]))
    return result


def _read_styles(archive: zipfile.ZipFile, file: str, limits: ParseLimits, warnings: list[str]) -> _Styles:
    """Outline styles and outline paragraph shapes from Contents/header.xml (missing header: no headings)."""
    styles = _Styles()
    if "Contents/header.xml" not in archive.namelist():
        return styles
    try:
        head = _parse_xml_raw(read_member(archive, "Contents/header.xml", file, limits))
    except etree.XMLSyntaxError:
        warnings.append("문서 서식 정보(header.xml)를 읽지 못해 제목(개요) 구분 없이 읽었습니다")
        return styles
    for el in head.iter():
        name = _local(el)
        if name == "style":
            level = outline_level(el.get("name", "")) or outline_level(el.get("engName", ""))
            if level:
                styles.by_style[el.get("id", "")] = level
        elif name == "heading" and el.get("type") == "OUTLINE":
            shape = el.getparent()
            level = _int(el.get("level"), -1) + 1
            if shape is not None and 1 <= level <= 10:
                styles.by_para_shape[shape.get("id", "")] = level
    return styles


def _parse_xml(raw: bytes, file: str, name: str) -> etree._Element:
    """Parse one section; binary garbage means an encrypted (DRM) section, broken XML a damaged one."""
    try:
        return _parse_xml_raw(raw)
    except etree.XMLSyntaxError as exc:
        head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"<"):
            raise EncryptedDocumentError(
                file, f"본문({name})이 XML이 아닙니다 — 암호나 문서보안(DRM)으로 암호화된 HWPX로 보입니다",
                _ENCRYPTED_ACTION) from exc
        raise ParseError(file, f"본문({name})의 XML이 손상되었습니다 ({exc})", _RESAVE) from exc


def _parse_xml_raw(raw: bytes) -> etree._Element:
    """Parse XML with no entity expansion and no network access (a new parser per call: thread safety)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(raw, parser)


# --- paragraphs ---------------------------------------------------------------------------------------------


def _paragraph_blocks(p: etree._Element, styles: _Styles) -> list[Block]:
    """Blocks for one hp:p: its text split around anchored tables/text boxes, then its notes."""
    level = styles.level(p)
    pieces: list[str | list[Block]] = []
    notes: list[Block] = []
    for child in _run_children(p):
        name = _local(child)
        if name == "t":
            pieces.append(_t_text(child))
        elif name == "ctrl":
            pieces.append(_ctrl_text(child, notes, styles))
        elif name in ("footNote", "endNote"):
            notes.extend(_note_blocks(child, styles))
        elif name == "tbl":
            pieces.append(_table_blocks(child, styles))
        elif name == "dutmal":
            pieces.append(_dutmal_text(child))
        elif name not in _NO_TEXT:
            pieces.append(_object_blocks(child, styles))
    return assemble_blocks(pieces, level) + notes


def _run_children(p: etree._Element) -> Iterator[etree._Element]:
    """Children of every hp:run of a paragraph, in document order."""
    for run in p:
        if _local(run) == "run":
            yield from (child for child in run if isinstance(child.tag, str))


def _t_text(t: etree._Element) -> str:
    """Text of one hp:t, with inline tabs, line breaks and special spaces turned into characters."""
    parts = [t.text or ""]
    for child in t:
        parts.append(_INLINE_CHARS.get(_local(child), ""))
        parts.append(child.tail or "")
    return "".join(parts)


def _ctrl_text(ctrl: etree._Element, notes: list[Block], styles: _Styles) -> str:
    """Inline text of an hp:ctrl (auto numbers); notes are collected, headers/footers/fields/memos skipped."""
    text = ""
    for child in ctrl:
        name = _local(child)
        if name in ("footNote", "endNote"):
            notes.extend(_note_blocks(child, styles))
        elif name == "autoNum":
            number = child.get("num", "")
            text += f"{number})" if child.get("numType") in ("FOOTNOTE", "ENDNOTE") else number
    return text


def _dutmal_text(dutmal: etree._Element) -> str:
    """Main text of a 덧말 (ruby) object; the small annotation text is left out."""
    main = next((el for el in dutmal if _local(el) == "mainText"), None)
    return (main.text or "") if main is not None else ""


def _note_blocks(note: etree._Element, styles: _Styles) -> list[Block]:
    """A footnote/endnote as one paragraph block (its paragraphs joined by newlines)."""
    texts = [b.text for b in _sublist_blocks(note, styles)]
    text = clean_text("\n".join(texts))
    return [Block(text=text)] if text else []


def _sublist_blocks(holder: etree._Element, styles: _Styles) -> list[Block]:
    """Blocks of the paragraphs in a holder's hp:subList (or of paragraphs directly under it)."""
    blocks: list[Block] = []
    for child in holder:
        name = _local(child)
        if name == "subList":
            blocks.extend(_paragraphs_of(child, styles))
        elif name == "p":
            blocks.extend(_paragraph_blocks(child, styles))
    return blocks


def _object_blocks(obj: etree._Element, styles: _Styles) -> list[Block]:
    """Text held by a drawing object (text box, caption, group): its sub-lists' paragraphs, in order."""
    blocks: list[Block] = []
    for child in obj:
        name = _local(child)
        if name in _NO_TEXT or not name:
            continue
        if name == "subList":
            blocks.extend(_paragraphs_of(child, styles))
        elif name == "tbl":
            blocks.extend(_table_blocks(child, styles))
        elif name == "img" and _local(obj) == "pic" and (ref := child.get("binaryItemIDRef")):
            blocks.append(Block(text="", picture=ref))  # read by OCR once the section is read (pictures.py)
        elif name != "p":
            blocks.extend(_object_blocks(child, styles))
    return blocks


def _paragraphs_of(sub_list: etree._Element, styles: _Styles) -> list[Block]:
    """Blocks of the hp:p children of one hp:subList."""
    blocks: list[Block] = []
    for p in sub_list:
        if _local(p) == "p":
            blocks.extend(_paragraph_blocks(p, styles))
    return blocks


# --- tables -------------------------------------------------------------------------------------------------


def _table_blocks(tbl: etree._Element, styles: _Styles) -> list[Block]:
    """One table block (plus its caption as a paragraph above or below it, as printed)."""
    groups: list[list[TableCell]] = []
    before: list[Block] = []
    pictures: list[Block] = []  # a table row is text: pictures in its cells are read after the table
    after: list[Block] = []
    for child in tbl:
        name = _local(child)
        if name == "tr":
            groups.append([_cell(tc, styles, pictures) for tc in child if _local(tc) == "tc"])
        elif name == "caption":
            caption = [Block(text=b.text) for b in _object_blocks(child, styles) if b.text]
            (after if child.get("side") == "BOTTOM" else before).extend(caption)
    rows = grid_rows(groups, _int(tbl.get("rowCnt"), 0), _int(tbl.get("colCnt"), 0))
    table = table_block(rows)
    return before + ([table] if table.text else []) + pictures + after


def _cell(tc: etree._Element, styles: _Styles, pictures: list[Block]) -> TableCell:
    """A cell's text (its paragraphs, nested tables flattened into it) and its grid address; the placeholders of
    its pictures go to `pictures`."""
    row = col = -1
    texts: list[str] = []
    for child in tc:
        name = _local(child)
        if name == "cellAddr":
            row, col = _int(child.get("rowAddr"), -1), _int(child.get("colAddr"), -1)
        elif name == "subList":
            for block in _paragraphs_of(child, styles):
                if block.picture:
                    pictures.append(block)
                else:
                    texts.append(cell_text(block))
    return TableCell(text="\n".join(texts), row=row, col=col)


# --- small utilities ----------------------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    """Local tag name without namespace (files use both the 2011 Hancom and the 2024 OWPML namespaces)."""
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _int(value: str | None, default: int) -> int:
    """An integer attribute, or the default when it is missing or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
