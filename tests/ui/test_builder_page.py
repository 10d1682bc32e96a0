"""The whole way from a lead's empty department to staff reading a cited answer, in a real browser.

A lead signs in, uploads manuals (one of them broken) and sees each file's progress and result and its row in the
document list, opens a document's chunks, creates a bot, asks the preview and sees a citation, publishes and
gets the link with its QR code. Staff open the link in a fresh browser context on a phone-width screen, click a
starter, read the streamed answer with a source card whose link opens the uploaded document. The lead rotates
the link: the old one stops working, the new one works. Insights count the staff question. Screenshots of each
page go to artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from tests.conftest import sample
from tests.support.server import PASSWORD, deptbot, serving
from tests.ui.test_chat_page import SHOTS, browser  # noqa: F401  (the module's browser fixture)

QUESTION = "여권 재발급 처리기한은 며칠인가요?"


def _pick(page, element: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose an option of a Gradio dropdown."""
    page.locator(f"#{element} input").first.click()
    page.get_by_role("option", name=option).first.click()


def test_a_lead_builds_publishes_and_staff_get_a_cited_answer(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    deptbot("departments", "add", "민원여권과", "--slug", "civil", "--contact", "민원여권과 (02-120-1234)", data=data)
    deptbot("departments", "add", "총무과", "--slug", "general-affairs", data=data)
    deptbot("users", "add", "lee", "--role", "lead", "--department", "민원여권과", "--password-stdin", data=data,
            stdin=PASSWORD + "\n")
    manual = sample("민원여권과", ".hwpx")
    ordinance = sample("민원여권과", ".pdf")
    broken = tmp_path / "깨진 문서.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00broken" * 50)
    icon = tmp_path / "여권.png"
    Image.new("RGB", (64, 64), (30, 90, 160)).save(icon)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with serving(data) as server:
        lead = browser.new_context(viewport={"width": 1280, "height": 900})
        page = lead.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server.base + "/builder")
        page.get_by_label("사용자 이름").fill("lee")  # sent to sign-in first
        page.get_by_label("비밀번호").fill(PASSWORD)
        page.get_by_role("button", name="로그인").click()
        page.get_by_text("봇 만들기").first.wait_for(timeout=30000)

        # Documents: several files at once, a result per file, the list, the chunks of one.
        page.get_by_role("tab", name="문서").click()
        page.locator("#doc-upload input[type=file]").set_input_files([str(manual), str(ordinance), str(broken)])
        page.locator("#doc-upload").get_by_text("깨진 문서").first.wait_for(timeout=30000)
        page.get_by_role("button", name="올리고 색인하기").click()
        page.locator("#doc-status").get_by_text("2개 색인").wait_for(timeout=120000)
        results = page.locator("#upload-results").inner_text()
        assert results.count("색인됨") == 2 and "실패" in results and "깨진 문서.pdf" in results
        listing = page.locator("#doc-list")
        listing.get_by_text(manual.name).first.wait_for(timeout=30000)
        assert ordinance.name in listing.inner_text()
        _pick(page, "doc-file", ordinance.name)
        page.locator("#chunk-table").get_by_text("제1조").first.wait_for(timeout=30000)
        page.screenshot(path=str(SHOTS / "builder-documents.png"), full_page=True)

        # A new bot, tried in the preview before publishing.
        page.get_by_role("tab", name="봇").click()
        page.get_by_role("button", name="새 봇").click()
        # The empty form arrives from the server: typing before it would be overwritten (under load, it was).
        page.locator("#builder-status").get_by_text("새 봇을 만들거나").wait_for(timeout=30000)
        page.locator("#bot-name textarea, #bot-name input").first.fill("여권 민원 도우미")
        page.locator("#bot-slug textarea, #bot-slug input").first.fill("passport")
        page.locator("#bot-description textarea, #bot-description input").first.fill("여권 발급 업무에 답합니다")
        page.locator("#bot-departments").get_by_label("민원여권과").check()
        page.locator("#bot-starters textarea").fill(f"{QUESTION}\n여권 발급 수수료는 얼마인가요?")
        page.locator("#bot-instructions textarea").fill("민원 담당 직원에게 존댓말로 답하세요.")
        with page.expect_file_chooser() as chooser:  # an uploaded image as the icon
            page.locator("#icon-upload").click()
        chooser.value.set_files(str(icon))
        page.locator("#builder-status").get_by_text("아이콘 이미지를 올렸습니다").wait_for(timeout=30000)
        assert page.locator("#bot-icon textarea, #bot-icon input").first.input_value().startswith("image:")
        page.locator("#preview-question textarea, #preview-question input").first.fill(QUESTION)
        page.locator("#preview-send").click()
        preview_card = page.locator("#preview-sources .source-card").first
        preview_card.wait_for(timeout=60000)
        assert manual.name in preview_card.inner_text() or ordinance.name in preview_card.inner_text()
        page.get_by_role("button", name="저장").click()
        page.locator("#share-status").get_by_text("버전 1").wait_for(timeout=60000)  # the form is shown again
        assert "만들었습니다" in page.locator("#builder-status").inner_text()  # and the message stays to be read
        assert page.locator("#preview-sources .source-card").count() >= 1  # as does the preview
        page.locator("#publish").click()
        link_box = page.locator("#share-link textarea, #share-link input").first
        link_box.wait_for(timeout=30000)
        page.wait_for_function("document.querySelector('#share-link textarea, #share-link input').value !== ''")
        link = link_box.input_value()
        assert "/b/passport?key=" in link
        assert page.locator("#share-qr svg").count() == 1
        page.screenshot(path=str(SHOTS / "builder-bot.png"), full_page=True)

        # Staff: a fresh browser on a phone-width screen, from the link to a cited answer and the document.
        staff = browser.new_context(viewport={"width": 390, "height": 844})
        chat = staff.new_page()
        chat.on("request", lambda r: requested.append(r.url))
        chat.goto(link)
        try:  # a fresh context loads all of Gradio's scripts: slow when the other test worker keeps both cores busy
            chat.locator("#bot-header").get_by_text("여권 민원 도우미").wait_for(timeout=90000)
        except Exception as exc:  # keep what the page showed, for the CI artefacts and its log
            chat.screenshot(path=str(SHOTS / "failed-chat-from-link.png"))
            (SHOTS / "failed-chat-from-link.html").write_text(chat.content(), encoding="utf-8")
            header = chat.locator("#bot-header").all_inner_texts()
            raise AssertionError(f"the share link {link} opened {chat.url} showing {header!r}") from exc
        # The uploaded icon, served by this server (the image's own size, so it really loaded).
        chat.wait_for_function("document.querySelector('#bot-header img.bot-icon')?.naturalWidth === 64")
        chat.get_by_role("button", name=QUESTION).click()
        card = chat.locator("#chat .source-card").first
        card.wait_for(timeout=60000)
        answer = chat.locator("#chat").inner_text()
        assert "[1]" in answer
        opener = card.get_by_role("link", name="원문 보기")
        href = opener.get_attribute("href") or ""
        assert href.startswith("/files/civil/")
        cited = manual if manual.name.split(".")[0] in card.inner_text() else ordinance
        document = staff.request.get(server.base + href.split("#")[0])
        assert document.status == 200 and document.body() == cited.read_bytes()
        if cited is ordinance:
            assert "#page=" in href
        with chat.expect_popup() as popup:  # the link opens in a new tab
            opener.click()
        popup.value.close()
        chat.locator("#chat").get_by_role("button", name="싫어요", exact=True).last.click()  # thumbs down
        chat.locator("#feedback-comment textarea, #feedback-comment input").first.fill("처리기한 표를 같이 보여 주세요")
        chat.locator("#feedback-send").click()
        chat.locator("#feedback-status").get_by_text("의견이 기록되었습니다").wait_for(timeout=30000)
        chat.screenshot(path=str(SHOTS / "chat-from-builder.png"), full_page=True)
        outside = [url for url in requested if not url.startswith((server.base, "data:", "blob:"))]
        assert outside == [], outside  # nothing leaves the machine
        # The document route is no back door: without the bot's key it is refused.
        assert staff.request.get(server.base + href.split("?")[0]).status == 404

        # The lead rotates the link: the old one stops at once, the new one works.
        page.locator("#rotate").click()
        page.wait_for_function(f"document.querySelector('#share-link textarea, #share-link input').value "
                               f"!== {link!r}")
        new_link = link_box.input_value()
        stranger = browser.new_context()
        old = stranger.new_page()
        old.goto(link)
        old.get_by_text("봇을 찾을 수 없습니다").first.wait_for(timeout=30000)
        assert old.get_by_text("여권 민원 도우미").count() == 0
        old.goto(new_link)
        old.get_by_text("여권 민원 도우미").first.wait_for(timeout=30000)
        stranger.close()
        assert urlsplit(new_link).path == urlsplit(link).path

        # Insights count the staff question (the preview's are not counted).
        page.get_by_role("tab", name="사용 현황").click()
        _pick(page, "insight-bot", "여권 민원 도우미 (passport)")
        page.locator("#insight-summary").get_by_text("질문 1개").wait_for(timeout=30000)
        page.wait_for_function("document.querySelector('#insight-low').innerText.includes('처리기한 표를 같이 보여')")
        assert QUESTION in page.locator("#insight-low").inner_text()  # the low-rated answer with its question
        page.locator("#insight-plot canvas, #insight-plot svg").first.wait_for(timeout=30000)  # questions per day
        assert manual.name in page.locator("#insight-cited").inner_text() or ordinance.name in page.locator(
            "#insight-cited").inner_text()
        page.screenshot(path=str(SHOTS / "builder-insights.png"), full_page=True)
        staff.close()
        lead.close()
