"""The builder's Korean particles: chosen by the word's last sound, never written as 을(를)."""

from __future__ import annotations

import pytest

from ui.pages.builder_common import particle


@pytest.mark.parametrize(("word", "pair", "chosen"), [
    ("여권 도우미", "을/를", "를"), ("민원 처리 규정", "을/를", "을"), ("깨진 문서.pdf", "을/를", "를"),
    ("규정.html", "을/를", "을"), ("부산", "으로/로", "으로"), ("서울", "으로/로", "로"), ("copy-2", "으로/로", "로"),
    ("bot-7", "으로/로", "로"), ("bot-3", "으로/로", "으로"), ("버전 3", "이/가", "이"), ("manual", "으로/로", "로"),
])
def test_a_particle_fits_the_last_sound(word: str, pair: str, chosen: str) -> None:
    assert particle(word, pair) == chosen
