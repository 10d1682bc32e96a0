"""A law from the portal written as the statute text our chunker reads (connectors/chunking/statute.py).

The layout is the law portal's own text: the name, then "[시행 2026. 9. 11.] [법률 제21445호, 2026. 3. 10.,
일부개정]" (patterns.EFFECTIVE and patterns.PROMULGATION: every chunk carries the version), then headings and
articles one per line, each 항 (①), 호 (1.) and 목 (가.) on a line of its own, then each 부칙, then each 별표 under
a "[별표 1] 제목" line (patterns.ANNEX_HEAD: the chunker gives it chunks of its own).
"""

from __future__ import annotations

import re

from connectors.laws.parse import Article, LawText

_BLANKS = re.compile(r"\n{3,}")


def dotted(date: str) -> str:
    """'2026. 3. 10.' from '20260310' ('' when it is not a date)."""
    if len(date) != 8 or not date.isdigit():
        return ""
    return f"{int(date[:4])}. {int(date[4:6])}. {int(date[6:])}."


def version_line(law: LawText) -> str:
    """The '[시행 …] [법률 제N호, …, 일부개정]' line."""
    version = law.version
    parts = []
    if effective := dotted(version.effective):
        parts.append(f"[시행 {effective}]")
    if version.number:
        details = [f"{version.kind or '법령'} 제{version.number}호", dotted(version.promulgated), version.change]
        parts.append("[" + ", ".join(d for d in details if d) + "]")
    return " ".join(parts)


def render_law(law: LawText) -> str:
    """The whole text of the law file (UTF-8, one line per heading, article, 항, 호 and 목)."""
    lines = [law.version.name]
    if head := version_line(law):
        lines.append(head)
    lines.append("")
    for article in law.articles:
        lines.extend(_article_lines(article))
    for addendum in law.addenda:
        lines.append("")
        lines.extend(addendum if addendum[0].startswith("부칙") else ["부칙", *addendum])
    for annex in law.annexes:
        lines += ["", f"[{annex.label}] {annex.title}".rstrip(), *annex.lines]
    return _BLANKS.sub("\n\n", "\n".join(lines)).rstrip() + "\n"


def _article_lines(article: Article) -> list[str]:
    if article.heading:
        return ["", article.text]
    lines = [article.text] if article.text else []
    for paragraph in article.paragraphs:
        if paragraph.text and paragraph.text != article.text:
            lines.append(paragraph.text)
        for item in paragraph.items:
            lines.append(item.text)
            lines.extend(item.subitems)
    return lines
