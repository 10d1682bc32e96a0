"""Chunk sizes, chosen by the composition root from settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    """Sizes in characters (Korean text: about 1.5-2 characters per embedding-model token)."""

    max_chars: int = 1000  # a manual chunk
    overlap_chars: int = 150  # repeated between consecutive manual chunks of one section
    article_split_chars: int = 1500  # an article longer than this is split by 항
