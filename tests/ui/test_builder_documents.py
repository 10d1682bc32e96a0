"""The builder's documents tab in a real browser (issue 12, "Documents"); each test fails on the code before it.

A lead uploads a manual, a PDF with a page without text and a broken PDF: each file gets its own bar and result in
Korean (no Gradio step counter), the warning about the empty page shows in the list as on the command line, and the
broken file is marked as failed with its whole error, is not offered as a bot's knowledge, and can be removed. The
same manual uploaded again is said to be the same. Delete asks first: cancel keeps the file, confirm removes it. A
chunk's whole text is shown. Screenshots at desktop and phone width go to artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import sample
from tests.support.pdfs import korean_pdf
from tests.support.server import deptbot, serving
from tests.ui.test_builder_forms import _sign_in
from tests.ui.test_builder_page import _pick
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

ARTICLE = ("제1조(목적) 이 규정은 민원 서류의 접수와 처리 기한을 정하여 민원인의 편의를 높이고 담당 직원의 업무를 "
           "명확히 하는 것을 목적으로 한다. 처리 기한은 접수한 날부터 계산하며 공휴일은 넣지 않는다.")


def _upload(page, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    page.locator("#doc-upload input[type=file]").set_input_files([str(f) for f in files])
    page.locator("#doc-upload").get_by_text(files[-1].stem).first.wait_for(timeout=30000)
    page.locator("#doc-upload-button").click()


def _clipped(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Texts of the cells under the selector that do not fit their box (cut instead of wrapped)."""
    return page.eval_on_selector_all(
        selector, "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1 || "
                  "getComputedStyle(c).textOverflow === 'ellipsis').map(c => c.innerText)")


@contextmanager
def _documents_tab(chromium, tmp_path: Path) -> Iterator[tuple[object, Path]]:  # type: ignore[no-untyped-def]
    """A lead of 민원여권과 signed in on a fresh server, on the documents tab: (page, data folder)."""
    data = tmp_path / "data"
    deptbot("departments", "add", "민원여권과", "--slug", "civil", data=data)
    deptbot("users", "add", "lee", "--role", "lead", "--department", "민원여권과", "--password-stdin", data=data,
            stdin="correct-horse-battery\n")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(data) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _sign_in(page, server.base)
        page.get_by_role("tab", name="문서").click()
        yield page, data
        context.close()


def _scanned(tmp_path: Path) -> Path:
    scanned = tmp_path / "민원 처리 규정.pdf"
    scanned.write_bytes(korean_pdf([[ARTICLE[:60], ARTICLE[60:]], []]))  # page 2 has no text layer
    return scanned


def _broken(tmp_path: Path) -> Path:
    broken = tmp_path / "깨진 문서.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00broken" * 50)
    return broken


def test_each_file_has_its_bar_its_result_its_warnings_and_whole_texts(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    manual, scanned, broken = sample("민원여권과", ".hwpx"), _scanned(tmp_path), _broken(tmp_path)
    with _documents_tab(browser, tmp_path) as (page, _):
        # A bar per file, in Korean, from the first moment to the results.
        _upload(page, [manual, scanned, broken])
        bars = page.locator("#upload-results [role=progressbar]")
        bars.first.wait_for(timeout=30000)
        assert bars.count() == 3
        page.screenshot(path=str(SHOTS / "builder-documents-uploading.png"), full_page=True)
        assert [bars.nth(i).get_attribute("aria-label") for i in range(3)] == [manual.name, scanned.name, broken.name]
        page.locator("#doc-status").get_by_text("2개 색인").wait_for(timeout=120000)
        board = page.locator("#upload-results")
        assert board.inner_text().count("✅ 색인됨") == 2 and "❌ 실패" in board.inner_text()
        assert [bars.nth(i).get_attribute("aria-valuenow") for i in range(3)] == ["100"] * 3
        assert "steps" not in page.inner_text("body") and "%" not in board.inner_text()
        error = board.locator("li.failed .error").inner_text()
        assert "깨진 문서.pdf" in error and "—" in error  # the file, what was wrong, what to do

        # The list: the failed file marked with its whole error, the empty page's warning as the CLI says it.
        listing = page.locator("#doc-list")
        failed_row = listing.locator("tr.failed")
        assert failed_row.count() == 1 and "깨진 문서.pdf" in failed_row.inner_text()
        assert "❌ 실패" in failed_row.inner_text() and error in failed_row.inner_text()
        scanned_row = listing.locator("tr", has_text=scanned.name)
        assert "텍스트 레이어가 없는 쪽 1개" in scanned_row.inner_text() and "2쪽" in scanned_row.inner_text()
        assert _clipped(page, "#doc-list td") == []

        # A chunk's whole text, wrapped.
        _pick(page, "doc-file", scanned.name)
        page.locator("#chunk-table").get_by_text("제1조").first.wait_for(timeout=30000)
        assert ARTICLE[-30:] in page.locator("#chunk-table").inner_text().replace("\n", "")
        assert _clipped(page, "#chunk-table td") == []
        page.screenshot(path=str(SHOTS / "builder-documents-failed.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        assert _clipped(page, "#doc-list td, #chunk-table td") == []
        page.screenshot(path=str(SHOTS / "builder-documents-phone.png"), full_page=True)


def test_a_failed_file_is_marked_never_knowledge_and_removed_only_when_confirmed(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    scanned, broken = _scanned(tmp_path), _broken(tmp_path)
    with _documents_tab(browser, tmp_path) as (page, data):
        _upload(page, [scanned, broken])
        page.locator("#doc-status").get_by_text("1개 색인").wait_for(timeout=120000)
        listing = page.locator("#doc-list")
        assert "깨진 문서.pdf" in listing.locator("tr.failed").inner_text()

        # Never offered as a bot's knowledge.
        page.get_by_role("tab", name="봇").click()
        page.get_by_role("button", name="새 봇").click()
        page.locator("#builder-status").get_by_text("새 봇을 만들거나").wait_for(timeout=30000)
        page.locator("#bot-departments").get_by_label("민원여권과").check()
        page.get_by_text("지식을 고른 문서로 좁히기").click()
        choices = page.locator("#bot-documents")
        choices.get_by_text(scanned.name).wait_for(timeout=30000)
        assert "깨진 문서" not in choices.inner_text()

        # A bot narrowed to a document whose new version then fails: the form leaves it out and says so (Gradio
        # would refuse the form with a checked box that is no choice), and the bot still saves.
        page.locator("#bot-name textarea, #bot-name input").first.fill("규정 도우미")
        page.locator("#bot-slug textarea, #bot-slug input").first.fill("rules")
        choices.get_by_label(f"민원여권과/{scanned.name}").check()
        page.locator("#save-bot").click()
        page.locator("#builder-status").get_by_text("만들었습니다").wait_for(timeout=30000)
        page.get_by_role("tab", name="문서").click()
        again = tmp_path / "again"
        again.mkdir()
        _upload(page, [_broken(again).rename(again / scanned.name)])
        page.locator("#doc-status").get_by_text("1개 실패").wait_for(timeout=120000)
        page.get_by_role("tab", name="봇").click()
        _pick(page, "bot-picker", "🤖 규정 도우미 (rules)")
        choices.get_by_text("색인에 실패했거나 지워져").wait_for(timeout=30000)
        assert scanned.name in choices.inner_text() and choices.locator("input:checked").count() == 0
        page.locator("#save-bot").click()
        page.locator("#builder-status").get_by_text("저장했습니다 (버전 2)").wait_for(timeout=30000)

        # Delete asks first: cancel keeps the failed file, confirm removes it.
        page.get_by_role("tab", name="문서").click()
        _pick(page, "doc-file", "깨진 문서.pdf (❌ 실패)")
        page.locator("#doc-delete").click()
        confirm = page.locator("#doc-confirm")
        confirm.get_by_text("'깨진 문서.pdf'를 지울까요?").wait_for(timeout=30000)
        assert "깨진 문서.pdf" in listing.inner_text()  # asking deleted nothing
        page.screenshot(path=str(SHOTS / "builder-documents-confirm.png"), full_page=True)
        page.locator("#doc-confirm-cancel").click()
        page.locator("#doc-status").get_by_text("지우지 않았습니다").wait_for(timeout=30000)
        assert not confirm.is_visible() and "깨진 문서.pdf" in listing.inner_text()
        assert list((data / "documents").rglob("깨진 문서.pdf")) != []
        page.locator("#doc-delete").click()
        page.locator("#doc-confirm-delete").click()
        page.locator("#doc-status").get_by_text("지웠습니다").wait_for(timeout=60000)
        assert "깨진 문서.pdf" not in listing.inner_text()
        assert listing.locator("tr.failed").all_inner_texts() == [listing.locator("tr", has_text=scanned.name)
                                                                 .inner_text()]  # the other failure stays
        assert list((data / "documents").rglob("깨진 문서.pdf")) == []


def test_the_same_file_uploaded_again_is_said_to_be_the_same(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    scanned = _scanned(tmp_path)
    with _documents_tab(browser, tmp_path) as (page, _):
        _upload(page, [scanned])
        page.locator("#doc-status").get_by_text("1개 색인").wait_for(timeout=120000)
        _upload(page, [scanned])
        page.locator("#doc-status").get_by_text("이미 올린 파일과 같아").wait_for(timeout=60000)
        assert "이미 올린 파일과 같습니다" in page.locator("#upload-results").inner_text()
        assert page.locator("#doc-list tr", has_text=scanned.name).count() == 1


def test_each_statute_shows_its_effective_date_and_a_duplicate_is_flagged(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Issue 13: the document list shows each statute's version; two copies of one version are flagged."""
    law = ("민원처리법\n[시행 2025. 1. 1.] [법률 제100호, 2024. 6. 1., 일부개정]\n\n"
           "제1조(목적) 이 법은 민원의 처리에 관한 사항을 정함을 목적으로 한다.\n\n"
           "제2조(정의) 이 법에서 \"민원\"이란 행정기관에 처분 등 특정한 행위를 요구하는 것을 말한다.\n\n"
           "제3조(처리기간) ① 민원은 접수한 날부터 7일 이내에 처리하여야 한다.\n② 기간은 시장이 늘릴 수 있다.\n")
    current, copy = tmp_path / "민원처리법.txt", tmp_path / "민원처리법 사본.txt"
    current.write_text(law, encoding="utf-8")
    copy.write_text(law + "\n", encoding="utf-8")
    amended = tmp_path / "민원처리법(법률)(제200호)(20990101).txt"  # the law portal's name: in force from 2099
    amended.write_text(law.replace("[시행 2025. 1. 1.] [법률 제100호, 2024. 6. 1., 일부개정]\n", "")
                       .replace("7일", "5일"), encoding="utf-8")
    with _documents_tab(browser, tmp_path) as (page, _):
        _upload(page, [current, copy, amended])
        page.locator("#doc-status").get_by_text("3개 색인").wait_for(timeout=120000)
        listing = page.locator("#doc-list")
        row = next(text for text in listing.locator("tr").all_inner_texts() if text.startswith(current.name))
        assert "시행 2025. 1. 1. · 시행 중" in row and "같은 판 중복: 민원처리법 사본.txt" in row
        assert "시행 2099. 1. 1. · 시행 예정" in listing.locator("tr", has_text="제200호").inner_text()
        page.screenshot(path=str(SHOTS / "builder-documents-versions.png"), full_page=True)


def test_a_lead_keeps_the_department_s_laws_current_from_the_builder(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Issue 13: the list of laws is edited in the builder; the check changes nothing and flags what needs a look;
    a sync fetches the laws from the (test) law portal, and they join the document list with their versions."""
    from tests.support.law_portal import law_portal
    from tests.support.law_samples import REPEALED, SAFETY, sample_laws

    data = tmp_path / "data"
    deptbot("departments", "add", "민원여권과", "--slug", "civil", data=data)
    deptbot("users", "add", "lee", "--role", "lead", "--department", "민원여권과", "--password-stdin", data=data,
            stdin="correct-horse-battery\n")
    with law_portal(sample_laws()) as portal, serving(data, {"DEPTBOT_LAW__URL": portal.url,
                                                             "DEPTBOT_LAW__KEY": "test-oc"}) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _sign_in(page, server.base)
        page.get_by_role("tab", name="문서").click()
        page.locator("#law-list textarea").fill(f"{SAFETY}\n{REPEALED}\n없는 법률\n{SAFETY}")
        page.locator("#law-save").click()
        page.locator("#law-status").get_by_text("법령 목록을 저장했습니다 (3건)").wait_for(timeout=30000)
        assert (data / "documents" / "civil" / "법령목록.txt").read_text(encoding="utf-8").count(SAFETY) == 1

        page.locator("#law-check").click()
        checks = page.locator("#law-checks")
        checks.get_by_text("폐지됨").wait_for(timeout=30000)
        assert "포털에 없음" in checks.inner_text() and "폴더에 없음" in checks.inner_text()
        assert sorted(p.name for p in (data / "documents" / "civil").iterdir()) == ["법령목록.txt"]  # unchanged

        page.locator("#law-sync").click()
        page.locator("#law-status").get_by_text("받음").first.wait_for(timeout=120000)
        assert "찾지 못함" in page.locator("#law-status").inner_text()  # the unknown name, said; the rest fetched
        assert not checks.is_visible()  # the check before the sync is not left standing
        row = next(t for t in page.locator("#doc-list tr").all_inner_texts() if t.startswith(SAFETY))
        assert "색인됨" in row and "시행 " in row
        page.screenshot(path=str(SHOTS / "builder-documents-laws.png"), full_page=True)
        context.close()
