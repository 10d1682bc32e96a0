"""What the index remembers about each source file (for incremental re-indexing and document lists)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FileStatus = Literal["indexed", "failed"]


@dataclass(slots=True)
class FileRecord:
    """One source file of a department: its content hash, what indexing made of it, and any error."""

    file: str
    sha256: str  # of the content whose chunks are in the index ("" when it never indexed)
    format: str = ""
    pages: int = 0
    chunks: int = 0
    status: FileStatus = "indexed"
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    indexed_at: str = ""  # ISO 8601, UTC
    failed_sha256: str = ""  # content that failed, when the last attempt failed
    pipeline: str = ""  # parser/chunker/tokenizer version that made the chunks

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for Chroma (lists joined by newlines)."""
        meta = asdict(self)
        meta["warnings"] = "\n".join(self.warnings)
        return meta

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> FileRecord:
        """Back from Chroma metadata."""
        text = {k: str(meta.get(k) or "") for k in ("format", "error", "indexed_at", "failed_sha256", "pipeline")}
        return cls(
            file=str(meta["file"]), sha256=str(meta.get("sha256") or ""), pages=int(meta.get("pages") or 0),
            chunks=int(meta.get("chunks") or 0), status="failed" if meta.get("status") == "failed" else "indexed",
            warnings=[w for w in str(meta.get("warnings") or "").split("\n") if w], **text,
        )
