"""Which version of a law is in force, and what an answer must say about the versions it cites.

Laws change: a department's folder can hold the version in force and an amendment not yet in force (the law
portal publishes both; its file names end in the effective date, `고용보험법(법률)(제21473호)(20280101).pdf`).
Answers come from the version in force today; an article quoted from a version not yet in force is flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bots.citations import Citation, korean_date
from bots.query import squash
from connectors.index.keyword import KeywordIndex

NOT_IN_FORCE = "{date} 시행 예정 — 현재 시행 중인 조문이 아닙니다"


@dataclass(frozen=True, slots=True)
class InForce:
    """The version of a law in force on a day, among the versions a bot holds."""

    department: int  # position of its department among the bot's
    file: str
    effective_date: str
    others: tuple[tuple[str, str], ...]  # (file, effective date) of the other versions held


def versions_in_force(keywords: Sequence[KeywordIndex], files_of: Callable[[int], set[str] | None],
                      today: date) -> dict[str, InForce]:
    """For each law (squashed title) held in versions of different effective dates, the one in force `today`: the
    latest that has taken effect, else the earliest. `files_of(d)`: the files a bot narrowed to chosen documents
    holds in department d (None: all of them)."""
    files: dict[str, list[tuple[str, int, str]]] = {}
    for d, ki in enumerate(keywords):
        held = files_of(d)
        for title, dated in ki.versions().items():
            files.setdefault(title, []).extend((effective, d, file) for file, effective in dated.items()
                                               if held is None or file in held)
    day = today.isoformat()
    chosen: dict[str, InForce] = {}
    for title, found in files.items():
        dates = {effective for effective, _, _ in found}
        if len(dates) < 2 or "" in dates:
            continue  # one version (perhaps in several copies), or a copy whose date is unknown: nothing to choose
        effective = in_force_date(dates, day)
        copies = [item for item in found if item[0] == effective]  # the same version in several files: as before,
        effective, d, file = max(copies) if effective <= day else min(copies)  # the last sorted once in force
        others = tuple(sorted({(f, e) for e, _, f in found if e != effective}, key=lambda item: item[1]))
        chosen[title] = InForce(d, file, effective, others)
    return chosen


def in_force_date(dates: set[str], day: str) -> str:
    """Of a law's effective dates (ISO), the version in force on `day`: the latest that has taken effect, else the
    earliest ("" for none)."""
    started = [effective for effective in dates if effective <= day]
    return max(started) if started else min(dates, default="")


def version_warnings(citations: Sequence[Citation], versions: dict[str, InForce], today: date) -> list[str]:
    """What the reader must know of the versions an answer cites: articles of a version not yet in force, and for
    a law held in several versions, which one answered and which were set aside."""
    day = today.isoformat()
    pending: dict[tuple[str, str], list[str]] = {}  # (law, effective date) -> its cited articles not in force
    older: dict[str, list[str]] = {}  # law -> cited articles of an earlier version only
    answered: dict[str, InForce] = {}  # law -> the version in force, when the answer cites it
    for citation in citations:
        law = citation.title or citation.file
        version = versions.get(squash(citation.title)) if citation.title else None
        if citation.effective_date and citation.effective_date > day:
            _add(pending.setdefault((law, citation.effective_date), []), citation.article)
        elif version is not None and citation.file == version.file:
            answered[law] = version
        elif version is not None and citation.effective_date < version.effective_date:
            _add(older.setdefault(law, []), citation.article)
    warnings = [f"{_name(law, articles)}: " + NOT_IN_FORCE.format(date=korean_date(effective))
                for (law, effective), articles in pending.items()]
    for law, version in answered.items():
        others = ", ".join(f"{korean_date(effective)} {'시행 예정인' if effective > day else '시행된 이전'} 판"
                           f"({file.rsplit('/', 1)[-1]})" for file, effective in version.others)
        count = "두" if len(version.others) == 1 else "여러"
        warnings.append(f"「{law}」: 문서에 있는 {count} 판 가운데 지금 시행 중인 판(시행 "
                        f"{korean_date(version.effective_date)})으로 답했습니다. {others}은 쓰지 않았습니다.")
    warnings += [f"{_name(law, articles)}: 지금 시행 중인 판에는 없는 이전 판의 조문입니다"
                 for law, articles in older.items()]
    return warnings


def _add(articles: list[str], article: str) -> None:
    if article and article not in articles:
        articles.append(article)


def _name(law: str, articles: list[str]) -> str:
    return " ".join(filter(None, (f"「{law}」", ", ".join(articles))))


def statute_notes(keywords: KeywordIndex, today: date) -> dict[str, str]:
    """For the builder's document list, per statute file of one department: its effective date and where it stands
    among the versions of its law the folder holds ("시행 중", "시행 예정", "이전 판", a duplicate copy)."""
    day = today.isoformat()
    notes: dict[str, str] = {}
    for dated in keywords.versions().values():
        in_force = in_force_date({effective for effective in dated.values() if effective}, day)
        for file, effective in dated.items():
            if not effective:
                notes[file] = "시행일 모름"
                continue
            note = f"시행 {korean_date(effective)}"
            if effective > day:
                note += " · 시행 예정"
            elif effective == in_force:
                note += " · 시행 중"
            else:
                current = sorted(f for f, e in dated.items() if e == in_force)
                note += f" · 이전 판 (시행 중인 판: {current[0].rsplit('/', 1)[-1]})"
            copies = sorted(f.rsplit("/", 1)[-1] for f, e in dated.items() if e == effective and f != file)
            if copies:
                note += f" · ⚠️ 같은 판 중복: {', '.join(copies)}"
            notes[file] = note
    return notes
