#!/usr/bin/env bash
# Makes sure Tesseract with its Korean model and pdftoppm are here, for OCR of scanned PDF pages. Nothing is done
# when they are (a second start needs no network); as root with apt-get they are installed; otherwise, or when the
# install fails (offline), it says how to install them and goes on: deptbot then reports scanned pages as pages
# without a text layer instead of reading them. Never fails the start.
set -uo pipefail
have_ocr() {
    command -v tesseract >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
        && tesseract --list-langs 2>/dev/null | grep -qx kor
}
have_ocr && exit 0
[ "${DEPTBOT_OCR__ENABLED:-true}" = false ] && exit 0  # OCR turned off: nothing to install
packages="tesseract-ocr tesseract-ocr-kor poppler-utils"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "OCR 도구를 설치합니다: $packages" >&2
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages; } >/dev/null 2>&1 \
        && have_ocr; then
        exit 0
    fi
    echo "OCR 도구를 설치하지 못했습니다 (네트워크 또는 패키지 저장소 확인)." >&2
fi
echo "스캔한 PDF 쪽을 읽으려면 OCR 도구를 설치하세요: sudo apt-get install $packages" >&2
echo "(설치 전에는 텍스트 레이어가 없는 쪽을 알리기만 하고 읽지 않습니다. 끄려면 DEPTBOT_OCR__ENABLED=false)" >&2
exit 0
