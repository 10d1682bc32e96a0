"""Korean tokenization for the keyword index: the one place that turns Korean text into search terms.

Whitespace or character n-gram tokenizers (llama-index's and BM25 libraries' defaults) treat "개인정보처리자는"
as one term or as meaningless pairs; kiwipiepy splits it into content morphemes (개인, 정보, 처리) so that
inflected and particle-laden forms match. Article references ("제39조의2") are kept whole.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

# Content morphemes: nouns, numerals, foreign words, hanja, numbers, roots, verb and adjective stems.
_NOUNS = {"NNG", "NNP", "NR", "SL", "SH", "XR"}
_PREDICATES = {"VV", "VA", "VV-R", "VA-R", "VV-I", "VA-I"}
_NUMBER = "SN"
_ARTICLE_REF = re.compile(r"제\s?(\d+)\s?조(?:\s?의\s?(\d+))?")
TOKENIZER_VERSION = "kiwi-content-v1"
# One analyser per process and thread count, made on first use: loading the model takes about a second and
# 100 MB, and tokenizers travel to worker processes by pickle, one per file.
_ANALYSERS: dict[int, Any] = {}
_ANALYSERS_LOCK = threading.Lock()
# The text this thread analysed last, with its terms: an answer analyses its question twice, in the retriever and
# again in the extractive generator, on the same thread (kiwi holds the interpreter lock while it analyses, and
# analysing questions was a sixth of that time under load, bench/load.py). Per thread: no lock, no cross-talk.
_LAST = threading.local()


class KoreanTokenizer:
    """Content-morpheme tokenizer on kiwipiepy; the model loads on first use (and again in each worker process)."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    @property
    def kiwi(self) -> Any:
        """The kiwipiepy analyser (its model ships inside the kiwipiepy_model package: no download)."""
        with _ANALYSERS_LOCK:
            if self.threads not in _ANALYSERS:
                from kiwipiepy import Kiwi

                # kiwipiepy: num_workers=-1 analyses in the calling thread, N > 0 uses N threads.
                _ANALYSERS[self.threads] = Kiwi(num_workers=-1 if self.threads <= 1 else self.threads)
            return _ANALYSERS[self.threads]

    def tokenize(self, text: str) -> list[str]:
        """Search terms of one text."""
        last = getattr(_LAST, "entry", None)
        if last is not None and last[0] == text and last[1] == self.threads:
            return list(last[2])
        tokens = self.kiwi.tokenize(text)
        terms = _terms(text, tokens)
        _LAST.entry = (text, self.threads, tuple(terms), _predicates(tokens))
        return terms

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Search terms of many texts."""
        texts = list(texts)
        kiwi = self.kiwi
        # Batch analysis needs kiwipiepy's worker threads; with one thread, analyse one by one.
        analysed = kiwi.tokenize(texts) if self.threads > 1 else [kiwi.tokenize(t) for t in texts]
        return [_terms(text, tokens) for text, tokens in zip(texts, analysed, strict=True)]

    def predicates(self, text: str) -> set[str]:
        """The verb and adjective terms of a text ("다녀오다", "받다"), as `tokenize` writes them; from the analysis
        `tokenize` just made of the same text when there is one."""
        last = getattr(_LAST, "entry", None)
        if last is not None and last[0] == text and last[1] == self.threads:
            return set(last[3])
        return set(_predicates(self.kiwi.tokenize(text)))


def spacing(text: str) -> str:
    """The text with the spaces Kiwi's spacing model puts in (its own spaces kept)."""
    return str(KoreanTokenizer().kiwi.space(text, reset_whitespace=False))


# Morphemes that never start a word: particles, endings, suffixes and the copula ("카드" + "로", "하겠" + "습니다").
_DEPENDENT = ("J", "E", "XS", "VCP", "VCN")


def one_word(left: str, right: str) -> bool:
    """Whether two pieces of text run together read as one word: Kiwi finds the seam inside a morpheme it knows
    ("정" + "합성을", "사각" + "지대를") or right before a morpheme that never starts a word ("검토하겠" +
    "습니다.", "카드" + "로"). Not before a word of its own ("회계과" + "지출팀"), nor inside a noun Kiwi only
    guesses (an unknown word it makes of the two sides, "역직구몰" + "입점")."""
    seam = len(left)
    for token in KoreanTokenizer().kiwi.tokenize(left + right):
        if token.start < seam < token.start + token.len:
            return not token.oov
        if token.start == seam:
            return str(token.tag).startswith(_DEPENDENT)
    return False


def squash(text: str) -> str:
    """A law name without spaces, middle dots or brackets, for matching loose spellings of it."""
    return re.sub(r"[\s·ㆍ「」『』\"'()]", "", text)


def _lemma(token: Any) -> str:
    return str(token.lemma) if hasattr(token, "lemma") else token.form + "다"


def _predicates(tokens: list[Any]) -> frozenset[str]:
    return frozenset(_lemma(token) for token in tokens if token.tag in _PREDICATES)


def _terms(text: str, tokens: list[Any]) -> list[str]:
    terms = [_article_ref(m) for m in _ARTICLE_REF.finditer(text)]
    previous: Any = None
    for token in tokens:
        tag = token.tag
        if tag in _NOUNS:
            terms.append(token.form.lower())
            # Adjacent nouns written together form a compound term too ("개인"+"정보" -> "개인정보").
            if previous is not None and previous.start + previous.len == token.start:
                terms.append(previous.form.lower() + token.form.lower())
            previous = token
            continue
        previous = None
        if tag in _PREDICATES:
            terms.append(_lemma(token))
        elif tag == _NUMBER:
            terms.append(token.form)
    return terms


def _article_ref(match: re.Match[str]) -> str:
    number, sub = match.group(1), match.group(2)
    return f"제{number}조의{sub}" if sub else f"제{number}조"
