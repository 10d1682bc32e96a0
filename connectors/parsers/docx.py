"""DOCX with python-docx: heading styles become headings, tables are kept, pictures of text read by OCR."""

from __future__ import annotations

import io
import re

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from connectors.document import Block, Document, table_block
from connectors.errors import ParseError
from connectors.parsers.base import ParseLimits
from connectors.parsers.pictures import read_pictures
from connectors.parsers.textnorm import normalize_line
from connectors.parsers.ziputil import ZIP_ERRORS, open_zip

# Word's built-in heading styles, in English and in the Korean UI ("제목 1").
_HEADING_STYLE = re.compile(r"^(?:heading|제목)\s*(\d)$", re.IGNORECASE)
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# What python-docx raises on a damaged package: zip and XML errors, a missing part (KeyError), and on a part
# whose XML is not the element it should be (AttributeError/TypeError from its element classes).
_MALFORMED = (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError, AttributeError, TypeError,
              *ZIP_ERRORS)


def parse_docx(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Read paragraphs and tables in body order; Title/Heading styles become title/heading blocks."""
    open_zip(data, file, limits, "DOCX").close()
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [block for item in document.iter_inner_content() for block in _blocks(item)]
        parts = document.part.related_parts
    except _MALFORMED as exc:
        raise ParseError(file, f"DOCX 구조를 읽을 수 없습니다 ({type(exc).__name__}: {exc})",
                         "Word나 한글에서 DOCX로 다시 저장한 뒤 올려 주세요") from exc

    def load(ref: str) -> tuple[str, bytes] | None:
        part = parts.get(ref)  # python-docx holds every part in memory: nothing here can fail on a damaged file
        return (str(part.partname), part.blob) if part is not None else None

    blocks, warnings = read_pictures(blocks, load, limits.ocr)
    title = next((b.text for b in blocks if b.kind == "title"), None)
    return Document(file=file, format="docx", blocks=blocks, title=title, warnings=warnings)


def _blocks(item: Paragraph | Table) -> list[Block]:
    # Pictures anchored in the paragraph (DrawingML, and VML from older Word), read after its text; those in a
    # table's cells after the table (a row is text).
    if isinstance(item, Table):
        return [table_block(_rows(item)), *(Block(text="", picture=ref) for ref in _picture_refs(item._tbl))]
    pictures = [Block(text="", picture=ref) for ref in _picture_refs(item._p)]
    text = normalize_line(item.text)
    if not text:
        return pictures
    style = (item.style.name if item.style is not None else "") or ""
    if style.lower() == "title":
        return [Block(text=text, kind="title", level=0), *pictures]
    match = _HEADING_STYLE.match(style.strip())
    if match:
        return [Block(text=text, kind="heading", level=int(match.group(1))), *pictures]
    return [Block(text=text), *pictures]


def _picture_refs(element: BaseOxmlElement) -> list[str]:
    """Relationship ids of the pictures in a paragraph or table, in order: DrawingML blips, then VML (older Word)
    images."""
    refs = [str(ref) for ref in element.xpath(".//a:blip/@r:embed")]
    refs += [str(el.get(_R_ID)) for el in element.iter(_VML_IMAGE) if el.get(_R_ID)]
    return list(dict.fromkeys(refs))  # a VML fallback repeats the DrawingML picture: read its text once


def _rows(table: Table) -> list[list[str]]:
    """Cell texts row by row; a merged cell is kept once (where it starts)."""
    # The XML cells themselves, not row.cells: that repeats a cell once per grid column it spans, and a
    # hostile gridSpan of 2**31 would keep us busy for minutes. A vertically merged continuation is skipped.
    return [[normalize_line(_Cell(tc, table).text.replace("\n", " ")) for tc in row._tr.tc_lst
             if tc.vMerge != "continue"] for row in table.rows]
