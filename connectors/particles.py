"""Korean particles (조사) chosen by the word they follow: '당직 도우미'를, '조례'를, '규정'을, 'a.pdf'를.

Messages that name a bot, a file or a slug used to write both forms ("을(를)"); the right one depends on whether
the word's last syllable ends in a consonant (받침), and for 으로/로 on whether that consonant is ㄹ.
"""

from __future__ import annotations

# Each pair: (form after a final consonant, form after a vowel).
_PAIRS = {p: pair for pair in (("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로"),
                               ("이나", "나"), ("이라", "라"))
          for p in pair}
_RIEUL = 8  # the index of ㄹ among the final consonants
# Digits and Latin letters as Koreans read them out (영, 일, 이, 삼 …; 에이, 비, 씨 … 엘, 엠, 엔, 알): the index of
# the final consonant of that reading, 0 for none. File names end in an extension read letter by letter (pdf를).
_DIGITS = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
_LETTERS = {"l": 8, "m": 16, "n": 4, "r": 8}


def _final(word: str) -> int | None:
    """The final consonant's index (0 for none) of how the word ends, or None when it has no letter or digit."""
    for char in reversed(word.strip()):
        if "가" <= char <= "힣":
            return (ord(char) - 0xAC00) % 28
        if char in _DIGITS:
            return _DIGITS[char]
        if char.isascii() and char.isalpha():
            return _LETTERS.get(char.lower(), 0)
    return None  # closing brackets, quotes and dots are skipped above; nothing readable at all is left here


def josa(word: str, particle: str) -> str:
    """The form of `particle` (either form: 을 or 를, 이 or 가, 은 or 는, 과 or 와, 으로 or 로) that follows `word`.

    A word with nothing readable (only symbols) gets the form written after a vowel.
    """
    consonant, vowel = _PAIRS[particle]
    final = _final(word)
    if not final:
        return vowel
    if consonant == "으로" and final == _RIEUL:
        return vowel  # 서울로, 파일로
    return consonant


def with_josa(word: str, particle: str) -> str:
    """The word followed by the right form of the particle ('규정' + '를' -> '규정을')."""
    return word + josa(word, particle)
