"""Korean keyword terms: content morphemes, lemmas, compounds and article references."""

from __future__ import annotations

from connectors.korean import KoreanTokenizer


def test_particles_and_endings_are_dropped_and_predicates_lemmatised() -> None:
    terms = KoreanTokenizer().tokenize("여권을 재발급받으려면 4일이 걸립니다.")
    assert "여권" in terms and "발급" in terms and "걸리다" in terms and "4" in terms
    assert not {"을", "이", "ᆸ니다"} & set(terms)


def test_compound_nouns_and_article_references() -> None:
    terms = KoreanTokenizer().tokenize("개인정보처리자는 제39조의2 및 제 15 조에 따라")
    assert {"개인", "정보", "개인정보", "제39조의2", "제15조"} <= set(terms)


def test_the_same_terms_for_a_question_and_a_passage() -> None:
    tokenizer = KoreanTokenizer()
    question = set(tokenizer.tokenize("민원 처리기한이 어떻게 되나요"))
    passage = set(tokenizer.tokenize("민원의 처리기한은 접수일부터 7일로 한다."))
    assert {"민원", "처리", "기한"} <= question & passage


def test_batch_with_threads_matches_one_by_one() -> None:
    texts = ["주차장은 지하 2층에 있다.", "당직 근무비는 6만원이다.", ""]
    assert KoreanTokenizer(threads=2).tokenize_many(texts) == KoreanTokenizer().tokenize_many(texts)


def test_a_text_analysed_again_gives_the_same_terms_even_after_a_caller_changed_its_list() -> None:
    """The retriever and the extractive generator both analyse the question; the second gets the first's terms."""
    tokenizer = KoreanTokenizer()
    first = tokenizer.tokenize("여권 재발급 수수료는 얼마인가요?")
    expected = list(first)
    first.clear()  # a caller's list is its own
    assert tokenizer.tokenize("여권 재발급 수수료는 얼마인가요?") == expected
    assert tokenizer.tokenize("당직 근무비는 얼마인가요?") == tokenizer.tokenize_many(["당직 근무비는 얼마인가요?"])[0]
