"""OCR on real Korean PDFs: pages of ../shared/eval/pdfs/ko rendered to images (pdftoppm) and put back as a scanned
PDF are read with a character error rate under 10% against the text layer they came from (whitespace removed).

A few clean printed pages of two documents, from the half not used to choose the OCR settings
(bench/ocr_pages.py measures every document and both halves)."""

from __future__ import annotations

import pypdf
import pytest

from connectors.parsers import parse_bytes
from tests.conftest import shared_path
from tests.support.scans import cer, needs_tesseract, scanned_copy

PAGES = [("국회_의안원문_2125318.pdf", [2, 4]), ("국회_환경노동위원회_검토보고서_2125318.pdf", [4])]


@needs_tesseract
@pytest.mark.parametrize(("name", "pages"), PAGES, ids=[name for name, _ in PAGES])
def test_scanned_pages_of_a_real_pdf_are_read_with_few_errors(name: str, pages: list[int]) -> None:
    pdf = shared_path("eval", "pdfs", "ko", name)
    reader = pypdf.PdfReader(pdf)
    document = parse_bytes(scanned_copy(pdf, pages, dpi=300), f"스캔_{name}")
    assert document.ocr_pages == list(range(1, len(pages) + 1))
    for scanned, original in enumerate(pages, 1):
        reference = reader.pages[original - 1].extract_text()
        recognised = "\n".join(block.text for block in document.blocks if block.page == scanned)
        assert cer(reference, recognised) < 0.10, (original, recognised)
