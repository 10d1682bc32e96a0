"""Answer traces: what was asked, what was found (with scores), what was sent, which generator answered, timings.

Kept as one JSON line per answer in `traces/YYYY-MM-DD.jsonl` of the data folder, personal data masked, for the
evaluation and the web app's insights. A written trace's id says where it is (its day and its line's offset, then
random digits), so rating an answer reads one line, however many answers the server has given.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from builder.privacy import mask


@dataclass(slots=True)
class AnswerTrace:
    """The record of one answer."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    bot: str = ""
    departments: list[str] = field(default_factory=list)
    question: str = ""
    history: list[str] = field(default_factory=list)
    search_text: str = ""
    named: dict[str, list[str]] = field(default_factory=dict)  # articles, paragraphs and laws the question names
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    evidence: float = 0.0
    coverage: float = 0.0  # the largest share of the question one of the best units holds
    cautious: bool = False  # answered on thin evidence because a unit holds most of the question
    warnings: list[str] = field(default_factory=list)  # versions of cited laws (not yet in force, set aside)
    unknown_terms: list[str] = field(default_factory=list)  # question words no document has
    prompt: list[dict[str, str]] = field(default_factory=list)
    generator: str = ""
    fallback: str = ""  # why the configured generator was replaced by the extractive one
    dropped_markers: list[int] = field(default_factory=list)
    refused: bool = False
    refusal_reason: str = ""  # "evidence" (below the threshold) or "generator" (it said the documents do not answer)
    answer: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON line, its texts masked (never its ids: a hex id can look like a phone number)."""
        return json.dumps(_masked(asdict(self)), ensure_ascii=False)


_IDS = {"id", "created", "trace_id", "file_sha256"}
_LOCATOR = re.compile(r"(\d{4})(\d{2})(\d{2})([0-9a-f]{12})[0-9a-f]{12}")  # YYYYMMDD, line offset, random
_MAX_LINE = 16 * 1024 * 1024


def _masked(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return value if key in _IDS else mask(value)
    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    return value


class TraceLog:
    """Appends traces to a dated JSONL file; safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def write(self, trace: AnswerTrace) -> None:
        """Append one trace, giving it the id that locates it."""
        day = trace.created[:10]
        path = self.folder / f"{day}.jsonl"
        with self._lock:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except FileNotFoundError:  # the first trace (a mkdir for every answer was 4 % of the server's time)
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # Another process (the command line, a second server on this folder) may append to the same day:
                # the lock makes the size read here the offset this line is written at.
                fcntl.flock(fd, fcntl.LOCK_EX)
                offset = os.fstat(fd).st_size
                trace.id = f"{day.replace('-', '')}{offset:012x}{secrets.token_hex(6)}"
                os.write(fd, (trace.to_json() + "\n").encode("utf-8"))
            finally:
                os.close(fd)

    def read(self, trace_id: str) -> dict[str, Any] | None:
        """A trace by id, read from where the id says it is; None for any other id."""
        found = _LOCATOR.fullmatch(trace_id)
        if found is None:
            return None
        year, month, day, offset = found.groups()
        try:
            with (self.folder / f"{year}-{month}-{day}.jsonl").open("rb") as lines:
                lines.seek(int(offset, 16))
                row = json.loads(lines.readline(_MAX_LINE))
        except (OSError, ValueError):
            return None
        return dict(row) if isinstance(row, dict) and row.get("id") == trace_id else None

    def iter_traces(self, since: date | None = None) -> Iterator[dict[str, Any]]:
        """Every trace in files dated `since` or later, oldest first; unreadable files and corrupt lines skipped."""
        first = since.isoformat() if since else ""
        for path in sorted(self.folder.glob("*.jsonl")):
            try:
                day = date.fromisoformat(path.stem).isoformat()
            except ValueError:
                continue  # not a dated trace file
            if day < first:
                continue
            try:
                with path.open(encoding="utf-8", errors="replace") as lines:
                    for line in lines:
                        try:
                            row = json.loads(line)
                        except ValueError:
                            continue
                        if isinstance(row, dict):
                            yield row
            except OSError:
                continue
