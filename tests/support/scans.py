"""Scanned PDFs made in tests (pages rendered to images, put back as an image-only PDF) and the character error
rate of OCR against the text a page really holds."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

# A notice to print and scan: the facts a question asks for are on it.
NOTICE = ["공공 와이파이 고장 신고 안내",
          "시내 공공 와이파이가 끊기면 정보통신과 유지보수 담당에게 신고합니다.",
          "신고는 평일 오전 9시부터 오후 6시까지 전화로 받습니다.",
          "접수된 고장은 3일 이내에 수리하고 결과를 알려 드립니다."]
FIRST_PAGE = ["정보통신과 업무 안내", "이 문서는 시민 불편 신고의 처리 절차를 정리한 것입니다.",
              "각 쪽의 담당 부서와 처리 기한을 확인하여 주십시오."]
# Lines that fill a page, as on a real notice: OCR of a full page takes seconds.
FILLER = [f"{n}. 민원 처리 현황은 매월 말일에 집계하여 부서장에게 보고하고 누리집에 게시합니다." for n in range(1, 15)]

_SPACE = re.compile(r"\s+")
# Dot leaders of a table of contents ("제안경위 ·········· 1"): dozens of dots whose count is layout, not text.
_LEADER = re.compile(r"[·.…‥ㆍ・]{3,}")


def _tesseract_ready() -> bool:
    if not (shutil.which("tesseract") and shutil.which("pdftoppm")):
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return "kor" in listed


needs_tesseract = pytest.mark.skipif(not _tesseract_ready(),
                                     reason="needs tesseract, its Korean model and pdftoppm (apt-get install "
                                            "tesseract-ocr tesseract-ocr-kor poppler-utils)")


def scanned_copy(pdf: Path, pages: list[int], dpi: int = 200) -> bytes:
    """An image-only PDF of the given 1-based pages of `pdf`, as a scanner would make it (grey, `dpi`)."""
    with tempfile.TemporaryDirectory() as folder:
        images = []
        for number in pages:
            stem = Path(folder) / f"page-{number}"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(number), "-l", str(number),
                            "-singlefile", str(pdf), str(stem)], check=True, capture_output=True)
            with Image.open(stem.with_suffix(".png")) as image:
                images.append(image.convert("L"))
        return images_pdf(images, dpi)


def images_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """One page per image, nothing but the image on it."""
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def korean_font_path() -> str:
    """A Korean font file (fonts-noto-cjk), found with fc-list."""
    found = subprocess.run(["fc-list", ":lang=ko", "file"], capture_output=True, text=True).stdout.split()
    paths = sorted(path.rstrip(":") for path in found if "Sans" in path and "Regular" in path) or \
        sorted(path.rstrip(":") for path in found)
    if not paths:
        raise FileNotFoundError("no Korean font (install fonts-noto-cjk)")
    return paths[0]


def text_page(lines: list[str], dpi: int = 200) -> Image.Image:
    """An A4 page image with the lines printed in 12-point Korean type, as a scan of a printed notice."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    size = round(12 / 72 * dpi)
    font = ImageFont.truetype(korean_font_path(), size, index=1 if korean_font_path().endswith(".ttc") else 0)
    y = dpi  # a one-inch margin
    for line in lines:
        draw.text((dpi, y), line, fill=0, font=font)
        y += round(size * 1.8)
    return image


def normalised(text: str) -> str:
    """The text as OCR is judged on it: NFKC, no whitespace and no dot leaders (layout, not text)."""
    return _LEADER.sub("", _SPACE.sub("", unicodedata.normalize("NFKC", text)))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions of one character each)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def cer(reference: str, recognised: str) -> float:
    """Character error rate: edit distance over the reference's length, whitespace-normalised."""
    ref, hyp = normalised(reference), normalised(recognised)
    return edit_distance(ref, hyp) / max(1, len(ref))


def order_free_cer(reference: str, recognised: str) -> float:
    """Characters missing or extra, ignoring reading order, over the reference's length: the text layer of a page
    may list a side box before the body while OCR reads it where it stands, which `cer` counts as errors."""
    from collections import Counter

    ref, hyp = Counter(normalised(reference)), Counter(normalised(recognised))
    return max(sum((ref - hyp).values()), sum((hyp - ref).values())) / max(1, sum(ref.values()))
