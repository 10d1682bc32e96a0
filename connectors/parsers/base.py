"""The parser protocol: bytes of one file in, one Document out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from connectors.document import Document
from connectors.parsers.ocr import OcrOptions


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Limits that protect the parsers from hostile input, and how pages without text are read (OCR, with its
    own time limit per page)."""

    max_file_bytes: int = 200 * 1024 * 1024
    # Zip containers (DOCX, HWPX): total unpacked size and the unpacked/packed ratio that mark a zip bomb.
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_compression_ratio: float = 200.0
    ocr: OcrOptions = field(default_factory=OcrOptions)


class Parser(Protocol):
    """Reads the bytes of one file into a Document; raises a connectors.errors.ParseError subclass."""

    def __call__(self, data: bytes, file: str, limits: ParseLimits) -> Document: ...
