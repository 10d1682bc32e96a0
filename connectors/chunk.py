"""The chunk: one searchable unit of a department's knowledge, and its metadata contract in Chroma.

This module is the one place that knows the chunk metadata keys (ARCHITECTURE.md, "Chunk metadata").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

ChunkKind = Literal["statute", "manual"]

# Chroma metadata cannot hold None: absent text is "" and absent pages are 0.
_TEXT_KEYS = ("department", "file", "file_sha256", "heading", "article", "article_title", "paragraph", "kind", "title",
              "effective_date", "promulgation", "format")
_INT_KEYS = ("page_start", "page_end", "ordinal")
TOKENS_KEY = "tokens"
# Where each page starts inside a chunk's text, as "offset:page" pairs ("0:2,412:3"): Chroma metadata is flat.
# Written only for chunks that span pages; a chunk without it (or from an older index) is on its page_start.
PAGE_OFFSETS_KEY = "page_offsets"
# Pages of the chunk whose text OCR recognised ("3,4"), so a citation can say to check the original. Written only
# when there are some.
OCR_PAGES_KEY = "ocr_pages"
# 1 when the chunk holds text OCR recognised in a picture embedded in a document without pages (DOCX, HWPX, HWP).
# Written only when true.
OCR_PICTURE_KEY = "ocr_picture"


@dataclass(slots=True)
class Chunk:
    """A chunk with the metadata a citation needs (file, pages, article, paragraph, heading path)."""

    text: str
    file: str
    kind: ChunkKind
    title: str = ""
    heading: str = ""  # heading path, e.g. "제2장 민원의 처리 > 제1절 통칙"
    article: str = ""  # "제9조의2"; "" for manuals
    article_title: str = ""  # the article's title, "정의" of "제2조(정의)"
    paragraph: str = ""  # "②" when the article was split by 항
    page_start: int | None = None
    page_end: int | None = None
    effective_date: str = ""  # "2026-09-11": the statute's [시행 …] date, else the law-portal file name's
    promulgation: str = ""  # "법률 제21512호, 2026. 3. 31." (or "법률 제21512호" from the file name): which version
    ordinal: int = 0  # position in the file
    department: str = ""
    file_sha256: str = ""
    format: str = ""
    tokens: list[str] = field(default_factory=list)  # keyword-index tokens of index_text
    id: str = ""
    page_offsets: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where a page starts
    ocr_pages: list[int] = field(default_factory=list)  # pages of this chunk read by OCR
    ocr_picture: bool = False  # holds text read by OCR from an embedded picture (formats without pages)

    def page_at(self, offset: int) -> int | None:
        """The page holding the character at `offset` of the text (page_start when page starts are unknown)."""
        page = self.page_start
        for start, number in self.page_offsets:
            if start > offset:
                break
            page = number
        return page

    @property
    def index_text(self) -> str:
        """What is embedded and tokenised: the text with its law or manual name and heading path in front."""
        context = " ".join(part for part in (self.title, self.heading) if part)
        return f"{context}\n{self.text}" if context else self.text

    def assign_id(self) -> None:
        """A stable id from the department, file, file content, position and text."""
        key = "\0".join((self.department, self.file, self.file_sha256, str(self.ordinal), self.text))
        self.id = hashlib.sha1(key.encode("utf-8")).hexdigest()

    def to_metadata(self) -> dict[str, Any]:
        """Flat Chroma metadata; tokens travel with the chunk so any server can rebuild the keyword index."""
        meta: dict[str, Any] = {key: getattr(self, key) or "" for key in _TEXT_KEYS}
        meta.update({key: getattr(self, key) or 0 for key in _INT_KEYS})
        meta[TOKENS_KEY] = " ".join(self.tokens)
        if len(self.page_offsets) > 1:
            meta[PAGE_OFFSETS_KEY] = ",".join(f"{start}:{page}" for start, page in self.page_offsets)
        if self.ocr_pages:
            meta[OCR_PAGES_KEY] = ",".join(map(str, self.ocr_pages))
        if self.ocr_picture:
            meta[OCR_PICTURE_KEY] = 1
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from a Chroma record (id, document, metadata)."""
        values: dict[str, Any] = {key: str(meta.get(key, "") or "") for key in _TEXT_KEYS}
        values["page_start"] = int(meta.get("page_start") or 0) or None
        values["page_end"] = int(meta.get("page_end") or 0) or None
        values["ordinal"] = int(meta.get("ordinal") or 0)
        values["kind"] = "statute" if values["kind"] == "statute" else "manual"
        tokens = str(meta.get(TOKENS_KEY, "") or "").split()
        offsets = _parse_offsets(str(meta.get(PAGE_OFFSETS_KEY, "") or ""))
        ocr_pages = [int(page) for page in str(meta.get(OCR_PAGES_KEY, "") or "").split(",") if page.isdigit()]
        return cls(text=text, tokens=tokens, id=chunk_id, page_offsets=offsets, ocr_pages=ocr_pages,
                   ocr_picture=bool(meta.get(OCR_PICTURE_KEY)), **values)


def _parse_offsets(value: str) -> list[tuple[int, int]]:
    """"0:2,412:3" -> [(0, 2), (412, 3)]; a malformed value reads as none (the chunk is on its page_start)."""
    pairs: list[tuple[int, int]] = []
    for item in value.split(","):
        start, _, page = item.partition(":")
        if not (start.isdigit() and page.isdigit()):
            return []
        pairs.append((int(start), int(page)))
    return pairs if value else []
