"""The laws a department keeps current: one law name or law ID (법령ID) per line of a file in its folder.

The builder (or a lead with a text editor) edits the list; `deptbot laws sync` reads it. The list is not a
document: re-indexing skips it, so its law names never become an answer's source.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

LAW_LIST_FILE = "법령목록.txt"
_HEADER = ("# 법령 포털에서 최신 본문을 받아 둘 법령: 한 줄에 법령명(정확한 이름) 또는 법령ID 하나.\n"
           "# '#' 뒤는 설명입니다. 'deptbot laws sync --department 부서'가 이 목록대로 받아 색인합니다.\n")


def law_list_path(folder: Path) -> Path:
    """Where the department's list of laws is kept."""
    return folder / LAW_LIST_FILE


def parse_law_list(text: str) -> list[str]:
    """Entries of a list's text: '#' starts a comment, blank lines are skipped, each law once, in order."""
    entries: list[str] = []
    for line in text.splitlines():
        entry = " ".join(line.split("#", 1)[0].split())  # runs of spaces inside a name count as one
        if entry and entry not in entries:
            entries.append(entry)
    return entries


def read_law_list(folder: Path) -> list[str]:
    """The department's listed laws ([] when it has no list)."""
    path = law_list_path(folder)
    if not path.is_file():
        return []
    return parse_law_list(path.read_text(encoding="utf-8-sig"))


def write_law_list(folder: Path, entries: Sequence[str]) -> list[str]:
    """Replace the department's list (what the builder calls); returns the entries kept, cleaned as read back.

    Written beside its place and moved in, so a sync reading meanwhile sees the old list or the new, never half.
    """
    cleaned = parse_law_list("\n".join(entries))
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".laws-{uuid.uuid4().hex}"
    try:
        temporary.write_text(_HEADER + "".join(f"{entry}\n" for entry in cleaned), encoding="utf-8")
        os.replace(temporary, law_list_path(folder))
    finally:
        temporary.unlink(missing_ok=True)
    return cleaned
