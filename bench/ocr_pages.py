"""OCR benchmark: pages of real PDFs rendered to images and put back as a scanned PDF, read by deptbot's OCR, and
compared with the text layer they came from.

    python bench/ocr_pages.py [--pdfs DIR] [--pages 4] [--psm 6 4] [--min-confidence 0 40] [--dpi 300]
                              [--languages kor] [--json OUT]

Per page: the character error rate (edit distance over the text layer's length, whitespace removed), the same
ignoring reading order (a side box the text layer lists first is no OCR error), and the seconds to render and read
it. The sampled pages are split in two halves (A: 1st, 3rd … page of each document; B: the others): settings such
as --psm are chosen on half A and reported on half B.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pypdf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.scans: the scanned copies and CER the tests use too

from connectors.parsers import ParseLimits, parse_bytes  # noqa: E402
from connectors.parsers.ocr import OcrOptions, read_pages  # noqa: E402
from tests.support.scans import cer, normalised, order_free_cer, scanned_copy  # noqa: E402

DEFAULT_PDFS = REPO.parent / "shared" / "eval" / "pdfs" / "ko"
DEFAULT_OCR_PDF = DEFAULT_PDFS / "국회_의안원문_2125318.pdf"
OCR_BENCH_PAGES = 4
_OCR_SAID = re.compile(r"OCR로 (?:읽은|읽지 못한) 쪽 (\d+)개")
_MIN_CHARS = 100  # pages with less text (covers, blank backs, dot leaders) say little about OCR


@dataclass(slots=True)
class PageResult:
    """One page read by OCR."""

    document: str
    page: int
    half: str
    psm: int
    min_confidence: float
    chars: int
    cer: float
    order_free_cer: float
    seconds: float


def text_pages(pdf: Path, count: int) -> list[tuple[int, str]]:
    """The first `count` pages with a real text layer: (1-based number, text)."""
    reader = pypdf.PdfReader(str(pdf))
    found = []
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text() or ""
        if len(normalised(text)) >= _MIN_CHARS:
            found.append((number, text))
        if len(found) == count:
            break
    return found


def measure(pdf: Path, count: int, options: OcrOptions, scan_dpi: int = 300) -> list[PageResult]:
    """OCR a scanned copy of the document's first text pages; one result per page."""
    pages = text_pages(pdf, count)
    scan = scanned_copy(pdf, [number for number, _ in pages], dpi=scan_dpi)
    read = read_pages(scan, list(range(1, len(pages) + 1)), options)
    results = []
    for index, (number, reference) in enumerate(pages, 1):
        recognised = read.pages.get(index, "")
        results.append(PageResult(pdf.name, number, "A" if index % 2 else "B", options.psm, options.min_confidence,
                                  len(normalised(reference)), cer(reference, recognised),
                                  order_free_cer(reference, recognised), read.seconds.get(index, float("nan"))))
    return results


def seconds_per_page(pdf: Path, count: int, options: OcrOptions | None = None) -> float:
    """Seconds deptbot's OCR takes per page of a scanned copy of the document's first text pages."""
    pages = [number for number, _ in text_pages(pdf, count)]
    scan = scanned_copy(pdf, pages, dpi=300)
    started = time.perf_counter()
    read_pages(scan, list(range(1, len(pages) + 1)), options or OcrOptions())
    return (time.perf_counter() - started) / max(1, len(pages))


def ocr_pages_said(warnings: list[str]) -> int:
    """Pages a file's warnings say went to OCR (read or not)."""
    return sum(int(match.group(1)) for warning in warnings for match in _OCR_SAID.finditer(warning))


def parse_on_off(corpus: Path, rounds: int = 3) -> dict[str, float]:
    """Parse every PDF of the corpus in this process with OCR on and off, alternating, `rounds` times each: the
    fastest pass of each (CPU seconds of this process, which other processes' load hardly changes; OCR's own
    programs would not count, but none may run here) and their ratio. Parsing alone, so the noise of a whole
    re-index (embedding, Chroma, other processes) does not hide a difference."""
    found = sorted(path for folder in corpus.iterdir() if folder.is_dir() for path in folder.rglob("*.pdf"))
    pdfs = [(path.read_bytes(), path.name) for path in found]  # (department folders may be links: not rglob's)
    best = {True: float("inf"), False: float("inf")}
    for round_ in range(rounds):
        for enabled in (True, False) if round_ % 2 else (False, True):
            limits = ParseLimits(ocr=OcrOptions(enabled=enabled))
            started = time.process_time()
            for data, name in pdfs:
                parse_bytes(data, name, limits)
            best[enabled] = min(best[enabled], time.process_time() - started)
    return {"parse_on_s": best[True], "parse_off_s": best[False],
            "parse_ratio_on_to_off": best[True] / best[False] if pdfs else float("nan"),
            "parse_pdfs": len(pdfs)}


def ocr_figures(corpus: Path, root: Path, workers: int, pdf: Path,
                reindex: Callable[[Path, Path, int, dict[str, str]], dict[str, Any]]) -> dict[str, Any]:
    """For bench/ingest.py: OCR seconds per page of a scanned copy of `pdf`, and the whole re-index with OCR off
    then on, each in a fresh folder, one right after the other: equal times when no page of the corpus needs OCR."""
    figures: dict[str, Any] = {"pdf": pdf.name, "pages": OCR_BENCH_PAGES}
    if pdf.is_file():
        figures["s_per_page"] = seconds_per_page(pdf, OCR_BENCH_PAGES)
    off = reindex(corpus, root / "ocr-off", workers, {"DEPTBOT_OCR__ENABLED": "false"})
    on = reindex(corpus, root / "ocr-on", workers, {"DEPTBOT_OCR__ENABLED": "true"})
    figures.update(on_s=on["wall_s"], off_s=off["wall_s"], ratio_on_to_off=on["wall_s"] / off["wall_s"],
                   corpus_ocr_pages=on["totals"].get("ocr_pages", 0),
                   text_parse_s_per_page=on["timings"].get("parse", 0.0) / max(1, on["totals"]["pages"]))
    figures.update(parse_on_off(corpus))
    return figures


def render_ocr(figures: dict[str, Any] | None) -> list[str]:
    """bench/ingest.py's OCR section."""
    if figures is None:
        return ["OCR: skipped (--skip-ocr)"]
    lines = [f"OCR (Tesseract, defaults of DEPTBOT_OCR__*; scanned copy of {figures['pdf']}, first "
             f"{figures['pages']} text pages, rendered at 300 dpi)"]
    if "s_per_page" in figures:
        ratio = figures["s_per_page"] / max(1e-9, figures["text_parse_s_per_page"])
        lines += [f"  {'OCR seconds per page':<46}{figures['s_per_page']:>14.2f}",
                  f"  {'ratio to parsing a corpus page (text layer)':<46}{ratio:>14.0f}  parse seconds of the "
                  "re-index with OCR on, over its pages (DOCX, HWP… files parse too but have no pages)"]
    else:
        lines.append(f"  OCR seconds per page: no {figures['pdf']} here")
    lines += [f"  {'corpus pages sent to OCR':<46}{figures['corpus_ocr_pages']:>14}",
              f"  {'whole re-index with OCR on / off (s)':<46}{figures['on_s']:>7.1f} / {figures['off_s']:<5.1f}",
              f"  {'ratio on / off':<46}{figures['ratio_on_to_off']:>14.2f}  1.00 when no page needs OCR, "
              "within the noise of a whole re-index",
              f"  {'parsing the PDFs alone, OCR on / off (s)':<46}{figures['parse_on_s']:>7.1f} / "
              f"{figures['parse_off_s']:<5.1f}  CPU s, fastest of 3 alternating passes, {figures['parse_pdfs']} PDFs",
              f"  {'ratio on / off':<46}{figures['parse_ratio_on_to_off']:>14.2f}"]
    return lines


def table(results: list[PageResult]) -> str:
    """A markdown table, one row per page."""
    rows = ["| document | page | half | psm | min conf | chars | CER | CER (any order) | s |",
            "|---|---|---|---|---|---|---|---|---|"]
    rows += [f"| {r.document} | {r.page} | {r.half} | {r.psm} | {r.min_confidence:g} | {r.chars} | {r.cer:.1%} "
             f"| {r.order_free_cer:.1%} | {r.seconds:.1f} |" for r in results]
    return "\n".join(rows)


def summary(results: list[PageResult]) -> str:
    """Mean CER per psm, confidence floor and half, character-weighted, and mean seconds per page."""
    lines = []
    for psm, floor in sorted({(r.psm, r.min_confidence) for r in results}):
        for half in ("A", "B"):
            part = [r for r in results if (r.psm, r.min_confidence) == (psm, floor) and r.half == half]
            if part:
                chars = sum(r.chars for r in part)
                lines.append(f"psm {psm} min confidence {floor:g} half {half}: "
                             f"CER {sum(r.cer * r.chars for r in part) / chars:.1%}, "
                             f"any order {sum(r.order_free_cer * r.chars for r in part) / chars:.1%}, "
                             f"{sum(r.seconds for r in part) / len(part):.1f} s/page over {len(part)} pages")
    return "\n".join(lines)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--pages", type=int, default=4, help="text pages per document")
    parser.add_argument("--psm", type=int, nargs="+", default=[6])
    parser.add_argument("--min-confidence", type=float, nargs="+", default=[OcrOptions().min_confidence],
                        help="confidence floors for Tesseract's words (0: keep every word)")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--languages", default="kor")
    parser.add_argument("--documents", nargs="*", default=None, help="file names (default: every PDF)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.pdfs.is_dir():
        sys.exit(f"no PDFs at {args.pdfs}")
    pdfs = [args.pdfs / name for name in args.documents] if args.documents else sorted(args.pdfs.glob("*.pdf"))
    results: list[PageResult] = []
    for pdf in pdfs:
        for psm, floor in ((psm, floor) for psm in args.psm for floor in args.min_confidence):
            options = OcrOptions(dpi=args.dpi, psm=psm, languages=args.languages, timeout=300, min_confidence=floor)
            part = measure(pdf, args.pages, options)
            results += part
            print(table(part).split("\n", 2)[-1], flush=True)
    print(table(results))
    print(summary(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
