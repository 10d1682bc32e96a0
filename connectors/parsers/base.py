"""The parser protocol: bytes of one file in, one Document out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from connectors.document import Document


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Limits that protect the parsers from hostile input."""

    max_file_bytes: int = 200 * 1024 * 1024
    # Zip containers (DOCX, HWPX): total unpacked size and the unpacked/packed ratio that mark a zip bomb.
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_compression_ratio: float = 200.0


class Parser(Protocol):
    """Reads the bytes of one file into a Document; raises a connectors.errors.ParseError subclass."""

    def __call__(self, data: bytes, file: str, limits: ParseLimits) -> Document: ...
