"""OCR of PDF pages without a text layer: pdftoppm renders the page, Tesseract with its Korean model reads it.

Only pages that have no text and do paint something (an image, or drawing enough to hold outlined text) are
rendered: a PDF whose pages all have text never reaches this module's programs. Each page has its own time limit;
a page over it, or a failure of either program, leaves that page unread and says so, the other pages go on.
Pictures embedded in DOCX, HWPX and HWP files are read by `read_image` (connectors/parsers/pictures.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.particles import with_josa

log = logging.getLogger(__name__)

# A scanned page is an image; a page of outlined text (some HWP exports) is long drawing code. Below this many
# bytes of content and without an image a page is blank, or holds a line or a stamp: not worth seconds of OCR.
_DRAWING_BYTES = 2000
INSTALL_HINT = ("관리자가 tesseract-ocr, tesseract-ocr-kor, poppler-utils를 설치하면 (Debian/Ubuntu: apt-get install "
                "tesseract-ocr tesseract-ocr-kor poppler-utils) 다음 색인 때 OCR로 읽습니다")

# Called with a page's time budget before each page is read: a parsing worker moves its file's deadline on by it,
# so a long scan is limited per page (DEPTBOT_OCR__TIMEOUT) rather than failed as one slow file.
_page_hook: Callable[[float], None] | None = None


def set_page_hook(hook: Callable[[float], None] | None) -> None:
    """Have `hook(seconds)` called before each page is rendered and read (the parsing worker's deadline)."""
    global _page_hook
    _page_hook = hook


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """Whether and how pages without a text layer are read by Tesseract."""

    enabled: bool = True
    timeout: float = 120.0  # seconds for one page: rendering, then recognition, each within it
    languages: str = "kor"  # Tesseract's language models, "kor+eng" for both
    dpi: int = 300
    psm: int = 6  # Tesseract page segmentation: 6 reads the page as one block (chosen on half the eval pages)
    tesseract_cmd: str = "tesseract"
    max_pages: int = 300  # pages read per file: each brings its own time limit, so a file needs a bound too
    # Words Tesseract is less sure of (0-100) are dropped: a chart's marks, a dot leader read as syllables. 40 was
    # chosen on half A of bench/ocr_pages.py's pages among 0, 20, 40, 60 (CER 16.6% -> 14.0%; half B 28.1% -> 12.2%).
    min_confidence: float = 40.0


@dataclass(slots=True)
class OcrResult:
    """Recognised lines per page number, and the Korean warnings of pages that could not be read."""

    pages: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[int, float] = field(default_factory=dict)


def needs_ocr(page: Any) -> bool:
    """True when a page without text paints an image or enough drawing to be outlined text."""
    try:
        if _has_image(page.get("/Resources"), depth=0):
            return True
        content = page.get_contents()
        data = content.get_data() if content is not None else b""
    except Exception:  # a damaged page: nothing to render either
        return False
    return b" BI" in data or b"\nBI" in data or len(data) >= _DRAWING_BYTES


def _has_image(resources: Any, depth: int) -> bool:
    """An image XObject in the resources, or in a form XObject they use (two levels: forms nest rarely)."""
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if resources else None
    if not xobjects or depth > 2:
        return False
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        subtype = xobject.get("/Subtype")
        if subtype == "/Image" or (subtype == "/Form" and _has_image(xobject.get("/Resources"), depth + 1)):
            return True
    return False


def before_page(seconds: float) -> None:
    """Tell the parsing worker (if any) that a page or picture with its own time budget is about to be read."""
    if _page_hook is not None:
        _page_hook(seconds)


def unavailable(options: OcrOptions, renderer: bool = True) -> str:
    """Why OCR cannot run here (Korean, with what to install), or "" when it can; pictures embedded in a
    document need no page renderer (`renderer=False`)."""
    if not options.enabled:
        return "OCR이 꺼져 있습니다 (DEPTBOT_OCR__ENABLED=false)"
    if _page_hook is not None:  # asking Tesseract what it has starts a process: under the OCR limit, not the file's
        _page_hook(options.timeout)
    return _missing(options.tesseract_cmd, options.languages, renderer)


def _missing(tesseract_cmd: str, languages: str, renderer: bool) -> str:
    # Asked anew each time (about 50 ms, only for files with pages to read): Tesseract installed while the
    # server runs is used from the next file on.
    import pytesseract

    if renderer and shutil.which("pdftoppm") is None:
        return f"쪽 이미지를 만들 pdftoppm(poppler-utils)이 없어 OCR을 하지 못했습니다 — {INSTALL_HINT}"
    pytesseract.pytesseract.tesseract_cmd = tesseract_cmd
    try:
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as exc:
        log.info("tesseract unavailable cmd=%s error=%s", tesseract_cmd, exc)
        return f"Tesseract({tesseract_cmd})가 없어 OCR을 하지 못했습니다 — {INSTALL_HINT}"
    absent = [lang for lang in languages.split("+") if lang not in installed]
    if absent:
        return f"Tesseract 언어 모델 {with_josa(', '.join(absent), '이')} 없어 OCR을 하지 못했습니다 — {INSTALL_HINT}"
    return ""


def read_pages(data: bytes, numbers: list[int], options: OcrOptions) -> OcrResult:
    """Render and recognise the given 1-based pages of a PDF; pages that fail are named in the warnings."""
    import pytesseract

    # One thread per page: the parsing workers already use every core, and OpenMP threads on top of them slow
    # every page down.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    pytesseract.pytesseract.tesseract_cmd = options.tesseract_cmd
    from PIL import Image

    result = OcrResult()
    failed: list[str] = []
    if len(numbers) > (bound := options.max_pages):
        result.warnings.append(f"OCR은 파일마다 {bound}쪽까지만 읽습니다: {numbers[bound]}쪽부터 "
                               f"{len(numbers) - bound}개 쪽은 읽지 않았습니다 (DEPTBOT_OCR__MAX_PAGES)")
        numbers = numbers[:bound]
    with tempfile.TemporaryDirectory(prefix="deptbot-ocr-") as folder:
        source = Path(folder) / "source.pdf"
        source.write_bytes(data)
        for number in numbers:
            if _page_hook is not None:
                _page_hook(2 * options.timeout)
            started = time.perf_counter()
            try:
                text = _read_page(source, number, options)
            except (subprocess.SubprocessError, OSError, RuntimeError, pytesseract.TesseractError,
                    Image.DecompressionBombError) as exc:  # OSError includes an image PIL cannot read
                log.warning("ocr failed page=%d error=%s", number, exc)
                failed.append(f"{number}쪽({reason(exc)})")
                continue
            result.seconds[number] = time.perf_counter() - started
            result.pages[number] = text
    if failed:
        result.warnings.append(f"OCR로 읽지 못한 쪽 {len(failed)}개: {', '.join(failed[:10])}"
                               + (" 등" if len(failed) > 10 else "")
                               + f" — 한도 조정은 관리자에게: DEPTBOT_OCR__TIMEOUT ({options.timeout:g}초)")
    return result


def _read_page(source: Path, number: int, options: OcrOptions) -> str:
    from PIL import Image

    stem = source.with_name(f"page-{number}")
    subprocess.run(["pdftoppm", "-r", str(options.dpi), "-gray", "-png", "-f", str(number), "-l", str(number),
                    "-singlefile", str(source), str(stem)], check=True, capture_output=True, timeout=options.timeout)
    image_path = stem.with_suffix(".png")
    try:
        with Image.open(image_path) as image:
            return read_image(image, options)
    finally:
        image_path.unlink(missing_ok=True)


def read_image(image: Any, options: OcrOptions) -> str:
    """The text Tesseract recognises in a PIL image, within the OCR time limit (raises on failure)."""
    import pytesseract
    from PIL import Image

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    pytesseract.pytesseract.tesseract_cmd = options.tesseract_cmd
    if image.mode in ("RGBA", "LA", "P", "PA"):
        # Transparent pixels are black underneath: a picture of black text on a transparent background would
        # read as black on black. Flatten it onto white paper first.
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if options.min_confidence <= 0:
        text: str = pytesseract.image_to_string(image.convert("L"), lang=options.languages,
                                                config=f"--psm {options.psm}", timeout=options.timeout)
        return text
    return confident_text(*_text_and_words(image.convert("L"), options), options.min_confidence)


def _text_and_words(image: Any, options: OcrOptions) -> tuple[str, str]:
    """Tesseract's text and its word table (TSV, with confidences) from one run on the image."""
    with tempfile.TemporaryDirectory(prefix="deptbot-ocr-") as folder:
        source, base = Path(folder) / "image.png", Path(folder) / "out"
        image.save(source)
        try:
            subprocess.run([options.tesseract_cmd, str(source), str(base), "-l", options.languages, "--psm",
                            str(options.psm), "txt", "tsv"], check=True, capture_output=True, timeout=options.timeout)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError("Tesseract process timeout") from exc
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"tesseract failed: {exc.stderr.decode(errors='replace')[-300:]}") from exc
        return (base.with_suffix(".txt").read_text(encoding="utf-8"),
                base.with_suffix(".tsv").read_text(encoding="utf-8"))


def confident_text(text: str, tsv: str, floor: float) -> str:
    """Tesseract's text without the words it was less than `floor` sure of (a chart's marks, a dot leader read as
    syllables). The word table's words are finer than the text's (Korean words come in syllables there), so each
    line of text is matched to its row of the table character by character; a line that does not match is kept."""
    rows: dict[tuple[str, ...], list[tuple[str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) == 12 and cells[11].strip() and float(cells[10]) >= 0:
            rows.setdefault(tuple(cells[1:5]), []).append((cells[11].strip(), float(cells[10])))
    tables = iter(rows.values())
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        words = next(tables, [])
        confidences = [conf for word, conf in words for _ in word]
        if "".join(word for word, _ in words) != "".join(line.split()):
            out.append(line)
            continue
        kept, at = [], 0
        for token in line.split():
            scores = confidences[at: at + len(token)]
            at += len(token)
            if sum(scores) / len(scores) >= floor:
                kept.append(token)
        if kept:
            out.append(" ".join(kept))
    return "\n".join(out)


def reason(exc: BaseException) -> str:
    """A failed page's or picture's reason, in a few Korean words."""
    if isinstance(exc, subprocess.TimeoutExpired) or "timeout" in str(exc).lower():
        return "시간 초과"
    if isinstance(exc, subprocess.CalledProcessError):
        return "쪽 이미지를 만들지 못함"
    return "인식 오류"
