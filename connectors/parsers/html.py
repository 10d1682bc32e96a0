"""HTML: the visible text, with headings and tables; scripts, styles and hidden parts dropped."""

from __future__ import annotations

from html.parser import HTMLParser

from connectors.document import Block, Document, table_block
from connectors.parsers.base import ParseLimits
from connectors.parsers.text import decode_text
from connectors.parsers.textnorm import normalize_line

_INVISIBLE = {"script", "style", "noscript", "template", "head", "svg"}
_BLOCK = {"p", "div", "li", "br", "section", "article", "header", "footer", "blockquote", "pre", "dd", "dt",
          "ul", "ol", "main", "nav", "aside", "form", "hr", "address", "figure", "figcaption"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


class _Collector(HTMLParser):
    """Collects blocks while walking the tag stream (stdlib parser: tolerant of broken markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buffer: list[str] = []
        self._hidden: list[str] = []  # open elements whose content is not shown
        self._in_title = False
        self._heading = 0
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE or any(k == "hidden" for k, _ in attrs) or _display_none(attrs):
            self._hidden.append(tag)
        if tag == "title":
            self._in_title = True
        elif tag in _HEADINGS or tag in _BLOCK:
            self._flush()
            self._heading = _HEADINGS.get(tag, 0)
        elif tag == "table":
            self._flush()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()
        if tag == "title":
            self._in_title = False
        elif tag in _HEADINGS or tag in _BLOCK:
            self._flush()
        elif tag in ("td", "th") and self._rows is not None and self._cell is not None:
            if not self._rows:
                self._rows.append([])
            self._rows[-1].append(normalize_line(" ".join(self._cell)))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.blocks.append(table_block(self._rows))
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._hidden:
            return
        elif self._cell is not None:
            self._cell.append(data)
        else:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = normalize_line(" ".join(self._buffer))
        self._buffer = []
        if text:
            if self._heading:
                self.blocks.append(Block(text=text, kind="heading", level=self._heading))
            else:
                self.blocks.append(Block(text=text))
        self._heading = 0


def _display_none(attrs: list[tuple[str, str | None]]) -> bool:
    style = next((v or "" for k, v in attrs if k == "style"), "")
    return "display:none" in style.replace(" ", "").lower()


def parse_html(data: bytes, file: str, limits: ParseLimits) -> Document:
    """Visible text of an HTML page as blocks; h1-h6 become headings."""
    text, _ = decode_text(data, file)
    collector = _Collector()
    collector.feed(_tail_as_text(text))
    collector.close()
    collector._flush()
    title = normalize_line(collector.title) or next((b.text for b in collector.blocks), None)
    return Document(file=file, format="html", blocks=collector.blocks, title=title)


def _tail_as_text(text: str) -> str:
    """The text with every "<" after the last ">" escaped: no tag can end there, so it is text anyway.

    Python's HTMLParser before 3.11.13/3.12.11/3.13.4 (CVE-2025-6069) rescans such a tail to its end once
    per "<" at close(), quadratic in its length: 200 KB of "<a" would take minutes.
    """
    cut = text.rfind(">") + 1
    return text[:cut] + text[cut:].replace("<", "&lt;")
