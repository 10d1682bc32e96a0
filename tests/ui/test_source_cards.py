"""A source card and the copied answer show a quoted table row under its table's column names."""

from __future__ import annotations

from bots.citations import Citation
from ui.pages.chat_render import plain_text, source_cards


def _row(columns: str) -> Citation:
    return Citation(n=1, file="출장 여비 매뉴얼.docx", page=None, article="", paragraph="", heading="1. 관내 출장 여비",
                    quote="4시간 미만 | 10,000원", title="출장 여비 매뉴얼", columns=columns)


def test_a_quoted_row_is_shown_under_its_column_names() -> None:
    card = source_cards([_row("출장 시간 | 지급액")])
    assert '<blockquote><span class="columns">출장 시간 | 지급액</span><br>4시간 미만 | 10,000원</blockquote>' in card
    copied = plain_text("출장 시간: 4시간 미만, 지급액: 10,000원 [1]", [_row("출장 시간 | 지급액")])
    assert copied.splitlines()[-2:] == ["    (출장 시간 | 지급액)", "    “4시간 미만 | 10,000원”"]


def test_a_sentence_has_no_column_line_and_column_names_are_escaped() -> None:
    assert "columns" not in source_cards([_row("")])
    assert "&lt;script&gt;" in source_cards([_row("<script>alert(1)</script> | 금액")])
