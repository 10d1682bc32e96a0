"""Chunking: statute-aware for statutes and ordinances, manual-aware for everything else."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from connectors.chunk import Chunk
from connectors.chunking.manual import chunk_manual
from connectors.chunking.options import ChunkOptions
from connectors.chunking.statute import chunk_statute, is_statute
from connectors.document import Document

__all__ = ["ChunkOptions", "chunk_document", "document_title", "is_statute"]

# law.go.kr download names: "<법령명>(<법령구분>)(제<번호>호)(<시행일자>).pdf"
_LAW_FILE_SUFFIX = re.compile(r"(\([^()]*\))+$")


def document_title(document: Document) -> str:
    """The law's or manual's name: the document's title, else the file name without law.go.kr suffixes."""
    title = (document.title or "").strip()
    if title and not title.startswith("[") and len(title) <= 120:
        return title
    stem = PurePosixPath(document.file).stem
    return _LAW_FILE_SUFFIX.sub("", stem).strip() or stem


def chunk_document(document: Document, options: ChunkOptions | None = None) -> list[Chunk]:
    """Chunks of one document, statute-aware when it reads as a statute or ordinance."""
    options = options or ChunkOptions()
    title = document_title(document)
    chunks = chunk_statute(document, title, options) if is_statute(document) else chunk_manual(document, title, options)
    if document.ocr_pages:
        recognised = set(document.ocr_pages)
        for chunk in chunks:
            first = chunk.page_start or 0
            chunk.ocr_pages = [page for page in range(first, (chunk.page_end or first) + 1) if page in recognised]
    # Lines read from a picture carry no page: a chunk is marked when one of its lines is one of them.
    if pictured := {block.text for block in document.blocks if block.ocr}:
        for chunk in chunks:
            chunk.ocr_picture = not pictured.isdisjoint(chunk.text.split("\n"))
    return chunks
