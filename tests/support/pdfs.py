"""Korean PDFs built in tests with reportlab (a dev dependency) and its built-in Korean CID font, no font file."""

from __future__ import annotations

import io


def korean_pdf(pages: list[list[str]], *, title: str | None = None, sizes: dict[str, float] | None = None) -> bytes:
    """An A4 PDF with one line of text per item on each page; `sizes` sets a larger font for given lines."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HYGothic-Medium"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    if title is not None:
        canvas.setTitle(title)
    for lines in pages:
        y = 780.0
        for line in lines:
            size = (sizes or {}).get(line, 10.0)
            canvas.setFont("HYGothic-Medium", size)
            canvas.drawString(60, y, line)
            y -= size * 1.8
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
