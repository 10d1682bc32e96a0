"""Reading a question: the articles, paragraphs and laws it names, and follow-ups."""

from __future__ import annotations

from bots.query import article_refs, contextualise, is_follow_up, law_mentions, own_subject, paragraph_refs

TITLES = ["개인정보 보호법", "개인정보 보호법 시행령", "민원 처리에 관한 법률", "건축법"]


def test_articles_are_found_however_they_are_spaced() -> None:
    assert article_refs("제39조의2에 따르면") == ["제39조의2"]
    assert article_refs("39조의2 제1항과 제 15 조") == ["제39조의2", "제15조"]
    assert article_refs("제 39 조 의 2") == ["제39조의2"]


def test_money_and_words_with_jo_are_not_articles() -> None:
    assert article_refs("예산 39조원, 조례와 조치, 2조직") == []


def test_paragraphs_are_circled_numbers() -> None:
    assert paragraph_refs("제39조의2 제2항 및 ③") == ["②", "③"]


def test_laws_are_found_with_or_without_spaces_and_the_longest_title_wins() -> None:
    assert law_mentions("개인정보보호법 제39조의2는?", TITLES) == ["개인정보 보호법"]
    assert law_mentions("개인정보 보호법 시행령 제5조", TITLES) == ["개인정보 보호법 시행령"]
    assert law_mentions("「민원 처리에 관한 법률」과 건축법", TITLES) == ["민원 처리에 관한 법률", "건축법"]
    assert law_mentions("여권 재발급 기한", TITLES) == []


def test_a_follow_up_inherits_the_law_and_article_of_the_turn_before() -> None:
    text, analysis = contextualise("제2항은요?", ["개인정보 보호법 제39조의2는 무엇을 정하나요?"], TITLES)
    assert analysis.laws == ["개인정보 보호법"] and analysis.articles == ["제39조의2"]
    assert analysis.paragraphs == ["②"]
    assert "개인정보 보호법 제39조의2" in text


def test_a_question_that_stands_alone_is_searched_alone() -> None:
    question = "건축법에서 건축허가를 받아야 하는 건축물은 무엇인가요?"
    text, analysis = contextualise(question, ["개인정보 보호법 제39조의2는?"], TITLES)
    assert text == question and analysis.laws == ["건축법"]
    assert not is_follow_up(question) and is_follow_up("그 기한은요?")


def test_a_follow_up_that_points_back_is_searched_in_the_article_the_answer_came_from() -> None:
    """The previous question named no law; its answer cited 개인정보 보호법 제39조의2: "그 신청은 …" is about it."""
    cited = (("개인정보 보호법", "제39조의2"), ("개인정보 보호법 시행령", "제5조"))
    text, analysis = contextualise("그 신청은 언제까지 해야 하나요?", ["손해배상은 어떻게 청구하나요?"], TITLES, cited)
    assert analysis.laws == ["개인정보 보호법", "개인정보 보호법 시행령"] and analysis.articles == ["제39조의2"]
    assert text.startswith("손해배상은 어떻게 청구하나요?")
    # A short question without a pointing word continues in the laws, not forced onto the article.
    _, short = contextualise("기한은요?", ["손해배상은 어떻게 청구하나요?"], TITLES, cited)
    assert short.laws == ["개인정보 보호법", "개인정보 보호법 시행령"] and short.articles == []


def test_a_follow_up_going_on_to_a_subject_of_its_own_keeps_the_laws_but_not_the_last_question() -> None:
    """"그럼 과징금은 누가 부과하나요?" asks of a subject the last question did not name; when the answer's article
    does not hold it either (`fresh`, decided by the retriever), it is searched alone in the laws the answer came
    from. "그럼 기한은?" names nothing of its own and goes on from the answer's article, as "그 기한은?" does."""
    cited = (("개인정보 보호법", "제39조의2"), ("개인정보 보호법 시행령", "제5조"))
    previous = ["손해배상은 어떻게 청구하나요?"]
    question = "그럼 과징금은 누가 부과하나요?"
    assert own_subject(question, previous[0]) == "과징금"
    text, analysis = contextualise(question, previous, TITLES, cited, fresh=True)
    assert text == question and analysis.articles == []
    assert analysis.laws == ["개인정보 보호법", "개인정보 보호법 시행령"]
    text, analysis = contextualise(question, previous, TITLES, cited, fresh=False)  # the article holds 과징금
    assert text.startswith(previous[0]) and analysis.articles == ["제39조의2"]
    for elliptical in ("그럼 기한은?", "그럼 무엇이 필요한가요?", "그럼 청구는 누가 하나요?",
                       "그럼 신청하는 방법은요?"):
        assert own_subject(elliptical, previous[0]) == "", elliptical
        text, analysis = contextualise(elliptical, previous, TITLES, cited)
        assert text.startswith(previous[0]) and analysis.articles == ["제39조의2"], elliptical


def test_a_follow_up_naming_another_law_or_after_a_manual_answer_inherits_nothing() -> None:
    cited = (("개인정보 보호법", "제39조의2"),)
    _, other = contextualise("그럼 건축법은요?", ["손해배상은 어떻게 청구하나요?"], TITLES, cited)
    assert other.laws == ["건축법"] and other.articles == []
    # The answer came first from a manual (not a law the bot holds): its laws are not put first.
    manual_first = (("당직근무 운영 지침", ""), ("개인정보 보호법", "제39조의2"))
    _, after_manual = contextualise("그럼 휴일은?", ["당직 근무비는 얼마인가요?"], TITLES, manual_first)
    assert after_manual.laws == [] and after_manual.articles == []
