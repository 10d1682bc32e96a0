"""Bring a department folder's statutes in line with the law portal, then re-index what changed.

Every listed law is fetched before anything is written: a network failure or an error page on any law stops the
run with the department's documents exactly as they were. A law the portal does not know, or one repealed, is
reported and the others go on. A law whose text did not change is not written again, so re-indexing skips it
(the folder's content hashes decide: only an amended law's chunks change).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connectors.errors import LawNotFoundError
from connectors.ingest import Reindexer, ReindexReport
from connectors.laws.client import LawPortal
from connectors.laws.listing import law_list_path, read_law_list
from connectors.laws.parse import LawText, LawVersion
from connectors.laws.render import dotted, render_law
from connectors.library import safe_name

log = logging.getLogger(__name__)
LawStatus = Literal["written", "unchanged", "repealed", "not_found"]


@dataclass(slots=True)
class LawResult:
    """What a sync did with one listed law."""

    entry: str  # as listed: a name or a law ID
    status: LawStatus
    name: str = ""
    file: str = ""
    effective: str = ""  # '2026. 9. 11.'
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `--json` shape."""
        return {"entry": self.entry, "status": self.status, "name": self.name or None, "file": self.file or None,
                "effective": self.effective or None, "message": self.message or None}


@dataclass(slots=True)
class SyncReport:
    """One department's sync: each listed law, then the re-index of its folder (None when nothing was listed)."""

    department: str
    laws: list[LawResult]
    index: ReindexReport | None = None


def squash(name: str) -> str:
    """A law name without spaces: '개인정보 보호법' and '개인정보보호법' name the same law."""
    return "".join(name.split())


def law_file(name: str) -> str:
    """The file a law from the portal is kept in, in the department folder."""
    return safe_name(f"{name}.txt")


def find_law(portal: LawPortal, entry: str) -> LawVersion:
    """The current version of the law named `entry` (the exact name among the search results)."""
    exact = [v for v in portal.search(entry) if squash(v.name) == squash(entry)]
    if not exact:
        raise LawNotFoundError(entry, "법령 포털에서 이 이름의 법령을 찾지 못했습니다",
                               "법령 목록에 정확한 법령명(예: 개인정보 보호법)이나 법령ID를 적어 주세요")
    # Several versions of one name: the one in force (현행) before history (연혁), then the latest. A repealed law
    # is listed with 제개정구분명 "폐지" where the search still holds it; where it does not, it is "not found".
    return max(exact, key=lambda v: (v.current == "현행", v.effective, v.number.zfill(10)))


def fetch_entry(portal: LawPortal, entry: str) -> LawText | LawVersion:
    """The law's text, or its version when the portal says it was repealed (no text is fetched then)."""
    if entry.isdigit():  # a 법령ID: the portal gives its current text
        return portal.law_text(entry, law_id=entry)
    version = find_law(portal, entry)
    if version.repealed:
        return version
    return portal.law_text(entry, mst=version.mst) if version.mst else portal.law_text(entry, law_id=version.law_id)


def sync_folder(portal: LawPortal, reindexer: Reindexer, folder: Path, department: str) -> SyncReport:
    """Fetch every listed law, write the changed ones into the folder, and re-index the folder."""
    entries = read_law_list(folder)
    if not entries:
        return SyncReport(department, [])
    fetched: list[tuple[str, LawText | LawVersion | LawNotFoundError]] = []
    for entry in entries:  # LawPortalError (network, error page) leaves here, before any file is written
        try:
            fetched.append((entry, fetch_entry(portal, entry)))
        except LawNotFoundError as exc:
            fetched.append((entry, exc))
    results = [_keep(folder, entry, outcome) for entry, outcome in fetched]
    report = reindexer.reindex(folder, department)
    log.info("laws synced department=%s written=%d", department, sum(r.status == "written" for r in results))
    return SyncReport(department, results, report)


def _keep(folder: Path, entry: str, outcome: LawText | LawVersion | LawNotFoundError) -> LawResult:
    if isinstance(outcome, LawNotFoundError):
        return LawResult(entry, "not_found", message=outcome.message)
    version = outcome if isinstance(outcome, LawVersion) else outcome.version
    file = law_file(version.name)
    if isinstance(outcome, LawVersion) or version.repealed:
        kept = f"파일 {file}은 그대로 두었습니다. " if (folder / file).exists() else ""
        return LawResult(entry, "repealed", version.name, file if kept else "", dotted(version.effective),
                         f"{version.name}: 폐지된 법령입니다 ({dotted(version.promulgated)} {version.change}) — "
                         f"{kept}더 필요 없으면 {law_list_path(folder).name}에서 지워 주세요")
    written = write_if_changed(folder / file, render_law(outcome))
    return LawResult(entry, "written" if written else "unchanged", version.name, file, dotted(version.effective))


def write_if_changed(path: Path, text: str) -> bool:
    """Write the text unless the file holds it already (then its time and hash stay); True when written."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    temporary = path.with_name(f".law-{uuid.uuid4().hex}")  # hidden: a re-index running meanwhile skips it
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True
