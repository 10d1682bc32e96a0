"""The citation contract: numbering, marker checks, the citation line, the quote's paragraph and page."""

from __future__ import annotations

from bots.citations import (
    Citation,
    MarkerFilter,
    best_quote,
    markers,
    number_sources,
    render,
    resolve,
    split_sentences,
    table_columns,
)
from connectors.chunk import Chunk
from connectors.chunking import chunk_document
from connectors.parsers import parse_bytes
from tests.conftest import shared_path
from tests.support.pdfs import korean_pdf


def _statute(text: str, article: str, paragraph: str = "", page: int | None = 12) -> Chunk:
    return Chunk(text=text, file="개인정보보호법.pdf", kind="statute", title="개인정보 보호법", article=article,
                 paragraph=paragraph, page_start=page, page_end=page, department="정보보호담당관",
                 heading="제6장 정보통신서비스 제공자 등의 개인정보 처리 등 특례")


def test_the_citation_line_names_law_article_paragraph_file_and_page() -> None:
    citation = Citation(n=1, file="법령/개인정보보호법.pdf", page=12, article="제39조의2", paragraph="①",
                        heading="", quote="", title="개인정보 보호법")
    assert render(citation) == "「개인정보 보호법」 제39조의2제1항 — 개인정보보호법.pdf 12쪽"


def test_a_manual_citation_names_its_section_and_a_file_without_pages() -> None:
    citation = Citation(n=2, file="여권 매뉴얼.hwpx", page=None, article="", paragraph="",
                        heading="Ⅱ. 여권 민원 처리기한 > 1. 유형별 처리기한", quote="",
                        title="여권 민원 업무 처리 매뉴얼")
    assert render(citation) == "「여권 민원 업무 처리 매뉴얼」 1. 유형별 처리기한 — 여권 매뉴얼.hwpx"


def test_markers_in_their_usual_spellings_are_read_and_look_alikes_are_not() -> None:
    assert markers("가[1] 나 [2, 3] 다［4］ [별표 1] [시행 2026. 9. 11.] [ 5 ]") == [1, 2, 3, 4, 5]


def test_a_marker_pointing_at_no_source_is_dropped_and_counted() -> None:
    sources = number_sources([(_statute(f"제{i}조(목적) 본문 {i}.", f"제{i}조"), f"제{i}조(목적) 본문 {i}.", 1.0,
                                [])
                               for i in (1, 2, 3)])
    resolved = resolve("첫째 사실이다 [1]. 둘째 사실이다 [7]. 셋째는 [3][2, 9].", sources)
    assert "[7]" not in resolved.text and "[9]" not in resolved.text
    assert resolved.dropped == [7, 9]
    assert [c.n for c in resolved.citations] == [1, 2, 3]  # only cited sources, numbered as shown
    assert resolved.text == "첫째 사실이다 [1]. 둘째 사실이다. 셋째는 [3][2]."


def test_uncited_sources_are_not_listed() -> None:
    sources = number_sources([(_statute("본문.", "제1조"), "본문.", 1.0, []),
                              (_statute("다른.", "제2조"), "다른.", 1.0, [])])
    assert [c.article for c in resolve("답이다 [2].", sources).citations] == ["제2조"]


def test_the_quote_is_the_supporting_sentence_and_its_paragraph_and_page_are_those_of_its_chunk() -> None:
    first = _statute("제39조의2(손해배상) ① 정보주체는 손해배상을 청구할 수 있다.", "제39조의2", "①", page=12)
    second = _statute("제39조의2(손해배상) ② 법원은 300만원 이하의 범위에서 상당한 금액을 손해액으로 인정할 수 있다.",
                      "제39조의2", "②", page=13)
    text = first.text + "\n② 법원은 300만원 이하의 범위에서 상당한 금액을 손해액으로 인정할 수 있다."
    sources = number_sources([(first, text, 1.0, [first, second])])
    resolved = resolve("법원은 300만원 이하에서 손해액을 인정할 수 있습니다 [1].", sources)
    citation = resolved.citations[0]
    assert citation.quote.startswith("② 법원은 300만원")
    assert (citation.paragraph, citation.page) == ("②", 13)
    assert citation.label == "「개인정보 보호법」 제39조의2제2항 — 개인정보보호법.pdf 13쪽"


def _cite(chunk: Chunk, claim: str) -> Citation:
    """The citation an answer making `claim` gets from a source made of this one chunk."""
    return resolve(f"{claim} [1].", number_sources([(chunk, chunk.text, 1.0, [chunk])])).citations[0]


def _holding(chunks: list[Chunk], words: str) -> Chunk:
    return next(c for c in chunks if words in c.text)


_GUIDE_PAGES = [
    ["민원 처리 안내", "1. 접수", "민원실은 평일 오전 9시부터 오후 6시까지 민원을 접수한다.",
     "접수한 민원은 담당 부서로 바로 넘긴다. 담당 부서는 민원을 받은 날"],
    ["기록한다. 처리 결과는 7일 안에 민원인에게 문자로 알린다.", "2. 처리", "처리 부서는 결과를 기록한다."],
]


def test_a_quote_on_the_second_page_of_a_chunk_is_cited_at_that_page_and_links_there() -> None:
    document = parse_bytes(korean_pdf(_GUIDE_PAGES), "민원 안내.pdf")
    chunk = _holding(chunk_document(document), "7일 안에")
    assert (chunk.page_start, chunk.page_end) == (1, 2)  # one chunk over the page break
    late = _cite(chunk, "처리 결과는 7일 안에 문자로 알립니다")
    assert late.quote.startswith("처리 결과는 7일 안에") and late.page == 2
    assert late.label.endswith("민원 안내.pdf 2쪽") and late.to_dict()["page"] == 2
    early = _cite(chunk, "민원실은 평일 오전 9시부터 오후 6시까지 접수합니다")
    assert early.page == 1


_TAX_PAGES = [
    ["달라지는 세금제도", "1. 소득세", "양도소득세 계산방법을 표로 상세하게 명시하였다.", "개정세법"],
    ["조합 등 출자금에 대한 배당소득 비과세 한도를 1,000만원 이하에서 2,000만원 이하로 상향하여 2025년 이후 "
     "배당소득부터 비과세한다.", "2. 법인세", "중소기업의 세액공제를 늘렸다."],
]


def test_a_sentence_over_a_page_break_is_cited_at_the_page_holding_most_of_it() -> None:
    # A page's last words run into the next page's sentence; staff find the sentence on the page after.
    chunk = _holding(chunk_document(parse_bytes(korean_pdf(_TAX_PAGES), "세금제도.pdf")), "출자금")
    glued = _cite(chunk, "조합 출자금의 배당소득 비과세 한도는 2,000만원입니다")
    assert "출자금" in glued.quote and glued.page == 2, (glued.quote, glued.page)
    # A sentence whose last word is on the next page stays on the page where nearly all of it is.
    chunk = _holding(chunk_document(parse_bytes(korean_pdf(_GUIDE_PAGES), "민원 안내.pdf")), "7일 안에")
    cut = _cite(chunk, "담당 부서는 민원을 받은 날 기록합니다")
    assert cut.quote == "담당 부서는 민원을 받은 날 기록한다." and cut.page == 1, (cut.quote, cut.page)


def test_the_quote_page_survives_the_index_and_an_older_index_cites_the_first_page() -> None:
    chunk = _holding(chunk_document(parse_bytes(korean_pdf(_GUIDE_PAGES), "민원 안내.pdf")), "7일 안에")
    stored = Chunk.from_record("id", chunk.text, chunk.to_metadata())
    assert _cite(stored, "처리 결과는 7일 안에 문자로 알립니다").page == 2
    older = {k: v for k, v in chunk.to_metadata().items() if k != "page_offsets"}
    assert _cite(Chunk.from_record("id", chunk.text, older), "처리 결과는 7일 안에 문자로 알립니다").page == 1


def test_the_national_assembly_bill_is_cited_at_the_page_of_the_sentence() -> None:
    path = shared_path("eval", "pdfs", "ko", "국회_의안원문_2125318.pdf")
    chunks = chunk_document(parse_bytes(path.read_bytes(), path.name))
    table = _holding(chunks, "신ㆍ구조문대비표")  # the comparison table starts on p. 7, its chunk earlier
    assert table.page_start is not None and table.page_start < 7
    citation = _cite(table, "제4항제2호에 따라 위원을 위촉할 때에는 사회계층의 대표성이 반영될 수 있도록하여야 한다")
    assert citation.quote.startswith("⑤ 제4항제2호에 따라 위원을") and citation.page == 7
    addenda = _holding(chunks, "6개월이 경과한 날부터 시행한다")  # spaced as printed (PIPELINE v8)
    assert _cite(addenda, "이 법은 공포 후 6개월이 경과한 날부터 시행한다").page == 5


def test_streamed_markers_split_across_pieces_are_checked_like_whole_ones() -> None:
    stream = MarkerFilter([1, 2, 3])
    pieces = ["처리기한은 4일이다 [", "1", "]. 다만 [7", "] 예외가 있다 [2, ", "9]. 끝 [3"]
    shown = "".join(stream.feed(piece) for piece in pieces) + stream.flush()
    assert shown == "처리기한은 4일이다 [1]. 다만  예외가 있다 [2]. 끝 "
    assert stream.dropped == [7, 9]


def test_sentences_split_at_ends_and_paragraph_numbers_but_not_inside_item_numbers() -> None:
    text = "제16조(운영) ① 민원실은 9시부터 운영한다. 다만, 목요일은 20시까지 연장한다. ② 다음 각 호. 1. 가 2. 나"
    assert split_sentences(text) == ["제16조(운영)", "① 민원실은 9시부터 운영한다.",
                                     "다만, 목요일은 20시까지 연장한다.", "② 다음 각 호.", "1. 가 2. 나"]


def test_a_sentence_in_brackets_stays_with_the_sentence_around_it() -> None:
    # A statute's parenthesised proviso holds whole sentences: cut there, a quote began or ended mid-bracket.
    text = ("① 누구든지 공익신고를 할 수 있다(다만, 익명 신고는 제외한다. 이 경우 기관이 판단한다). "
            "② 신고는 「공익신고자 보호법 시행령」에 따른다. ③ 서면으로 한다.")
    assert split_sentences(text) == [
        "① 누구든지 공익신고를 할 수 있다(다만, 익명 신고는 제외한다. 이 경우 기관이 판단한다).",
        "② 신고는 「공익신고자 보호법 시행령」에 따른다.", "③ 서면으로 한다."]
    # A bracket closed without being opened (a line broken by the PDF) does not stop the splitting.
    assert split_sentences("제외한다). 다음 문장이다. 끝이다.") == ["제외한다).", "다음 문장이다.", "끝이다."]
    # Nor does one opened and never closed on its line (the text layer of a scanned table).
    assert split_sentences("「상대기관 정보를 준다. 훈련을 한다.") == ["「상대기관 정보를 준다.", "훈련을 한다."]


def test_a_quoted_table_row_knows_its_column_names() -> None:
    markdown = "점검 기준\n| 점검 항목 | 기준 |\n| --- | --- |\n| 비밀번호 | 9자리 이상 |\n| 화면보호기 | 10분 |"
    assert table_columns(markdown, "| 화면보호기 | 10분 |") == "점검 항목 | 기준"
    assert table_columns(markdown, "| 점검 항목 | 기준 |") == ""  # the header itself
    assert table_columns(markdown, "점검 기준") == ""  # not a row
    two = "민원 | 기간\n여권 | 4일\n\n신청은 창구에서 한다.\n구분 | 수수료\n재발급 | 25,000원"
    assert table_columns(two, "재발급 | 25,000원") == "구분 | 수수료"  # the nearest table's header
    assert table_columns(two, "없는 문장") == ""


def test_a_table_header_is_never_the_quote_of_a_row_s_claim() -> None:
    """An answer reads a row with its column names; a long column name (here markup a document carried) must not
    make the header the quote."""
    header = "| <img src=x onerror=\"document.title='PWNED'\">시설 | 대관료 |"
    text = f"1. 체육관 대관료\n{header}\n| --- | --- |\n| 실내 체육관 | 1시간 30,000원 |\n| 다목적실 | 1시간 12,000원 |"
    claim = "<img src=x onerror=\"document.title='PWNED'\">시설: 실내 체육관, 대관료: 1시간 30,000원"
    assert best_quote(text, claim) == "| 실내 체육관 | 1시간 30,000원 |"
    assert table_columns(text, best_quote(text, claim)) == header.strip("| ")
