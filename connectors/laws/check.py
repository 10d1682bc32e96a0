"""Which of a department's statutes the law portal has a newer version of, has repealed, or are not yet in force.

Nothing is written: the statutes are the laws the department lists and the statute files already indexed from
its folder (matched to the portal by their title), each compared by effective date and promulgation number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from connectors.errors import LawNotFoundError
from connectors.index.store import DepartmentIndex
from connectors.laws.client import LawPortal
from connectors.laws.parse import LawVersion
from connectors.laws.render import dotted
from connectors.laws.sync import find_law, law_file, squash

Flag = Literal["newer", "repealed", "not_in_force", "not_found", "missing"]
FLAG_LABELS: dict[str, str] = {"newer": "새 버전 있음", "repealed": "폐지됨", "not_in_force": "아직 시행 전",
                               "not_found": "포털에 없음", "missing": "폴더에 없음 (sync 필요)"}
_NUMBER = re.compile(r"제\s*(\d+)")


@dataclass(frozen=True, slots=True)
class LocalStatute:
    """A statute file of the department as its index read it."""

    file: str
    title: str
    effective_date: str = ""  # '2026-09-11'
    promulgation: str = ""  # '법률 제21445호, 2026. 3. 10.'


@dataclass(slots=True)
class StatuteCheck:
    """One statute: the local version, the portal's, and what is wrong."""

    law: str
    file: str = ""
    local_effective: str = ""
    local_promulgation: str = ""
    portal_effective: str = ""
    portal_promulgation: str = ""
    listed: bool = False
    flags: list[Flag] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `--json` shape."""
        return {"law": self.law, "file": self.file or None, "listed": self.listed,
                "local_effective": self.local_effective or None,
                "local_promulgation": self.local_promulgation or None,
                "portal_effective": self.portal_effective or None,
                "portal_promulgation": self.portal_promulgation or None, "flags": list(self.flags)}


def local_statutes(index: DepartmentIndex) -> list[LocalStatute]:
    """The department's indexed statute files, with the version each states."""
    found = []
    for record in sorted(index.file_records().values(), key=lambda r: r.file):
        if record.status != "indexed" or not record.chunks:
            continue
        chunk = next((c for c in index.chunks_of(record.file) if c.kind == "statute"), None)
        if chunk is not None and chunk.title:
            found.append(LocalStatute(record.file, chunk.title, chunk.effective_date, chunk.promulgation))
    return found


def check_statutes(portal: LawPortal, entries: list[str], statutes: list[LocalStatute],
                   today: date) -> list[StatuteCheck]:
    """Each listed law and each indexed statute, compared with the portal (the portal is asked once per law)."""
    checks: list[StatuteCheck] = []
    seen: set[str] = set()
    for entry in entries:
        checks.append(_check_listed(portal, entry, statutes, today))
        seen.add(squash(checks[-1].law))
    for statute in statutes:
        if squash(statute.title) in seen:
            continue
        seen.add(squash(statute.title))
        checks.append(_check_local(portal, statute, today))
    return checks


def _check_listed(portal: LawPortal, entry: str, statutes: list[LocalStatute], today: date) -> StatuteCheck:
    try:
        version = portal.law_text(entry, law_id=entry).version if entry.isdigit() else find_law(portal, entry)
    except LawNotFoundError:
        return StatuteCheck(entry, listed=True, flags=["not_found"])
    local = _local_of(version.name, statutes)
    check = _compare(version, local, today)
    check.listed = True
    if local is None and not version.repealed:
        check.flags.append("missing")
    return check


def _check_local(portal: LawPortal, statute: LocalStatute, today: date) -> StatuteCheck:
    try:
        version = find_law(portal, statute.title)
    except LawNotFoundError:  # an ordinance or a city rule: the law search does not hold it, nothing to compare
        check = StatuteCheck(statute.title, statute.file, statute.effective_date, statute.promulgation)
        if _after(statute.effective_date, today):
            check.flags.append("not_in_force")
        return check
    return _compare(version, statute, today)


def _local_of(name: str, statutes: list[LocalStatute]) -> LocalStatute | None:
    own = law_file(name)
    return next((s for s in statutes if s.file == own), None) or next(
        (s for s in statutes if squash(s.title) == squash(name)), None)


def _compare(version: LawVersion, local: LocalStatute | None, today: date) -> StatuteCheck:
    portal_number = f"{version.kind} 제{version.number}호, {dotted(version.promulgated)}" if version.number else ""
    check = StatuteCheck(version.name, portal_effective=_iso(version.effective), portal_promulgation=portal_number)
    if version.repealed:
        check.flags.append("repealed")
    if local is None:
        return check
    check.file, check.local_effective, check.local_promulgation = local.file, local.effective_date, local.promulgation
    if not version.repealed and _newer(version, local):
        check.flags.append("newer")
    if _after(local.effective_date, today):
        check.flags.append("not_in_force")
    return check


def _newer(version: LawVersion, local: LocalStatute) -> bool:
    """The portal's version is later than the local one: a later effective date, or the same date under another
    promulgation (an amendment in force the same day)."""
    local_date = local.effective_date.replace("-", "")
    if version.effective and local_date and version.effective != local_date:
        return version.effective > local_date
    number = _NUMBER.search(local.promulgation)
    return bool(number and version.number and number.group(1).lstrip("0") != version.number)


def _after(effective: str, today: date) -> bool:
    return bool(effective) and effective > today.isoformat()


def _iso(day: str) -> str:
    return f"{day[:4]}-{day[4:6]}-{day[6:]}" if len(day) == 8 and day.isdigit() else ""
