"""Regular expressions for the structure of Korean statutes and administrative manuals."""

from __future__ import annotations

import re

# 항 numbers are circled digits ①-⑳ (U+2460..2473), then ㉑-㉟ (U+3251..325F) and ㊱-㊿ (U+32B1..32BF).
CIRCLED = "\u2460-\u2473\u3251-\u325f\u32b1-\u32bf"
PARAGRAPH_START = re.compile(rf"^([{CIRCLED}])")
# An article starts a paragraph as "제N조(제목) …" or "제N조의M(제목) …"; a deleted one reads "제7조 삭제 <…>".
# Old laws (the Constitution, 귀속재산처리법) have no titles: "제10조 모든 국민은 …" — group 3 is then None.
ARTICLE_HEAD = re.compile(r"^제\s?(\d+)\s?조(?:의\s?(\d+))?(?:\s*\(([^()]{0,80})\)|\s+(?=삭제)|(?=\s+\S))")
# 편/장/절/관 headings, e.g. "제2장 민원의 처리", "제1절의2 통칙".
PART_HEAD = re.compile(r"^제\s?\d+\s?(편|장|절|관)(?:의\s?\d+)?(?:\s+\S.*)?$")
PART_LEVEL = {"편": 1, "장": 2, "절": 3, "관": 4}
ADDENDA_HEAD = re.compile(r"^부\s*칙(?:\s*[<(\[].*)?$")
# "[별표 1]" or a line that is only "별표 1 <개정 …>": never "별표 1에 따른 …" inside an article.
ANNEX_HEAD = re.compile(r"^(?:\[\s*별\s*표[^\]]{0,12}\]|별\s*표\s*\d+(?:의\s*\d+)?(?:\s*[<(\[].*)?$)")
# 목 letters are 가 나 다 … 하 in order: not the range 가-하, which holds every syllable ("다. " ending a wrapped
# sentence, "요. ").
LETTERS = "가나다라마바사아자차카타파하"
ITEM_START = re.compile(rf"^(\d+\.|\d+의\d+\.|[{LETTERS}]\.|\d+\)|[{LETTERS}]\))\s")
EFFECTIVE = re.compile(r"\[시행\s*(\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*\]")
# Manual headings: Ⅰ. / 1. / 1.1 / 가. and the □ ○ - markers of Korean administrative writing.
ROMAN_HEAD = re.compile(r"^([ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+|[IVX]+)\s*[.)]\s*\S")
NUMBER_HEAD = re.compile(r"^\d{1,2}\.\s+\S")
DOTTED_HEAD = re.compile(r"^\d{1,2}(\.\d{1,2}){1,3}\.?\s+\S")
LETTER_HEAD = re.compile(rf"^[{LETTERS}]\.\s+\S")
LETTER_ITEM = re.compile(rf"^([{LETTERS}])[.)]\s")
BOX_MARK = re.compile(r"^[□■◆◇▣]\s*")
# A bullet is one mark ("- 내용", "1)"): not a rule of dashes ("-----", a table's unchanged text) nor the
# "2125732)" a wrapped line can end with.
BULLET_MARK = re.compile(r"^([○◦●ㅇ\-–·※*](?![-–])|\d{1,2}\))\s*")


def article_label(match: re.Match[str]) -> str:
    """'제9조의2' from an ARTICLE_HEAD match."""
    number, sub = match.group(1), match.group(2)
    return f"제{number}조의{sub}" if sub else f"제{number}조"


def article_key(match: re.Match[str]) -> tuple[int, int]:
    """(article number, 의 number) for ordering checks."""
    return int(match.group(1)), int(match.group(2) or 0)


def effective_date(text: str) -> str:
    """'2026-09-11' from a '[시행 2026. 9. 11.]' line, or ''."""
    match = EFFECTIVE.search(text)
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


# "[법률 제21512호, 2026. 3. 31., 일부개정]", "[한빛시조례 제1234호, 2025. 6. 20.]", "[국토교통부령 제1531호, …]".
PROMULGATION = re.compile(r"\[\s*([가-힣]{0,20}?(?:법률|령|조례|규칙|훈령|예규|고시))\s*제\s*(\d+(?:-\d+)?)\s*호\s*,"
                          r"\s*(\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?")
# The law portal's file names: "고용보험법(법률)(제21473호)(20280101).pdf" — kind, number, effective date.
LAW_FILE_VERSION = re.compile(r"\(([가-힣]{1,20})\)\(제(\d+(?:-\d+)?)호\)\((\d{4})(\d{2})(\d{2})\)\.[A-Za-z]+$")


def promulgation(text: str) -> str:
    """'법률 제21512호, 2026. 3. 31.' from a statute's '[법률 제21512호, 2026. 3. 31., 일부개정]' line, or ''."""
    match = PROMULGATION.search(text)
    if not match:
        return ""
    kind, number, year, month, day = match.groups()
    return f"{kind} 제{number}호, {int(year)}. {int(month)}. {int(day)}."


def file_version(file: str) -> tuple[str, str]:
    """(effective date, promulgation number) from a law-portal file name, e.g. ('2028-01-01', '법률 제21473호')."""
    match = LAW_FILE_VERSION.search(file)
    if not match:
        return "", ""
    kind, number, year, month, day = match.groups()
    return f"{year}-{month}-{day}", f"{kind} 제{number}호"
