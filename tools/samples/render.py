#!/usr/bin/env python3
"""Render the sample department documents from plain-text sources into real PDF, HWPX, DOCX, TXT and MD files.

    python3 tools/samples/render.py           # (re)write sample_manuals/<부서명>/<file>
    python3 tools/samples/render.py --check   # render in memory, exit 1 if any file on disk differs

Sources live in tools/samples/source/<부서명>/<문서명>.txt (UTF-8). Every run renders byte-identical files:
zip members (HWPX, DOCX) get a fixed date taken from the document's `date`, python-hwpx's random paragraph and
table ids are replaced by a counter, DOCX core properties are fixed, and reportlab runs with invariant=1.

Source markup (one block per line; lines are never joined):

    @meta key: value     header block at the very top of the file, one key per line. Keys:
                           output    output file name; its extension picks the format
                                     (.pdf, .hwpx, .docx, .txt, .md)                          (required)
                           kind      statute | manual | guideline                             (required)
                           date      YYYY-MM-DD; document metadata and zip member dates       (required)
                           author    department shown in the metadata                         (required)
                           header    running header of statute PDFs (default: the title)
                           encoding  TXT only: utf-8 (default) or cp949
                           newline   TXT only: lf (default) or crlf
    # text               the document title (exactly one, before any other block)
    ## text              heading level 1 (statutes: 제N장, 부칙, [별표 N]; manuals: Ⅰ.)
    ### text             heading level 2 (statutes: 제N절; manuals: 1.)
    #### text            heading level 3 (manuals: 1.1)
    ##### text           heading level 4 (manuals: 가.)
    | a | b | c |        a table row; consecutive rows form one table and the first row is the header row
    (blank line)         separates blocks; kept as a blank line in TXT output
    anything else        one paragraph

Paragraphs between the title and the first heading form the preamble (the 시행 line and the responsible
office of a statute, the date and department of a manual), rendered centred. Inside paragraphs the renderers
recognise the usual Korean markers and indent them:
    statutes              제N조(제목) / 제N조의2(제목) (label set in bold), ① 항, 1. 호, 가. 목,
                          [본조신설 …] and 비고 notes
    manuals, guidelines   □, ○, - and ※
A level-1 heading starting with "[별표" starts a new page in PDF and HWPX, as annexes do in exported statutes.

Statute PDFs imitate a 국가법령정보센터 export: the law name at the top right above a rule on every page and a
footer "한빛시 자치법규   <쪽>   한빛시청". HWPX headings carry the 개요 1-4 paragraph styles with Hancom's
automatic outline numbering switched off (paragraph shape 0) because the numbers are typed in the text.
The checks before writing refuse Latin letters in document text, characters missing from the PDF font, and
text that cannot be encoded in the TXT encoding.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import itertools
import re
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "source"
OUTPUT_DIR = HERE.parents[1] / "sample_manuals"
FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_REGULAR = FONT_DIR / "NanumGothic.ttf"
FONT_BOLD = FONT_DIR / "NanumGothicBold.ttf"
DOCX_FONT = "맑은 고딕"
KINDS = ("statute", "manual", "guideline")
FORMATS = ("pdf", "hwpx", "docx", "txt", "md")

ARTICLE_RE = re.compile(r"^(제\d+조(?:의\d+)?)(\([^)]*\))?")
CLAUSE_RE = re.compile(r"^[①-⑳]")
ITEM_RE = re.compile(r"^\d+\.\s")
SUBITEM_RE = re.compile(r"^[가-힣]\.\s")
LATIN_RE = re.compile(r"[A-Za-z]")


# ----------------------------------------------------------------------------------------------------------
# Source model and parser


@dataclass(slots=True)
class Block:
    """One block of a source document: the title, a heading, a paragraph or a table."""

    kind: str  # "title" | "heading" | "para" | "table"
    text: str = ""
    level: int = 0  # heading level 1-4
    rows: list[list[str]] = field(default_factory=list)
    gap_before: bool = False  # a blank line preceded the block in the source
    preamble: bool = False  # a paragraph between the title and the first heading


@dataclass(slots=True)
class SourceDoc:
    """A parsed source file."""

    path: Path
    department: str
    meta: dict[str, str]
    blocks: list[Block]

    @property
    def output(self) -> str:
        return self.meta["output"]

    @property
    def format(self) -> str:
        return self.output.rsplit(".", 1)[-1].lower()

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def title(self) -> str:
        return self.blocks[0].text

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.meta["date"])

    @property
    def zip_time(self) -> tuple[int, int, int, int, int, int]:
        d = self.date
        return (d.year, d.month, d.day, 9, 0, 0)

    def texts(self) -> Iterator[str]:
        """Every piece of document text (title, headings, paragraphs, cells)."""
        for block in self.blocks:
            if block.kind == "table":
                for row in block.rows:
                    yield from row
            else:
                yield block.text


def parse_source(path: Path) -> SourceDoc:
    """Parse one source file; raises ValueError with the file and line on malformed markup."""
    lines = path.read_text(encoding="utf-8").splitlines()
    meta: dict[str, str] = {}
    index = 0
    while index < len(lines) and lines[index].startswith("@meta "):
        key, sep, value = lines[index][len("@meta "):].partition(":")
        if not sep:
            raise ValueError(f"{path}:{index + 1}: '@meta key: value' expected")
        meta[key.strip()] = value.strip()
        index += 1
    for key in ("output", "kind", "date", "author"):
        if key not in meta:
            raise ValueError(f"{path}: missing '@meta {key}:'")
    if meta["kind"] not in KINDS:
        raise ValueError(f"{path}: kind must be one of {KINDS}")

    blocks: list[Block] = []
    gap = False
    seen_heading = False
    for number, raw in enumerate(lines[index:], start=index + 1):
        line = raw.rstrip()
        if not line.strip():
            gap = True
            continue
        if line.startswith("@"):
            raise ValueError(f"{path}:{number}: '@meta' lines must come first")
        heading = re.match(r"^(#{1,5}) (.+)$", line)
        if heading:
            level = len(heading.group(1)) - 1
            if level == 0:
                if blocks:
                    raise ValueError(f"{path}:{number}: the title must be the first block")
                blocks.append(Block("title", heading.group(2).strip()))
            else:
                blocks.append(Block("heading", heading.group(2).strip(), level=level, gap_before=gap))
                seen_heading = True
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            previous = blocks[-1] if blocks else None
            if previous is not None and previous.kind == "table" and not gap:
                if len(cells) != len(previous.rows[0]):
                    raise ValueError(f"{path}:{number}: table row has {len(cells)} cells, header has "
                                     f"{len(previous.rows[0])}")
                previous.rows.append(cells)
            else:
                blocks.append(Block("table", rows=[cells], gap_before=gap))
        else:
            blocks.append(Block("para", line.strip(), gap_before=gap, preamble=not seen_heading))
        if not blocks or blocks[0].kind != "title":
            raise ValueError(f"{path}:{number}: the document must start with a '# title' line")
        gap = False
    if not blocks:
        raise ValueError(f"{path}: empty document")
    return SourceDoc(path=path, department=path.parent.name, meta=meta, blocks=blocks)


def load_sources(source_dir: Path = SOURCE_DIR) -> list[SourceDoc]:
    """All source documents, sorted by department and file name."""
    docs = [parse_source(path) for path in sorted(source_dir.glob("*/*.txt"))]
    outputs = [(d.department, d.output) for d in docs]
    duplicates = {o for o in outputs if outputs.count(o) > 1}
    if duplicates:
        raise ValueError(f"two sources render to the same file: {sorted(duplicates)}")
    return docs


# ----------------------------------------------------------------------------------------------------------
# Paragraph roles shared by the renderers


@dataclass(frozen=True, slots=True)
class Role:
    """How a paragraph is laid out: its indent step (0-3) and whether its first token hangs."""

    name: str
    indent: int
    hanging: bool


def paragraph_role(doc: SourceDoc, block: Block) -> Role:
    """Classify a paragraph by its leading marker."""
    text = block.text
    if block.preamble:
        return Role("preamble", 0, False)
    if doc.kind == "statute":
        if ARTICLE_RE.match(text):
            return Role("article", 0, False)
        if CLAUSE_RE.match(text):
            return Role("clause", 1, True)
        if ITEM_RE.match(text):
            return Role("item", 2, True)
        if SUBITEM_RE.match(text):
            return Role("subitem", 3, True)
        if text.startswith(("[", "비고")):
            return Role("note", 0, False)
        return Role("body", 0, False)
    if text.startswith("□"):
        return Role("box", 0, True)
    if text.startswith("○"):
        return Role("circle", 1, True)
    if text.startswith("- "):
        return Role("dash", 2, True)
    if text.startswith("※"):
        return Role("note", 1, False)
    return Role("body", 0, False)


def split_article(text: str) -> tuple[str, str]:
    """Split '제N조(제목) 본문' into the bold label and the rest."""
    match = ARTICLE_RE.match(text)
    if not match:
        return "", text
    return match.group(0), text[match.end():]


# ----------------------------------------------------------------------------------------------------------
# Checks


def check_document(doc: SourceDoc) -> None:
    """Refuse Latin letters, glyphs missing from the PDF font and text the TXT encoding cannot hold."""
    for text in doc.texts():
        if LATIN_RE.search(text):
            raise ValueError(f"{doc.path}: Latin letters in document text: {text!r}")
    if doc.format == "pdf":
        from reportlab.pdfbase.ttfonts import TTFont

        for font_path in (FONT_REGULAR, FONT_BOLD):
            covered = TTFont("check", str(font_path)).face.charToGlyph
            chars = {ch for text in doc.texts() for ch in text if ch != " "}
            missing = sorted(ch for ch in chars if ord(ch) not in covered)
            if missing:
                raise ValueError(f"{doc.path}: {font_path.name} has no glyph for {missing}")
    if doc.format == "txt":
        for text in doc.texts():
            text.encode(doc.meta.get("encoding", "utf-8"))  # raises UnicodeEncodeError


# ----------------------------------------------------------------------------------------------------------
# Zip normalisation (HWPX and DOCX)


def normalize_zip(data: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    """Rewrite a zip with the same members, order and compression but a fixed date and permissions."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=when)
            member.compress_type = info.compress_type
            member.create_system = 0
            member.external_attr = 0o100644 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


# ----------------------------------------------------------------------------------------------------------
# PDF (reportlab)

PDF_INDENT = 11.0  # points per indent step
_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("NanumGothic", str(FONT_REGULAR)))
    pdfmetrics.registerFont(TTFont("NanumGothicBold", str(FONT_BOLD)))
    for bold, italic, name in ((0, 0, "NanumGothic"), (1, 0, "NanumGothicBold"),
                               (0, 1, "NanumGothic"), (1, 1, "NanumGothicBold")):
        addMapping("NanumGothic", bold, italic, name)
    _fonts_registered = True


def render_pdf(doc: SourceDoc) -> bytes:
    """A4 PDF with embedded NanumGothic; statutes get the law-export running header and footer."""
    _register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        Flowable,
        Frame,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    statute = doc.kind == "statute"
    page_width, page_height = A4
    left = right = 20 * mm
    top, bottom = 24 * mm, 22 * mm
    body = ParagraphStyle("body", fontName="NanumGothic", fontSize=10, leading=16.5, alignment=TA_JUSTIFY,
                          spaceAfter=2.5)
    styles = {
        "title": ParagraphStyle("title", parent=body, fontName="NanumGothicBold", fontSize=16, leading=22,
                                alignment=TA_CENTER, spaceAfter=8),
        "preamble": ParagraphStyle("preamble", parent=body, fontSize=9, leading=13, alignment=TA_CENTER),
        "office": ParagraphStyle("office", parent=body, fontSize=9, leading=13, alignment=TA_RIGHT,
                                 spaceAfter=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.8, leading=12.5, alignment=0, spaceAfter=0),
        "head_cell": ParagraphStyle("head_cell", parent=body, fontName="NanumGothicBold", fontSize=8.8,
                                    leading=12.5, alignment=TA_CENTER, spaceAfter=0),
    }
    heading_sizes = {1: 12.0, 2: 11.0, 3: 10.5, 4: 10.0}
    heading_styles = {
        level: ParagraphStyle(f"h{level}", parent=body, fontName="NanumGothicBold", fontSize=size,
                              leading=size * 1.6, spaceBefore=9 if level <= 2 else 5, spaceAfter=4,
                              keepWithNext=1, alignment=0)
        for level, size in heading_sizes.items()
    }

    def role_style(role: Role) -> ParagraphStyle:
        indent = role.indent * PDF_INDENT
        hang = PDF_INDENT if role.hanging else 0.0
        return ParagraphStyle(f"{role.name}{role.indent}", parent=body, leftIndent=indent + hang,
                              firstLineIndent=-hang, spaceBefore=5 if role.name == "article" else 0)

    def markup(text: str) -> str:
        return escape(text)

    story: list[Flowable] = []
    preamble_count = 0
    for block in doc.blocks:
        if block.kind == "title":
            story.append(Paragraph(markup(block.text), styles["title"]))
        elif block.kind == "heading":
            if statute and block.level == 1 and block.text.startswith("[별표"):
                story.append(PageBreak())
            story.append(Paragraph(markup(block.text), heading_styles[block.level]))
        elif block.kind == "para":
            role = paragraph_role(doc, block)
            if role.name == "preamble":
                preamble_count += 1
                style = styles["office"] if statute and preamble_count > 1 else styles["preamble"]
                story.append(Paragraph(markup(block.text), style))
                continue
            if role.name == "article":
                label, rest = split_article(block.text)
                text = f"<b>{markup(label)}</b>{markup(rest)}"
            else:
                text = markup(block.text)
            story.append(Paragraph(text, role_style(role)))
        else:
            story.append(Spacer(1, 3))
            story.append(_pdf_table(block.rows, page_width - left - right, styles, Paragraph, Table,
                                    TableStyle, colors))
            story.append(Spacer(1, 6))

    header_text = doc.meta.get("header", doc.title)

    def draw_header(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        if statute:
            canvas.setFont("NanumGothic", 8.5)
            canvas.drawRightString(page_width - right, page_height - 14 * mm, header_text)
            canvas.setLineWidth(0.6)
            canvas.line(left, page_height - 15.8 * mm, page_width - right, page_height - 15.8 * mm)
        canvas.restoreState()

    def draw_footer(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("NanumGothic", 8.5)
        number = str(canvas.getPageNumber())
        if statute:
            y = 12 * mm
            canvas.drawString(left, y, "한빛시 자치법규")
            canvas.drawCentredString(page_width / 2, y, number)
            canvas.drawRightString(page_width - right, y, "한빛시청")
        else:
            canvas.drawCentredString(page_width / 2, 12 * mm, f"- {number} -")
        canvas.restoreState()

    out = io.BytesIO()
    template = BaseDocTemplate(
        out, pagesize=A4, leftMargin=left, rightMargin=right, topMargin=top, bottomMargin=bottom,
        title=doc.title, author=doc.meta["author"], subject=doc.title, creator=doc.meta["author"],
        producer="한빛시 문서 출력기", invariant=1, lang="ko-KR",
    )
    frame = Frame(left, bottom, page_width - left - right, page_height - top - bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=draw_header,
                                            onPageEnd=draw_footer)])
    template.build(story)
    return out.getvalue()


def _pdf_table(rows: list[list[str]], width: float, styles: dict[str, Any], paragraph: Callable[..., Any],
               table: Callable[..., Any], table_style: Callable[..., Any], colors: Any) -> Any:
    """A grid table whose column widths follow the longest cell of each column."""
    columns = len(rows[0])
    weights = [min(max(max(len(row[c]) for row in rows), 3), 28) for c in range(columns)]
    total = sum(weights)
    widths = [width * w / total for w in weights]
    data = [[paragraph(escape(cell), styles["head_cell" if r == 0 else "cell"]) for cell in row]
            for r, row in enumerate(rows)]
    result = table(data, colWidths=widths, repeatRows=1)
    result.setStyle(table_style([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#606060")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return result


# ----------------------------------------------------------------------------------------------------------
# HWPX (python-hwpx)


@contextlib.contextmanager
def _counter_ids() -> Iterator[None]:
    """Replace python-hwpx's random paragraph/table ids with a counter (its documented monkeypatch seam)."""
    import hwpx.oxml._document_impl as impl

    counter = itertools.count(1)
    original = impl.uuid4
    impl.uuid4 = lambda: uuid.UUID(int=next(counter))
    try:
        yield
    finally:
        impl.uuid4 = original


HWPX_INDENT_MM = 4.0


def render_hwpx(doc: SourceDoc) -> bytes:
    """HWPX with 개요-styled headings, real hp:tbl tables and indented markers."""
    from hwpx import HwpxDocument

    stamp = doc.date.strftime("%Y-%m-%dT09:00:00Z")
    with _counter_ids():
        hw = HwpxDocument.new()
        hw.parts.clear_document_metadata(timestamp=stamp)
        hw.parts.set_document_metadata(title=doc.title, creator=doc.meta["author"], subject=doc.title,
                                       created_date=stamp, modified_date=stamp)
        title_cp = hw.styles.ensure_run(bold=True, size=16)
        bold_cp = hw.styles.ensure_run(bold=True)
        heading_cp = {level: hw.styles.ensure_run(bold=True, size=size)
                      for level, size in ((1, 13), (2, 12), (3, 11), (4, 10))}

        first = hw.paragraphs[0]
        first.text = doc.title
        first.char_pr_id_ref = title_cp
        centred = [first]
        indents: dict[tuple[int, bool], list[Any]] = {}
        for block in doc.blocks[1:]:
            if block.kind == "heading":
                heading = hw.add_paragraph(block.text, style=f"개요 {block.level}", para_pr_id_ref="0",
                                           char_pr_id_ref=heading_cp[block.level])
                if doc.kind == "statute" and block.text.startswith("[별표"):
                    heading.element.set("pageBreak", "1")
            elif block.kind == "para":
                role = paragraph_role(doc, block)
                if role.name == "preamble":
                    para = hw.add_paragraph(block.text, style="바탕글", para_pr_id_ref="0",
                                            char_pr_id_ref="0")
                    centred.append(para)
                    continue
                if role.name == "article":
                    label, rest = split_article(block.text)
                    para = hw.add_paragraph("", style="바탕글", para_pr_id_ref="0", include_run=False)
                    para.add_run(label, char_pr_id_ref=bold_cp)
                    para.add_run(rest, char_pr_id_ref="0")
                else:
                    para = hw.add_paragraph(block.text, style="바탕글", para_pr_id_ref="0",
                                            char_pr_id_ref="0")
                if role.indent or role.hanging:
                    indents.setdefault((role.indent, role.hanging), []).append(para)
            else:
                _hwpx_table(hw, block.rows, bold_cp)
        hw.styles.apply_paragraph_format(paragraphs=centred, alignment="CENTER")
        for (indent, hanging), paragraphs in sorted(indents.items()):
            hang = HWPX_INDENT_MM if hanging else 0.0
            hw.styles.apply_paragraph_format(paragraphs=paragraphs,
                                             indent_left_mm=indent * HWPX_INDENT_MM + hang,
                                             first_line_indent_mm=-hang)
        data = hw.to_bytes()
    return normalize_zip(data, doc.zip_time)


def _hwpx_table(hw: Any, rows: list[list[str]], bold_cp: str) -> None:
    columns = len(rows[0])
    table = hw.add_table(len(rows), columns)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            table.set_cell_text(r, c, cell)
            if r == 0:
                table.set_cell_shading(r, c, "#E6E6E6")
                for paragraph in table.cell(r, c).paragraphs:
                    paragraph.char_pr_id_ref = bold_cp
    table.set_column_widths([min(max(max(len(row[c]) for row in rows), 3), 28) for c in range(columns)])


# ----------------------------------------------------------------------------------------------------------
# DOCX (python-docx)

DOCX_INDENT_PT = 11.0


def render_docx(doc: SourceDoc) -> bytes:
    """DOCX with Title / Heading 1-4 styles, indented markers and real tables."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        style = document.styles[name]
        style.font.name = DOCX_FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), DOCX_FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    document.styles["Normal"].font.size = Pt(10.5)

    when = dt.datetime(doc.date.year, doc.date.month, doc.date.day, 9, 0, 0)
    core = document.core_properties
    core.title = doc.title
    core.subject = doc.title
    core.author = doc.meta["author"]
    core.last_modified_by = doc.meta["author"]
    core.keywords = doc.department
    core.comments = ""
    core.category = {"statute": "자치법규", "manual": "업무 매뉴얼", "guideline": "지침"}[doc.kind]
    core.language = "ko-KR"
    core.created = when
    core.modified = when
    core.last_printed = when
    core.revision = 1

    for block in doc.blocks:
        if block.kind == "title":
            document.add_paragraph(block.text, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind == "heading":
            document.add_heading(block.text, level=block.level)
        elif block.kind == "para":
            role = paragraph_role(doc, block)
            paragraph = document.add_paragraph()
            if role.name == "preamble":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if role.name == "article":
                label, rest = split_article(block.text)
                paragraph.add_run(label).bold = True
                paragraph.add_run(rest)
            else:
                paragraph.add_run(block.text)
            if role.indent or role.hanging:
                hang = DOCX_INDENT_PT if role.hanging else 0.0
                paragraph.paragraph_format.left_indent = Pt(role.indent * DOCX_INDENT_PT + hang)
                paragraph.paragraph_format.first_line_indent = Pt(-hang)
        else:
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = document.styles["Table Grid"]
            for r, row in enumerate(block.rows):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = ""
                    run = cell.paragraphs[0].add_run(text)
                    run.bold = r == 0
            header = table.rows[0]._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            header.append(repeat)
    out = io.BytesIO()
    document.save(out)
    return normalize_zip(out.getvalue(), doc.zip_time)


# ----------------------------------------------------------------------------------------------------------
# TXT and MD


def render_txt(doc: SourceDoc) -> bytes:
    """Plain text as an old system exports it: markers indented with spaces, table cells tab-separated."""
    lines: list[str] = []
    for block in doc.blocks:
        if block.gap_before and lines and lines[-1]:
            lines.append("")
        if block.kind in ("title", "heading"):
            lines.append(block.text)
        elif block.kind == "para":
            role = paragraph_role(doc, block)
            lines.append("  " * role.indent + block.text)
        else:
            lines.extend("\t".join(row) for row in block.rows)
    newline = "\r\n" if doc.meta.get("newline", "lf") == "crlf" else "\n"
    return (newline.join(lines) + newline).encode(doc.meta.get("encoding", "utf-8"))


def render_md(doc: SourceDoc) -> bytes:
    """Markdown: # headings, one paragraph per line, pipe tables with a separator row."""
    parts: list[str] = []
    for block in doc.blocks:
        if block.kind == "title":
            parts.append(f"# {block.text}")
        elif block.kind == "heading":
            parts.append(f"{'#' * (block.level + 1)} {block.text}")
        elif block.kind == "para":
            parts.append(block.text)
        else:
            rows = [f"| {' | '.join(row)} |" for row in block.rows]
            rows.insert(1, "|" + "|".join(" --- " for _ in block.rows[0]) + "|")
            parts.append("\n".join(rows))
    return ("\n\n".join(parts) + "\n").encode("utf-8")


RENDERERS: dict[str, Callable[[SourceDoc], bytes]] = {
    "pdf": render_pdf, "hwpx": render_hwpx, "docx": render_docx, "txt": render_txt, "md": render_md,
}


def render(doc: SourceDoc) -> bytes:
    """Check and render one document to the bytes of its output file."""
    if doc.format not in RENDERERS:
        raise ValueError(f"{doc.path}: unsupported output format {doc.format!r}")
    check_document(doc)
    return RENDERERS[doc.format](doc)


# ----------------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="compare with the files on disk instead of writing")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR,
                        help="output root (default: sample_manuals)")
    args = parser.parse_args(argv)

    stale: list[str] = []
    for doc in load_sources():
        data = render(doc)
        target = args.output / doc.department / doc.output
        relative = f"{doc.department}/{doc.output}"
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"{len(data):>8}  {relative}")
    if stale:
        print("out of date (run python3 tools/samples/render.py):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
