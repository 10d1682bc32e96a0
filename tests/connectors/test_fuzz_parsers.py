"""Fuzz test of the document parsers: hostile uploads must fail clearly, never crash and never hang.

What it checks. Uploads are untrusted, so `connectors.parsers.parse_bytes` promises, for any bytes:
  * it returns a Document, or raises a `ConnectorError` subclass whose message names the file and says in
    Korean what was wrong -- never any other exception;
  * the per-format parser itself kept that promise: a ParseError made by `parse_bytes`' last-resort guard
    ("문서 구조가 비정상적이라 ...") means a library exception escaped the parser, which the guard logs
    as a bug; the fuzz test counts that as a failure too, so each such case gets a proper message;
  * it answers in time: every example runs in a long-lived worker process with a 10 s time limit, so a
    hang (an infinite loop, a catastrophic regex) fails the test instead of blocking CI; the worker is
    replaced after a time-out or a crash, and runs under a memory cap, so an allocation bomb fails too.

How. The seeds are the real sample files (sample_manuals/*/*: PDF, HWPX, DOCX, TXT, MD; an HTML page
built from a TXT sample; HWP files from ../shared/fixtures when present). Hypothesis draws mutations:
  * on the bytes: flip/overwrite bytes, truncate, delete, insert random bytes or runs of format tokens
    (PDF keywords, XML tags, Markdown marks, other formats' magic numbers), duplicate slices, replace a
    number with an extreme one -- at random places, near the start or end, or at structural anchors;
  * inside zip packages (HWPX, DOCX): edit one member's XML and re-zip (valid zip, broken or hostile
    XML), drop, rename or replace a member (entity bombs, external entities, deep nesting, absurd table
    sizes), add a member with a huge unpack ratio, or lie about a member's size in the zip headers; the
    parse runs with small ParseLimits so the zip-bomb limits are hit cheaply;
  * inside HWP (OLE) files: edit a decompressed stream (records) and write it back.

The runs are derandomized, so CI sees the same examples every time (100 per test, about 15 s in all).
DEPTBOT_FUZZ_EXAMPLES=<n> (read at import) asks for more examples per test for a longer local run. A failing
input is saved under the temporary directory (deptbot-fuzz/) and its path is in the failure message.

The crashes and hangs found while writing this (by the fuzzing, and by reading the parsers along with it)
are kept at the end as small fixed inputs (test_regression_*), each run through the same worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import multiprocessing
import os
import re
import tempfile
import traceback
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.document import Document
from connectors.errors import ConnectorError
from connectors.parsers import ParseLimits, parse_bytes

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_manuals"
HWP_FIXTURES = ROOT.parent / "shared" / "fixtures" / "hwp"
MB = 1024 * 1024
# Small limits: a 2 MB unpacked total is enough for every seed and makes the zip-bomb paths cheap to reach.
LIMITS = ParseLimits(max_file_bytes=32 * MB, max_unpacked_bytes=2 * MB)
TIMEOUT = 10.0  # seconds per example; the seeds parse in well under 0.2 s
MEMORY_CAP = 3 * 1024 * MB  # address space of the worker: an allocation bomb becomes a MemoryError
EXAMPLES = int(os.environ.get("DEPTBOT_FUZZ_EXAMPLES", "100"))
FAILURES = Path(tempfile.gettempdir()) / "deptbot-fuzz"

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# --- the worker: parse_bytes in a separate process, with a time limit ---------------------------------------


def _serve(conn: Connection) -> None:
    """Worker loop: answer each (data, file, limits) with a verdict; None or a closed pipe ends it."""
    logging.disable(logging.CRITICAL)  # parse_bytes logs escaped exceptions; the verdict carries them
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP if hard < 0 else min(MEMORY_CAP, hard), hard))
    except (ImportError, ValueError, OSError):
        pass
    conn.send(("ready", ""))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        conn.send(verdict(*job))


def verdict(data: bytes, file: str, limits: ParseLimits) -> tuple[str, str]:
    """("ok" | "error", summary) when the contract holds, else ("escaped" | "bad-error" | "crash", details)."""
    try:
        document = parse_bytes(data, file, limits)
    except ConnectorError as exc:
        cause = _escaped_cause(exc)
        if cause is not None:
            return "escaped", "".join(traceback.format_exception(cause))
        if exc.file != file or not re.search(r"[가-힣]", exc.problem):
            return "bad-error", f"the message must name {file!r} and be Korean: {exc.message!r}"
        return "error", f"{type(exc).__name__}: {exc.message}"
    except Exception:
        return "crash", traceback.format_exc()
    if not isinstance(document, Document) or not isinstance(document.text, str):
        return "crash", f"parse_bytes returned {document!r}"
    return "ok", f"{document.format}: {len(document.blocks)} blocks"


def _escaped_cause(exc: ConnectorError) -> BaseException | None:
    """The library exception behind a ParseError made by parse_bytes' last-resort guard, else None."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    cause = exc.__cause__
    guard = tb is not None and tb.tb_frame.f_code is parse_bytes.__code__
    return cause if guard and cause is not None and not isinstance(cause, ConnectorError) else None


class Worker:
    """One long-lived parsing process, replaced when it times out or dies."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")  # like ingest: no forked threads
        self._start()

    def _start(self) -> None:
        self._conn, child = self._context.Pipe()
        self._process = self._context.Process(target=_serve, args=(child,), daemon=True, name="fuzz-parser")
        self._process.start()
        child.close()
        if not self._conn.poll(120) or self._conn.recv() != ("ready", ""):
            raise RuntimeError("the fuzz worker process did not start")

    def _replace(self) -> None:
        self._process.kill()
        self._process.join(10)
        self._conn.close()
        self._start()

    def parse(self, data: bytes, file: str, limits: ParseLimits, timeout: float = TIMEOUT) -> tuple[str, str]:
        """The worker's verdict, or ("timeout" | "died", details) after replacing the worker."""
        if not self._process.is_alive():
            self._replace()
        self._conn.send((data, file, limits))
        if not self._conn.poll(timeout):
            self._replace()
            return "timeout", f"no answer within {timeout:g} s (hang or catastrophic slowness)"
        try:
            return self._conn.recv()
        except EOFError:
            code = self._process.exitcode
            self._replace()
            return "died", f"the worker process died (exit code {code}): native crash or out of memory"

    def close(self) -> None:
        """Stop the worker process."""
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)
        self._conn.close()


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """The parsing process shared by the module's tests."""
    process = Worker()
    yield process
    process.close()


def check(worker: Worker, data: bytes, file: str, how: str, limits: ParseLimits = LIMITS,
          timeout: float = TIMEOUT) -> None:
    """Parse in the worker and fail with the input, the mutation and the details when the contract breaks."""
    status, detail = worker.parse(data, file, limits, timeout)
    if status in ("ok", "error"):
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    saved = FAILURES / f"{hashlib.sha256(data).hexdigest()[:16]}{Path(file).suffix}"
    saved.write_bytes(data)
    pytest.fail(f"{status} for {file!r} ({len(data)} bytes, saved as {saved})\nmutation: {how}\n{detail}",
                pytrace=False)


# --- seeds --------------------------------------------------------------------------------------------------


def _samples(*suffixes: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(SAMPLES.glob("*/*")) if p.suffix in suffixes}


def _html_seed() -> dict[str, bytes]:
    """An HTML page (headings, paragraphs, a table, hidden parts) made from a TXT sample's lines."""
    path = sorted(SAMPLES.glob("*/*.txt"))[0]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = [f"<h1>{lines[0]}</h1>"] + [f"<p>{line}</p>" for line in lines[1:]]
    body.insert(3, "<table><tr><th>구분</th><th>내용</th></tr><tr><td>시간</td><td>09:00~18:00</td></tr></table>")
    page = ("<!DOCTYPE html>\n<!-- 변환본 --><html><head><meta charset='utf-8'><title>" + lines[0]
            + "</title><style>p{color:red}</style><script>var x = '<p>';</script></head><body>\n"
            + "\n".join(body) + "\n<div hidden>숨김</div><p style='display: none'>숨김</p></body></html>\n")
    return {path.stem + ".html": page.encode("utf-8")}


PDF_SEEDS = _samples(".pdf")
HWPX_SEEDS = _samples(".hwpx")
DOCX_SEEDS = _samples(".docx")
TEXT_SEEDS = _samples(".txt", ".md") | _html_seed()
HWP_SEEDS = {p.name: p.read_bytes() for p in sorted(HWP_FIXTURES.glob("*.hwp"))} if HWP_FIXTURES.is_dir() else {}


def test_seeds_cover_every_format_and_parse_cleanly(worker: Worker) -> None:
    assert PDF_SEEDS and HWPX_SEEDS and DOCX_SEEDS and any(n.endswith(".txt") for n in TEXT_SEEDS)
    assert any(n.endswith(".md") for n in TEXT_SEEDS) and any(n.endswith(".html") for n in TEXT_SEEDS)
    for seeds in (PDF_SEEDS, HWPX_SEEDS, DOCX_SEEDS, TEXT_SEEDS, HWP_SEEDS):
        for name, data in seeds.items():
            assert worker.parse(data, name, LIMITS)[0] in ("ok", "error"), name


# --- byte mutations -----------------------------------------------------------------------------------------

# Numbers that break parsers: zero, negative, 16/32/64-bit edges, absurdly large.
EXTREME_NUMBERS = (0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32, 2**63, 10**9, 10**18, 10**40)
COMMON_TOKENS = (
    b"\x00", b"\xff", b"\n", b"\r", b"\r\n", b"<", b">", b"&", b"&#", b"'", b'"', b"=", b"\\", b"9" * 20,
    b"%PDF-1.7\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04", b"PK\x05\x06", b"\xef\xbb\xbf", b"\xff\xfe",
    "한".encode(), "한".encode()[:2], "\u2003".encode(), "\u3000".encode(), b"\xc0\x80",
)
PDF_TOKENS = (
    b" 0 obj\n", b"endobj\n", b"stream\n", b"\nendstream", b"/Length 99999999", b"/Count -1", b"/Count 2147483647",
    b"/Kids [", b"]", b"[", b"<<", b">>", b"(", b")", b"/Root 1 0 R", b"xref\n0 1\n", b"trailer\n<<", b"startxref\n",
    b"%%EOF", b"1 0 R ", b"/Type /Pages", b"/Type /Page", b"/Parent 2 0 R", b"/Filter /FlateDecode",
    b"/DecodeParms << /Predictor 15 /Columns 99999 >>", b"/ToUnicode", b"BT ", b" ET", b" Tj", b" TJ", b"/Encrypt",
    b"/Prev 0", b"/XRefStm 0", b"/Type /ObjStm /N 2147483647", b"/Contents", b"/Resources", b"/Font",
)
XML_TOKENS = (
    b"<hp:p>", b"</hp:p>", b"<hp:run>", b"<hp:t>", b"</hp:t>", b"<hp:subList>", b"<hp:tr>", b"<hp:tc>",
    b'<hp:tbl rowCnt="2147483647" colCnt="2147483647">', b'<hp:cellAddr rowAddr="99999" colAddr="99999"/>',
    b"<hp:footNote>", b"<hp:ctrl>", b"<w:p>", b"</w:p>", b"<w:r>", b"<w:t>", b"</w:t>", b"<w:tbl>", b"<w:tr>",
    b"<w:tc>", b"</w:tc>", b'<w:tcPr><w:gridSpan w:val="2147483647"/></w:tcPr>', b"<w:tcPr><w:vMerge/></w:tcPr>",
    b'<w:trPr><w:gridBefore w:val="99999999"/></w:trPr>', b'<w:pStyle w:val="Heading1"/>',
    b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', b"&b;",
    b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>', b"&e;", b"<![CDATA[", b"]]>", b"<!--", b"-->",
    b'<?xml version="1.0" encoding="euc-kr"?>', b'xmlns:hp="urn:x"', b"<x:y>", b"</",
)
TEXT_TOKENS = (
    b"#", b"# ", b"###### ", b"|", b"| --- |", b"---", b" ", b"\t", b"<!---->", b"<!--", b"-->", b"<a", b"</",
    b"<!", b"<?", b"<html>", b"<!DOCTYPE html>", b"<table>", b"<tr>", b"<td>", b"</td>", b"<h1>", b"<script>",
    b"<style>", b"&amp;", b"&#x110000;", b"&#99999999999;", "\u200b".encode(), "\u2028".encode(),
    "①".encode(), b"\x1b", b"\x0c", "한글".encode("cp949"), b"\x81",
)
HWP_TOKENS = (
    b"\x42\x00\x00\x00", b"\x43\x00\x00\x00", b"\x47\x00\x00\x00", b"\x48\x00\x00\x00", b"\x4d\x00\x00\x00",
    b"\xff\xff\xff\xff", b"\x00\x00\xf0\xff", b"\x0b\x00", b"\x0d\x00", b"\x09\x00", b" lbt", b"  nf", b"onta",
    b"\x02\x00" + b" lbt" + b"\x00" * 8 + b"\x02\x00",
)


def _all_at(pattern: bytes, data: bytes) -> list[int]:
    return [m.start() for m in islice(re.finditer(pattern, data), 20_000)]


def _record_offsets(data: bytes) -> list[int]:
    """Where the records of an HWP stream start (their headers: tag, level, size)."""
    offsets: list[int] = []
    at = 0
    while at + 4 <= len(data) and len(offsets) < 20_000:
        offsets.append(at)
        size = int.from_bytes(data[at:at + 4], "little") >> 20
        if size == 0xFFF:
            size = int.from_bytes(data[at + 4:at + 8], "little") + 4
        at += 4 + size
    return offsets


@dataclass(frozen=True)
class Family:
    """What the mutations know about a format: useful tokens and structural anchors."""

    name: str
    tokens: tuple[bytes, ...]
    anchors: Callable[[bytes], list[int]]


PDF = Family("pdf", COMMON_TOKENS + PDF_TOKENS,
             lambda d: _all_at(rb"\d{1,10} \d{1,5} obj|endobj|stream|xref|trailer|startxref|/[A-Z]\w+|<<|>>|\[", d))
XML = Family("xml", COMMON_TOKENS + XML_TOKENS, lambda d: _all_at(rb"<", d))
TEXT = Family("text", COMMON_TOKENS + TEXT_TOKENS, lambda d: [0, *(i + 1 for i in _all_at(rb"\n", d))])
ZIP = Family("zip", COMMON_TOKENS, lambda d: _all_at(rb"PK\x01\x02|PK\x03\x04|PK\x05\x06", d))
OLE = Family("ole", COMMON_TOKENS + HWP_TOKENS, lambda d: list(range(0, len(d), 512)))
RECORDS = Family("records", COMMON_TOKENS + HWP_TOKENS, _record_offsets)


@dataclass(frozen=True)
class Where:
    """A position: anywhere, near the start, near the end, or a few bytes after a structural anchor."""

    mode: str
    n: int
    offset: int = 0

    def resolve(self, data: bytes, family: Family) -> int:
        """The position in `data` (0..len)."""
        size = len(data)
        if self.mode == "start":
            return min(self.n % 64, size)
        if self.mode == "end":
            return size - min(self.n % 1024, size)
        if self.mode == "anchor":
            anchors = family.anchors(data)
            if anchors:
                return min(anchors[self.n % len(anchors)] + self.offset, size)
        return self.n % (size + 1)


@dataclass(frozen=True)
class Run:
    """A format token repeated `count` times (a whole run is capped at 256 KB)."""

    token: bytes
    count: int

    def data(self) -> bytes:
        """The bytes of the run."""
        return self.token * max(1, min(self.count, 256 * 1024 // len(self.token)))


@dataclass(frozen=True)
class Flip:
    at: Where
    mask: int

    def apply(self, data: bytes, family: Family) -> bytes:
        at = self.at.resolve(data, family)
        return data if at >= len(data) else data[:at] + bytes([data[at] ^ self.mask]) + data[at + 1:]


@dataclass(frozen=True)
class Overwrite:
    at: Where
    payload: bytes | Run

    def apply(self, data: bytes, family: Family) -> bytes:
        at, payload = self.at.resolve(data, family), _payload(self.payload)
        return data[:at] + payload + data[at + len(payload):]


@dataclass(frozen=True)
class Insert:
    at: Where
    payload: bytes | Run

    def apply(self, data: bytes, family: Family) -> bytes:
        at = self.at.resolve(data, family)
        return data[:at] + _payload(self.payload) + data[at:]


@dataclass(frozen=True)
class Truncate:
    at: Where

    def apply(self, data: bytes, family: Family) -> bytes:
        return data[:self.at.resolve(data, family)]


@dataclass(frozen=True)
class Delete:
    at: Where
    length: int

    def apply(self, data: bytes, family: Family) -> bytes:
        at = self.at.resolve(data, family)
        return data[:at] + data[at + self.length:]


@dataclass(frozen=True)
class Duplicate:
    source: Where
    length: int
    to: Where

    def apply(self, data: bytes, family: Family) -> bytes:
        start = self.source.resolve(data, family)
        to = self.to.resolve(data, family)
        return data[:to] + data[start:start + self.length] + data[to:]


@dataclass(frozen=True)
class Number:
    """Replace the k-th decimal number in the data with an extreme value."""

    k: int
    value: int

    def apply(self, data: bytes, family: Family) -> bytes:
        numbers = list(islice(re.finditer(rb"\d+", data), 20_000))
        if not numbers:
            return data
        found = numbers[self.k % len(numbers)]
        return data[:found.start()] + str(self.value).encode() + data[found.end():]


ByteOp = Flip | Overwrite | Insert | Truncate | Delete | Duplicate | Number


def _payload(payload: bytes | Run) -> bytes:
    return payload.data() if isinstance(payload, Run) else payload


def apply_all(data: bytes, ops: tuple[ByteOp, ...] | list[ByteOp], family: Family) -> bytes:
    """Apply byte mutations in order."""
    for op in ops:
        data = op.apply(data, family)
    return data


def byte_ops(family: Family, max_ops: int = 6) -> st.SearchStrategy[list[ByteOp]]:
    """1..max_ops byte mutations for a format family."""
    where = st.builds(Where, mode=st.sampled_from(["any", "start", "end", "anchor"]),
                      n=st.integers(0, 2**32 - 1), offset=st.integers(0, 48))
    run = st.builds(Run, token=st.sampled_from(family.tokens),
                    count=st.one_of(st.integers(1, 8), st.integers(1000, 200_000)))
    payload = st.one_of(st.binary(min_size=1, max_size=32), run)
    length = st.one_of(st.integers(1, 16), st.integers(1, 64 * 1024))
    op = st.one_of(
        st.builds(Flip, at=where, mask=st.integers(1, 255)),
        st.builds(Overwrite, at=where, payload=payload),
        st.builds(Insert, at=where, payload=payload),
        st.builds(Truncate, at=where),
        st.builds(Delete, at=where, length=length),
        st.builds(Duplicate, source=where, length=length, to=where),
        st.builds(Number, k=st.integers(0, 2**32 - 1), value=st.sampled_from(EXTREME_NUMBERS)),
    )
    return st.lists(op, min_size=1, max_size=max_ops)


# --- zip package mutations (HWPX, DOCX) ---------------------------------------------------------------------

W_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
HP_NS = b'xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph"'
ENTITY_BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "' + b"x" * 64 + b'">'
               + b"".join(b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(8))
               + b"]>\n")
EXTERNAL_ENTITY = b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'


def _hostile_hwpx(kind: str) -> bytes:
    """A hostile section-like XML document for HWPX members."""
    def sec(body: bytes, head: bytes = b"") -> bytes:
        return head + b"<hs:sec " + HP_NS + b">" + body + b"</hs:sec>"

    def para(inner: bytes) -> bytes:
        return b"<hp:p><hp:run>" + inner + b"</hp:run></hp:p>"

    cell = (b'<hp:tc><hp:cellAddr colAddr="2147483646" rowAddr="2147483646"/><hp:subList>'
            + para(b"<hp:t>x</hp:t>") + b"</hp:subList></hp:tc>")
    nest = (b"<hp:rect><hp:drawText><hp:subList><hp:p><hp:run>",
            b"</hp:run></hp:p></hp:subList></hp:drawText></hp:rect>")
    return {
        "entity-bomb": sec(para(b"<hp:t>&i;</hp:t>"), ENTITY_BOMB),
        "external-entity": sec(para(b"<hp:t>&e;</hp:t>"), EXTERNAL_ENTITY),
        "deep-nesting": sec(para(nest[0] * 60 + b"<hp:t>x</hp:t>" + nest[1] * 60)),
        "too-deep": sec(b"<hp:p>" * 3000 + b"</hp:p>" * 3000),
        "huge-table": sec(para(b'<hp:tbl rowCnt="2147483647" colCnt="2147483647"><hp:tr>' + cell * 3
                               + b"</hp:tr></hp:tbl>")),
        "many-notes": sec(para(b"<hp:footNote><hp:subList>" + para(b"<hp:t>n</hp:t>") * 2000
                               + b"</hp:subList></hp:footNote>")),
        "binary": bytes(range(256)) * 8,
        "empty": b"",
        "wrong-root": b"<x/>",
    }[kind]


def _hostile_docx(kind: str) -> bytes:
    """A hostile document.xml-like XML document for DOCX members."""
    def doc(body: bytes, head: bytes = b"") -> bytes:
        return head + b"<w:document " + W_NS + b"><w:body>" + body + b"</w:body></w:document>"

    def para(text: bytes) -> bytes:
        return b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>"

    return {
        "entity-bomb": doc(para(b"&i;"), ENTITY_BOMB),
        "external-entity": doc(para(b"&e;"), EXTERNAL_ENTITY),
        "deep-nesting": doc(b"<w:tbl><w:tr><w:tc>" * 80 + para(b"x") + b"</w:tc></w:tr></w:tbl>" * 80),
        "too-deep": doc(b"<w:p>" * 3000 + b"</w:p>" * 3000),
        "huge-table": doc(b'<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2147483647"/></w:tcPr>' + para(b"x")
                          + b"</w:tc></w:tr><w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr>" + para(b"y")
                          + b"</w:tc></w:tr></w:tbl>"),
        "many-notes": doc(para(b"n") * 20000),
        "binary": bytes(range(256)) * 8,
        "empty": b"",
        "wrong-root": b"<x/>",
    }[kind]


HOSTILE_KINDS = ("entity-bomb", "external-entity", "deep-nesting", "too-deep", "huge-table", "many-notes",
                 "binary", "empty", "wrong-root")
NEW_MEMBER_NAMES = ("Contents/section1.xml", "Contents/section10.xml", "Contents/header.xml", "Contents/content.hpf",
                    "META-INF/manifest.xml", "mimetype", "word/document.xml", "word/styles.xml",
                    "[Content_Types].xml", "../../escape.xml", "/absolute.xml", "Contents/섹션0.xml", "")
Member = tuple[zipfile.ZipInfo, bytes]


@dataclass(frozen=True)
class EditMember:
    """Byte mutations inside one member (its uncompressed XML)."""

    k: int
    ops: tuple[ByteOp, ...]

    def apply(self, members: list[Member], hostile: Callable[[str], bytes]) -> list[Member]:
        if not members:
            return members
        index = self.k % len(members)
        info, data = members[index]
        return [*members[:index], (info, apply_all(data, self.ops, XML)), *members[index + 1:]]


@dataclass(frozen=True)
class DropMember:
    k: int

    def apply(self, members: list[Member], hostile: Callable[[str], bytes]) -> list[Member]:
        return [m for i, m in enumerate(members) if i != self.k % max(len(members), 1)]


@dataclass(frozen=True)
class RenameMember:
    k: int
    name: str

    def apply(self, members: list[Member], hostile: Callable[[str], bytes]) -> list[Member]:
        if not members or not self.name:
            return members
        index = self.k % len(members)
        info, data = members[index]
        return [*members[:index], (_info(self.name, info.compress_type), data), *members[index + 1:]]


@dataclass(frozen=True)
class ReplaceMember:
    """Replace one member with a hostile XML document (entity bomb, deep nesting, absurd table, ...)."""

    k: int
    kind: str

    def apply(self, members: list[Member], hostile: Callable[[str], bytes]) -> list[Member]:
        if not members:
            return members
        index = self.k % len(members)
        return [*members[:index], (members[index][0], hostile(self.kind)), *members[index + 1:]]


@dataclass(frozen=True)
class AddMember:
    """Add a member (a new name, or a duplicate of the k-th) of `size` bytes of one repeated pattern."""

    k: int
    name: str
    size: int
    fill: bytes

    def apply(self, members: list[Member], hostile: Callable[[str], bytes]) -> list[Member]:
        name = self.name or (members[self.k % len(members)][0].filename if members else "x.xml")
        return [*members, (_info(name, zipfile.ZIP_DEFLATED), self.fill * (self.size // len(self.fill) + 1))]


@dataclass(frozen=True)
class LieAboutSize:
    """After zipping: write `value` into the k-th central-directory entry's size field (and its local header)."""

    k: int
    compressed: bool
    value: int


ArchiveOp = EditMember | DropMember | RenameMember | ReplaceMember | AddMember


def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    return info


def _members(data: bytes) -> list[Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _zip(members: list[Member]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate member names are one of the mutations
        for info, data in members:
            archive.writestr(_info(info.filename, info.compress_type), data)
    return out.getvalue()


def _lie(data: bytes, lie: LieAboutSize) -> bytes:
    entries = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
    if not entries:
        return data
    central = entries[lie.k % len(entries)]
    field = 20 if lie.compressed else 24
    value = (lie.value % 2**32).to_bytes(4, "little")
    patched = data[:central + field] + value + data[central + field + 4:]
    local = int.from_bytes(patched[central + 42:central + 46], "little")
    if patched[local:local + 4] == b"PK\x03\x04":
        patched = patched[:local + field - 2] + value + patched[local + field + 2:]
    return patched


def archive_ops(family: Family) -> st.SearchStrategy[list[ArchiveOp]]:
    """1..4 changes to a zip package's members."""
    k = st.integers(0, 2**16)
    op = st.one_of(
        st.builds(EditMember, k=k, ops=byte_ops(family, 4).map(tuple)),
        st.builds(DropMember, k=k),
        st.builds(RenameMember, k=k, name=st.sampled_from(NEW_MEMBER_NAMES)),
        st.builds(ReplaceMember, k=k, kind=st.sampled_from(HOSTILE_KINDS)),
        st.builds(AddMember, k=k, name=st.sampled_from(NEW_MEMBER_NAMES),
                  size=st.sampled_from([1024, 300 * 1024, 2 * MB + 1, 5 * MB]),
                  fill=st.sampled_from([b"\x00", b"<hp:p/>", b"<w:p/>", b"A"])),
    )
    return st.lists(op, min_size=1, max_size=4)


def mutate_package(seed: bytes, ops: list[ArchiveOp], lie: LieAboutSize | None, hostile: Callable[[str], bytes],
                   tail: list[ByteOp]) -> bytes:
    """Re-zip the seed after member changes, then optionally lie about a size and mutate the zip's bytes."""
    members = _members(seed)
    for op in ops:
        members = op.apply(members, hostile)
    data = _zip(members)
    if lie is not None:
        data = _lie(data, lie)
    return apply_all(data, tail, ZIP)


lies = st.none() | st.builds(LieAboutSize, k=st.integers(0, 64), compressed=st.booleans(),
                             value=st.sampled_from([0, 1, 2**31 - 1, 2**32 - 1, 2**24]))


# --- HWP (OLE) stream mutations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EditStream:
    """Byte mutations inside one OLE stream (inflated first when the document is compressed), written back."""

    k: int
    ops: tuple[ByteOp, ...]


def mutate_stream(seed: bytes, edit: EditStream) -> bytes:
    """The seed with one stream's (decompressed) records mutated and written back at the stream's size."""
    import olefile

    buffer = io.BytesIO(seed)
    with olefile.OleFileIO(buffer, write_mode=True) as ole:
        header = ole.openstream("FileHeader").read()
        compressed = len(header) >= 40 and header[36] & 1
        streams = sorted("/".join(path) for path in ole.listdir(streams=True, storages=False))
        name = streams[edit.k % len(streams)]
        raw = ole.openstream(name).read()
        inflate = compressed and name != "FileHeader"
        try:
            plain = zlib.decompressobj(-15).decompress(raw) if inflate else raw
        except zlib.error:
            plain, inflate = raw, False
        data = apply_all(plain, edit.ops, RECORDS)
        if inflate:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = packer.compress(data) + packer.flush()
        ole.write_stream(name, data[:len(raw)].ljust(len(raw), b"\x00"))
    return buffer.getvalue()


# --- the fuzz tests -----------------------------------------------------------------------------------------


def _describe(seed: str, *parts: Any) -> str:
    return f"seed={seed!r} " + " ".join(repr(part) for part in parts)


@FUZZ
@given(seed=st.sampled_from(sorted(PDF_SEEDS)), ops=byte_ops(PDF))
def test_fuzz_pdf_bytes(worker: Worker, seed: str, ops: list[ByteOp]) -> None:
    check(worker, apply_all(PDF_SEEDS[seed], ops, PDF), seed, _describe(seed, ops))


@FUZZ
@given(seed=st.sampled_from(sorted(TEXT_SEEDS)), ops=byte_ops(TEXT))
def test_fuzz_text_markdown_html_bytes(worker: Worker, seed: str, ops: list[ByteOp]) -> None:
    check(worker, apply_all(TEXT_SEEDS[seed], ops, TEXT), seed, _describe(seed, ops))


@FUZZ
@given(seed=st.sampled_from(sorted(HWPX_SEEDS)), ops=byte_ops(ZIP))
def test_fuzz_hwpx_bytes(worker: Worker, seed: str, ops: list[ByteOp]) -> None:
    check(worker, apply_all(HWPX_SEEDS[seed], ops, ZIP), seed, _describe(seed, ops))


@FUZZ
@given(seed=st.sampled_from(sorted(HWPX_SEEDS)), ops=archive_ops(XML), lie=lies,
       tail=st.lists(byte_ops(ZIP, 1).map(lambda ops: ops[0]), max_size=2))
def test_fuzz_hwpx_package(worker: Worker, seed: str, ops: list[ArchiveOp], lie: LieAboutSize | None,
                           tail: list[ByteOp]) -> None:
    data = mutate_package(HWPX_SEEDS[seed], ops, lie, _hostile_hwpx, tail)
    check(worker, data, seed, _describe(seed, ops, lie, tail))


@FUZZ
@given(seed=st.sampled_from(sorted(DOCX_SEEDS)), ops=byte_ops(ZIP))
def test_fuzz_docx_bytes(worker: Worker, seed: str, ops: list[ByteOp]) -> None:
    check(worker, apply_all(DOCX_SEEDS[seed], ops, ZIP), seed, _describe(seed, ops))


@FUZZ
@given(seed=st.sampled_from(sorted(DOCX_SEEDS)), ops=archive_ops(XML), lie=lies,
       tail=st.lists(byte_ops(ZIP, 1).map(lambda ops: ops[0]), max_size=2))
def test_fuzz_docx_package(worker: Worker, seed: str, ops: list[ArchiveOp], lie: LieAboutSize | None,
                           tail: list[ByteOp]) -> None:
    data = mutate_package(DOCX_SEEDS[seed], ops, lie, _hostile_docx, tail)
    check(worker, data, seed, _describe(seed, ops, lie, tail))


needs_hwp = pytest.mark.skipif(not HWP_SEEDS, reason=f"{HWP_FIXTURES} is absent (the HWP seeds live in ../shared)")


@needs_hwp
@FUZZ
@given(seed=st.sampled_from(sorted(HWP_SEEDS) or ["-"]), ops=byte_ops(OLE))
def test_fuzz_hwp_bytes(worker: Worker, seed: str, ops: list[ByteOp]) -> None:
    check(worker, apply_all(HWP_SEEDS[seed], ops, OLE), seed, _describe(seed, ops))


@needs_hwp
@FUZZ
@given(seed=st.sampled_from(sorted(HWP_SEEDS) or ["-"]),
       edit=st.builds(EditStream, k=st.integers(0, 2**16), ops=byte_ops(RECORDS, 4).map(tuple)))
def test_fuzz_hwp_streams(worker: Worker, seed: str, edit: EditStream) -> None:
    check(worker, mutate_stream(HWP_SEEDS[seed], edit), seed, _describe(seed, edit))


# --- regressions: the crashes and hangs found, as small fixed inputs ----------------------------------------
# Each ran into the bug before its fix (a library exception escaping a parser, or minutes of CPU).


def _docx_seed() -> bytes:
    return DOCX_SEEDS[sorted(DOCX_SEEDS)[0]]


def _replace_members(data: bytes, replace: dict[str, bytes]) -> bytes:
    return _zip([(info, replace.get(info.filename, body)) for info, body in _members(data)])


def _patch_all(data: bytes, signature: bytes, field: int, value: bytes) -> bytes:
    """Write `value` at `field` bytes into every zip header that starts with `signature`."""
    out = bytearray(data)
    for match in re.finditer(re.escape(signature), data):
        out[match.start() + field:match.start() + field + len(value)] = value
    return bytes(out)


def _corrupt_first_member(data: bytes) -> bytes:
    """The first member's deflate data starting with an invalid block type (zlib.error when read)."""
    start = 30 + int.from_bytes(data[26:28], "little") + int.from_bytes(data[28:30], "little")
    return data[:start] + b"\xff" * 4 + data[start + 4:]


def _pdf(*objects: bytes) -> bytes:
    """A PDF with the given objects (1 0 obj first) and a correct xref table."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def _one_page_pdf(content: bytes = _stream(b"BT /F1 12 Tf 20 100 Td (Hello) Tj ET"), font: bytes = b"",
                  *extra: bytes) -> bytes:
    return _pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
                b" /Resources << /Font << /F1 5 0 R >> >> >>",
                content, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica " + font + b" >>", *extra)


def _many_members_hwpx(count: int) -> bytes:
    """An HWPX whose content.hpf lists `count` sections, each its own (empty) member."""
    items = "".join(f'<opf:item id="s{i}" href="Contents/section{i}.xml"/>' for i in range(count))
    spine = "".join(f'<opf:itemref idref="s{i}"/>' for i in range(count))
    hpf = f'<opf:package xmlns:opf="urn:x"><opf:manifest>{items}</opf:manifest><opf:spine>{spine}</opf:spine>'
    members = [(_info("mimetype", zipfile.ZIP_STORED), b"application/hwp+zip"),
               (_info("Contents/content.hpf", zipfile.ZIP_DEFLATED), (hpf + "</opf:package>").encode())]
    members += [(_info(f"Contents/section{i}.xml", zipfile.ZIP_DEFLATED), b"<s/>") for i in range(count)]
    return _zip(members)


def _hwp_with_unmatched_controls(count: int) -> bytes:
    """An HWP seed whose Section0 is one paragraph: `count` table controls in the text, none matching its
    `count` control records (a 1.3 KB stream that inflates to 600 KB)."""
    import olefile

    def record(tag: int, level: int, body: bytes) -> bytes:
        if len(body) >= 0xFFF:
            return (tag | level << 10 | 0xFFF << 20).to_bytes(4, "little") + len(body).to_bytes(4, "little") + body
        return (tag | level << 10 | len(body) << 20).to_bytes(4, "little") + body

    control = b"\x0b\x00 lbt" + b"\x00" * 8 + b"\x0b\x00"
    plain = record(0x42, 0, b"\x00" * 22) + record(0x43, 1, control * count) + record(0x47, 1, b"xxxx") * count
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(plain) + packer.flush()
    buffer = io.BytesIO(HWP_SEEDS["sample-5017.hwp"])
    with olefile.OleFileIO(buffer, write_mode=True) as ole:
        size = ole.get_size("BodyText/Section0")
        assert len(packed) <= size
        ole.write_stream("BodyText/Section0", packed.ljust(size, b"\x00"))
    return buffer.getvalue()


REGRESSIONS: list[tuple[str, Callable[[], bytes], str]] = [
    # zipfile's NotImplementedError ("zip file version 15.3") escaped detect_format, i.e. parse_bytes itself.
    ("zip-version.docx", lambda: _patch_all(_docx_seed(), b"PK\x01\x02", 6, b"\x99"), "detect_format"),
    # A member compressed with an unknown method: NotImplementedError from zipfile.
    ("compression-99.docx", lambda: _patch_all(_patch_all(_docx_seed(), b"PK\x01\x02", 10, b"\x63"),
                                               b"PK\x03\x04", 8, b"\x63"), "parse_docx"),
    ("compression-99.hwpx", lambda: _patch_all(_patch_all(HWPX_SEEDS[sorted(HWPX_SEEDS)[0]], b"PK\x01\x02", 10,
                                                          b"\x63"), b"PK\x03\x04", 8, b"\x63"), "detect_format"),
    # Corrupt deflate data in a member: zlib.error out of python-docx.
    ("corrupt-deflate.docx", lambda: _corrupt_first_member(_docx_seed()), "parse_docx"),
    # Parts whose XML is the wrong element: AttributeError out of python-docx.
    ("wrong-content-types.docx", lambda: _replace_members(_docx_seed(), {"[Content_Types].xml": b"<x/>"}),
     "parse_docx"),
    ("wrong-document.docx", lambda: _replace_members(_docx_seed(), {"word/document.xml": b"<x/>"}), "parse_docx"),
    # gridSpan="2147483647": python-docx's row.cells yields the cell once per spanned column -- minutes.
    ("grid-span.docx", lambda: _replace_members(_docx_seed(), {"word/document.xml": _hostile_docx("huge-table")}),
     "parse_docx"),
    # pypdf's LimitReachedError (a /ToUnicode code longer than 16 bytes) is not a PdfReadError.
    ("long-cmap-code.pdf", lambda: _one_page_pdf(
        _stream(b"BT /F1 12 Tf 20 100 Td (Hello) Tj ET"), b"/ToUnicode 6 0 R",
        _stream(b"begincmap\n1 beginbfchar\n<0102030405060708090A0B0C0D0E0F1011> <0041>\nendbfchar\nendcmap")),
     "parse_pdf"),
    # An unknown stream filter: NotImplementedError out of pypdf.
    ("unknown-filter.pdf", lambda: _one_page_pdf(_stream(b"BT ET", b"/Filter /FlateDeeDecode")), "parse_pdf"),
    # "(<!--.*?-->\s*)*<html" in detect_format backtracked exponentially on repeated empty comments.
    ("comments.txt", lambda: b"<!---->" * 40 + b"x", "detect_format"),
    # The Markdown heading regex "(.*?)\s*#*\s*$" was cubic on a run of spaces, quadratic on a run of "#".
    ("spaces-heading.md", lambda: "# 제목\u2003".encode() + "\u2003".encode() * 8000 + "끝".encode(), "parse_markdown"),
    ("hashes-heading.md", lambda: b"# " + b"#" * 150_000 + b" x", "parse_markdown"),
    # HTMLParser.close() (CPython < 3.11.13) rescans an unterminated "<a" tail once per "<": quadratic.
    ("unclosed-tags.html", lambda: b"<html><body><p>x</p>" + b"<a" * 150_000, "parse_html"),
    ("unclosed-end-tags.html", lambda: b"<html><body><p>x</p>" + b"</" * 150_000, "parse_html"),
]


@pytest.mark.parametrize(("file", "make", "where"), REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regression_inputs_fail_clearly_and_quickly(worker: Worker, file: str, make: Callable[[], bytes],
                                                    where: str) -> None:
    check(worker, make(), file, f"regression input for {where}")


@needs_hwp
def test_regression_hwp_controls_without_records_are_linear(worker: Worker) -> None:
    # Each control character in the text scanned all control records for its id: 25,000 unmatched controls
    # (a 1.3 KB stream) took about a minute; now a few milliseconds.
    check(worker, _hwp_with_unmatched_controls(25_000), "controls.hwp", "regression input for parse_hwp")


def test_regression_hwpx_with_many_sections_is_linear(worker: Worker) -> None:
    # content.hpf hrefs were each looked up in a fresh namelist(): quadratic in the number of members, about
    # 15 s for these 20,000 sections (2.8 MB) before the fix, under 1 s after; default limits, so it opens.
    check(worker, _many_members_hwpx(20_000), "sections.hwpx", "regression input for parse_hwpx", ParseLimits(),
          timeout=5.0)
