"""What a question says about where its answer is: the articles and laws it names, and its follow-up context.

Korean staff write article references loosely ("제39조의2", "39조의2", "제 39 조의 2 제1항") and law names with
or without the spaces of the official title ("개인정보 보호법", "개인정보보호법"); both are matched here so that a
question naming an article finds it first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connectors.korean import squash

# "제39조의2", "39조의2", "제 39 조 의 2"; not "39조원" (money) and not the 조 of "조례", "조치" or "조직".
_ARTICLE = re.compile(r"(?<![\d가-힣])(?:제\s?)?(\d{1,4})\s?조(?:\s?의\s?(\d{1,3}))?(?![례치정사직건합작원])")
_PARAGRAPH = re.compile(r"(?:제\s?(\d{1,2})\s?항)|([①-⑳])")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# A follow-up leans on the previous turn: it points back ("그", "이", "위", "해당"), goes on from it ("그럼",
# "또") or is short.
_FOLLOW_UP = re.compile(r"^(?:그|이|저|위|해당|그건|이건|거기|그때|그 경우)\b|^(?:그|이|위|해당)\s")
_CONNECTIVE = re.compile(r"^(?:그럼|그러면|그리고|또|또한)\b\s*")
# A question with a subject of its own and something asked of it ("보상금은 누가 결정하나요?"), as against an
# elliptical one ("기한은?", "예외도 있나요?"): the word before 은/는/이/가, when more follows. Not a verb's form
# ("신청하는 방법", "있는"), and not a question word ("무엇이 필요한가요?" asks about the previous topic).
_OWN_SUBJECT = re.compile(r"(?<![가-힣])([가-힣]{2,})(?<![하되있없])(?:은|는|이|가)\s+\S")
_NO_SUBJECT = frozenset({"무엇", "어디", "누구", "언제", "얼마", "어느", "이것", "그것", "저것", "이거", "그거", "여기",
                         "거기"})
_SHORT_FOLLOW_UP = 12  # characters; "기한은요?", "예외도 있나요?"

# Search terms a question carries that say nothing about where its answer is. Our morpheme tokenizer keeps them
# (they are nouns and verb stems), and BM25 weighs them by rarity in the documents, which is exactly wrong for
# them: the placeholders of a case story (갑, 을, 甲, 乙) and the words of asking (질문, 설명, 어떻다, 여부) and of
# court issue statements (적극, 소극, 사안) are rare in statutes, so they drew results to the odd article that has
# them. Dropping them gained on a DEV split both ways (koblex, fire-safety, precedent); compounds survive
# ("적극행정" keeps its own term). Generic Korean question words only: nothing here names a topic.
QUESTION_STOPWORDS = frozenset({
    # case-story placeholders for parties
    "갑", "을", "병", "정", "甲", "乙", "丙", "丁",
    # asking
    "질문", "질의", "문의", "답변", "설명", "무엇", "어떻다", "어떠하다", "어디", "언제", "누구", "왜", "얼마", "몇",
    "며칠", "몇째",
    "여부", "궁금", "궁금하다", "알다", "알려주다", "주다", "가능", "가능하다",
    # the frame of a case or an issue statement
    "경우", "해당", "관련", "관하다", "대하다", "적극", "소극", "사안", "자신", "상황", "사례", "본문", "언급",
    # light verbs and bound or pointing words
    "있다", "없다", "하다", "되다", "이다", "않다", "수", "것", "등", "때", "후", "위", "이", "그", "저",
})


@dataclass(slots=True)
class QueryAnalysis:
    """The articles (e.g. "제39조의2"), paragraphs ("①") and law titles a question names."""

    articles: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    laws: list[str] = field(default_factory=list)
    # Titles a short name may stand for ("화재예방법"); only used to place an article named beside it.
    short_names: list[str] = field(default_factory=list)


def article_refs(text: str) -> list[str]:
    """Article labels named in a text, normalised to "제N조" / "제N조의M", in order, without repeats."""
    found: list[str] = []
    for match in _ARTICLE.finditer(text):
        label = f"제{match.group(1)}조" + (f"의{match.group(2)}" if match.group(2) else "")
        if label not in found:
            found.append(label)
    return found


def paragraph_refs(text: str) -> list[str]:
    """Paragraphs named in a text, as circled numbers ("제2항" -> "②")."""
    found: list[str] = []
    for match in _PARAGRAPH.finditer(text):
        if match.group(1):
            number = int(match.group(1))
            label = _CIRCLED[number - 1] if 1 <= number <= len(_CIRCLED) else ""
        else:
            label = match.group(2)
        if label and label not in found:
            found.append(label)
    return found


def law_mentions(text: str, titles: Iterable[str]) -> list[str]:
    """The titles (of the given ones) that the text names, spaces ignored; the longest match wins.

    "개인정보 보호법 시행령" in the text names that decree, not also "개인정보 보호법".
    """
    squashed = squash(text)
    spans: list[tuple[int, int, str]] = []
    for title in set(titles):
        for key in title_keys(title):
            start = squashed.find(key)
            while start >= 0:
                spans.append((start, start + len(key), title))
                start = squashed.find(key, start + 1)
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    chosen: list[str] = []
    covered_until = -1
    for _start, end, title in spans:
        if end <= covered_until:
            continue  # inside a longer title already chosen
        covered_until = max(covered_until, end)
        if title not in chosen:
            chosen.append(title)
    return chosen


_LOCAL_GOVERNMENT = re.compile(r"^[가-힣]{1,8}(?:특별시|광역시|특별자치시|특별자치도|시|도|군|구)\s+")


def title_keys(title: str) -> set[str]:
    """The spellings by which a text may name a law or an ordinance, spaces ignored.

    The full title; for a local ordinance, the title without its city ("한빛시 민원 처리에 관한 조례" is "민원 처리에
    관한 조례" to the city's own staff); and either without "에 관한" ("민원 처리 조례", "민원 처리법").
    """
    titles = {title}
    local = _LOCAL_GOVERNMENT.sub("", title)
    if local != title:
        titles.add(local)
    for name in list(titles):
        if "에 관한 " in name:
            titles.add(name.replace("에 관한 법률", "법").replace("에 관한 ", " "))
    # A variant must stay specific; the full title may be as short as "건축법".
    full = squash(title)
    return {key for key in map(squash, titles) if len(key) >= 4} | ({full} if len(full) >= 3 else set())


# A short law name: Hangul ending in 법 that is not 법률/법령/법인/법원 ("소방시설법", "화재예방법").
_SHORT_NAME = re.compile(r"([가-힣]{2,12})법(?![률령인원정])")
_DECREE = ("시행령", "시행규칙")


def short_name_mentions(text: str, titles: Iterable[str]) -> list[str]:
    """Acts a text names by a short name, such as "화재예방법" for "화재의 예방 및 안전관리에 관한 법률".

    Staff and citizens cite acts by their common short names; a short name keeps the title's first syllable and
    then some of its syllables in order. Several acts can fit ("소방시설법" fits 소방시설공사업법 too); all are
    returned, except that acts whose words the short name is made of come first and alone: a short name is built
    from the beginnings of a title's words and its closing 법/법률 ("화재예방법": 화재의 / 예방 / 법률; "지방계약법":
    지방자치단체를 / 계약에 / 법률), never by cutting the middle out of one word, so "소방시설법" is 소방시설 설치 및
    관리에 관한 법률 and not 소방시설공사업법. Decrees and rules are left out unless the text says 시행령 / 시행규칙
    right after the name.
    """
    found: list[str] = []
    squashed_titles = [(squash(title), title) for title in dict.fromkeys(titles)]
    for match in _SHORT_NAME.finditer(squash(text)):
        stem = match.group(1)
        after = squash(text)[match.end():match.end() + 4]
        decree = next((d for d in _DECREE if after.startswith(d)), "")
        fits: list[str] = []
        aligned: list[str] = []
        for key, title in squashed_titles:
            if key.endswith(_DECREE) != bool(decree) or (decree and not key.endswith(decree)):
                continue
            act = key.removesuffix(decree)
            if act.startswith(stem + "법") or not act.startswith(stem[0]) or not act.endswith(("법", "법률")):
                continue  # the full title itself is law_mentions' business
            if _in_order(stem, act):
                fits.append(title)
                if _of_words(stem, _spaced_act(title, decree)):
                    aligned.append(title)
        found += [title for title in aligned or fits if title not in found]  # per name: its best fits
    return found


def _spaced_act(title: str, decree: str) -> list[str]:
    """The words of an act's title (the act's, for a decree or rule), brackets and spaces as separators."""
    words = re.sub(r"[()「」·ㆍ,]", " ", title).split()
    if decree and words and words[-1] == decree:
        words = words[:-1]
    elif decree and words and words[-1].endswith(decree):
        words[-1] = words[-1].removesuffix(decree)
    return words


def _of_words(stem: str, words: list[str]) -> bool:
    """Whether the stem is the beginnings of some of the words in order, and a later word closes the act: it
    begins with 법 (법률) or, as the title's last word, ends with 법 ("…에 관한 특별법")."""
    def fits(rest: str, start: int) -> bool:
        if not rest:
            return any(word.startswith("법") for word in words[start:]) or (
                start < len(words) and words[-1].endswith("법"))
        for j in range(start, len(words)):
            word = words[j]
            for size in range(min(len(rest), len(word)), 0, -1):
                if word.startswith(rest[:size]) and fits(rest[size:], j + 1):
                    return True
        return False

    return fits(stem, 0)


def _in_order(letters: str, text: str) -> bool:
    """Whether the letters occur in the text in this order (not necessarily together)."""
    rest = iter(text)
    return all(letter in rest for letter in letters)


def analyse(text: str, titles: Iterable[str]) -> QueryAnalysis:
    """Articles, paragraphs and laws named in a question."""
    titles = list(titles)
    laws = law_mentions(text, titles)
    short = short_name_mentions(text, titles) if not laws else []
    return QueryAnalysis(article_refs(text), paragraph_refs(text), laws, short)


def search_terms(tokens: Sequence[str]) -> list[str]:
    """The distinct terms of a question to search with: its tokens without repeats and without question words.

    Repeats are dropped because a case story names its parties and its subject again and again, and BM25 (as
    bm25s and llama-index's BM25Retriever score a query) adds a term once per occurrence: the story's repeated
    words outweighed the one term the question turns on. A question of question words only keeps them all.
    """
    distinct = list(dict.fromkeys(tokens))
    content = [term for term in distinct if term not in QUESTION_STOPWORDS]
    return content or distinct


# A case story names its parties 갑, 을, 병 (甲, 乙, 丙): "갑은 을에게 …", "甲 지방자치단체가 …". Only 갑/甲 is
# looked for, followed by a particle or a break ("정도", "을" alone are words of their own).
_PARTY = re.compile(r"""(?:^|[\s(\u201c"'\u2018])(?:갑|甲)["\u201d\u2019']?"""
                    r"(?:은|는|이|가|을|를|에게|에|과|와|의|도|측|\s|,|\))")


def tells_a_case(question: str) -> bool:
    """Whether the question tells a case with parties ("갑은 을에게 …", "甲 지방자치단체가 …"): it asks what the law
    says of it, not what a manual or a contract template says."""
    return bool(_PARTY.search(question))


def points_back(question: str) -> bool:
    """Whether a question points back at the turn before ("그 신청은 …", "이 경우 …", "해당 기한은?")."""
    return bool(_FOLLOW_UP.search(question.strip()))


def is_follow_up(question: str) -> bool:
    """Whether a question may need the previous turn to be understood: it points back, goes on from it ("그럼
    …"), or is short."""
    stripped = question.strip()
    return (points_back(stripped) or bool(_CONNECTIVE.match(stripped))
            or len(re.sub(r"\s", "", stripped)) <= _SHORT_FOLLOW_UP)


def own_subject(question: str, previous: str) -> str:
    """The subject a follow-up asks something of that the previous question did not name ("보상금" of "그럼
    보상금은 누가 결정하나요?" after a question on 보호조치), or "" when it has none of its own."""
    text = _CONNECTIVE.sub("", question.strip())
    before = squash(previous)
    for match in _OWN_SUBJECT.finditer(text):
        word = match.group(1)
        if word not in _NO_SUBJECT and word not in before:
            return word
    return ""


def contextualise(question: str, history: Sequence[str], titles: Iterable[str],
                  cited: Sequence[tuple[str, str]] = (), fresh: bool = False) -> tuple[str, QueryAnalysis]:
    """The search text and analysis of a question in its conversation.

    A follow-up ("그 기한은요?", "제2항은?") is searched together with the previous question, and inherits the
    law and article that turn named when it names none itself. When that turn named none, the previous answer's
    sources stand in for it (`cited`: its cited laws and articles, in order): a follow-up is about the law the
    answer came from, and one that points back ("그 신청은 언제까지 …") about its first cited article. One that
    goes on to a subject of its own that the answer's first source does not hold (`fresh`: "그럼 보상금은 누가
    결정하나요?" after 제17조 on 보호조치; see `own_subject`) keeps the laws but not the previous question's words:
    with them it was answered about 보호조치 again. A question that stands alone is searched alone.
    """
    titles = list(titles)
    analysis = analyse(question, titles)
    if not history or not is_follow_up(question):
        return question, analysis
    previous = history[-1]
    before = analyse(previous, titles)
    known = {squash(title): title for title in titles}
    # Only when the answer came first from a law: its laws are then put first. An answer led by a manual is
    # followed up by searching with the previous question, ranking manuals and laws as usual.
    lead_by_law = bool(cited) and squash(cited[0][0]) in known
    sources = [(known[squash(title)], article) for title, article in cited if squash(title) in known] if lead_by_law \
        else []
    named_law = bool(analysis.laws or analysis.short_names)
    if not named_law:
        analysis.laws = before.laws or list(dict.fromkeys(title for title, _ in sources))
    back = points_back(question)
    if fresh and not back:
        return question, analysis
    # "그럼 기한은?" goes on from the answer as "그 기한은?" points back at it.
    back = back or bool(_CONNECTIVE.match(question.strip()))
    if not analysis.articles:
        if before.articles and (not named_law or analysis.paragraphs):
            analysis.articles = before.articles
        elif not named_law and sources and sources[0][1] and (back or analysis.paragraphs):
            analysis.articles = [sources[0][1]]
    return f"{previous}\n{question}", analysis
