"""Particles chosen by the word's last syllable, as a Korean reader would say them."""

from __future__ import annotations

import pytest

from connectors.particles import josa, with_josa


@pytest.mark.parametrize(("word", "particle", "expected"), [
    ("당직 도우미", "을", "를"), ("당직 도우미", "를", "를"), ("복무 규정", "를", "을"),
    ("여권 안내", "이", "가"), ("민원실", "가", "이"), ("조례", "이", "가"), ("봇", "는", "은"), ("매뉴얼", "은", "은"),
    ("법무담당관", "와", "과"), ("총무과", "과", "와"),
    ("서울", "으로", "로"), ("부산", "로", "으로"), ("민원 창구", "으로", "로"),
    ("copy-2", "으로", "로"), ("bot-7", "으로", "로"), ("bot-3", "로", "으로"), ("manual", "으로", "로"),  # slugs
])
def test_the_form_follows_the_last_syllable(word: str, particle: str, expected: str) -> None:
    assert josa(word, particle) == expected


@pytest.mark.parametrize(("word", "expected"), [
    ("지침.pdf", "지침.pdf를"),  # 피디에프: read letter by letter
    ("안내.html", "안내.html을"),  # 엘
    ("정관(2025)", "정관(2025)를"),  # 오, the bracket skipped
    ("제3조", "제3조를"), ("버전 3", "버전 3을"), ("1", "1을"), ("10", "10을"), ("2", "2를"),
    ("dangjik-v2", "dangjik-v2를"), ("team", "team을"),
    ("…", "…를"), ("", "를"),  # nothing readable: the form after a vowel
])
def test_file_names_numbers_and_latin_are_read_out(word: str, expected: str) -> None:
    assert with_josa(word, "을") == expected


def test_an_unknown_particle_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        josa("봇", "에게")
