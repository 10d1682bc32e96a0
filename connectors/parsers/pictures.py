"""OCR of pictures embedded in DOCX, HWPX and HWP files: a scanned notice pasted into a document is read where it
sits.

The parsers leave a placeholder block (`Block.picture`) where a picture is anchored; `read_pictures` replaces each
by the lines Tesseract recognises in it (marked `ocr`), or drops it. Small pictures (icons, logos, stamps) are
never read, nor are formats Tesseract cannot take (WMF/EMF drawings): a document without such pictures never
reaches Tesseract. Each picture has the OCR time limit; a file reads at most `max_pages` pictures.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from posixpath import basename

from connectors.document import Block
from connectors.parsers import ocr
from connectors.parsers.textnorm import split_lines

log = logging.getLogger(__name__)

# Below these a picture is an icon, a logo or a stamp: not a page of text worth seconds of OCR.
_MIN_BYTES = 3 * 1024
_MIN_WIDTH, _MIN_HEIGHT = 200, 100
_FORMATS = frozenset({"PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"})
# A photo recognised as text gives a few stray letters; a picture of text gives sentences.
_MIN_LETTERS = 10

# Reads a placeholder's reference: the picture's name (shown in warnings) and bytes, or None when it is missing.
Loader = Callable[[str], "tuple[str, bytes] | None"]


def read_pictures(blocks: list[Block], load: Loader, options: ocr.OcrOptions) -> tuple[list[Block], list[str]]:
    """The blocks with each placeholder replaced by the OCR lines of its picture, and Korean warnings."""
    wanted: dict[str, tuple[str, bytes]] = {}
    for block in blocks:
        if block.picture and block.picture not in wanted and (found := load(block.picture)) and _worth_reading(*found):
            wanted[block.picture] = found
    texts: dict[str, list[str]] = {}
    warnings: list[str] = []
    if wanted:
        reason = ocr.unavailable(options, renderer=False)
        if reason:
            warnings.append(f"문서 속 그림 {len(wanted)}개의 글자를 읽지 않았습니다 — {reason}")
        else:
            texts, warnings = _recognise(wanted, options)
    out: list[Block] = []
    for block in blocks:
        if not block.picture:
            out.append(block)
        else:
            out.extend(Block(text=line, ocr=True) for line in texts.get(block.picture, []))
    return out, warnings


def _worth_reading(name: str, data: bytes) -> bool:
    """A picture large enough to hold text, in a format Tesseract reads (its header only is decoded)."""
    if len(data) < _MIN_BYTES:
        return False
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format in _FORMATS and image.width >= _MIN_WIDTH and image.height >= _MIN_HEIGHT
    except (OSError, ValueError, Image.DecompressionBombError):  # not a picture PIL knows: nothing to read
        log.info("picture skipped name=%s", name)
        return False


def _recognise(wanted: dict[str, tuple[str, bytes]],
               options: ocr.OcrOptions) -> tuple[dict[str, list[str]], list[str]]:
    """OCR lines per reference, and warnings: the pictures read, those that failed, those over the bound."""
    import pytesseract
    from PIL import Image

    refs = list(wanted)
    warnings: list[str] = []
    if len(refs) > (bound := options.max_pages):
        warnings.append(f"OCR은 파일마다 그림 {bound}개까지만 읽습니다: {len(refs) - bound}개 그림은 읽지 "
                        "않았습니다 (DEPTBOT_OCR__MAX_PAGES)")
        refs = refs[:bound]
    texts: dict[str, list[str]] = {}
    failed: list[str] = []
    for ref in refs:
        name, data = wanted[ref]
        ocr.before_page(options.timeout)
        try:
            with Image.open(io.BytesIO(data)) as image:
                lines = split_lines(ocr.read_image(image, options))
        except (RuntimeError, OSError, ValueError, pytesseract.TesseractError, Image.DecompressionBombError) as exc:
            log.warning("ocr failed picture=%s error=%s", name, exc)
            failed.append(f"{basename(name)}({ocr.reason(exc)})")
            continue
        if sum(ch.isalnum() for line in lines for ch in line) >= _MIN_LETTERS:
            texts[ref] = lines
    if texts:
        shown = ", ".join(basename(wanted[ref][0]) for ref in list(texts)[:10]) + (" 등" if len(texts) > 10 else "")
        warnings.insert(0, f"OCR로 읽은 그림 {len(texts)}개 (원문과 대조해 확인하세요): {shown}")
    if failed:
        warnings.append(f"OCR로 읽지 못한 그림 {len(failed)}개: {', '.join(failed[:10])}"
                        + (" 등" if len(failed) > 10 else "")
                        + f" — 한도 조정은 관리자에게: DEPTBOT_OCR__TIMEOUT ({options.timeout:g}초)")
    return texts, warnings
