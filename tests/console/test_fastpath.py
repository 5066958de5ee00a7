"""The speed-ups must not change answers: each fast path against its plain reference.

``patterns.match_body`` (first-character unions with guarded catch-all patterns)
must pick the same pattern as trying ``patterns.BODY`` in order;
``patterns.match_header`` the same header as trying ``patterns.HEADERS`` in
order; ``parser._is_frame`` must agree with ``_frame_from``; ``parser._Hits`` (one
Aho-Corasick scan, one search per non-literal shape) and ``_FindHits`` (a find per
literal) with ``_PlainHits`` (one search of the whole alternation); ``parse_file``
(block decoding) must give what ``parse_lines`` gives on the file's lines.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from console_corpus import cases
from hypothesis import example, given, settings
from hypothesis import strategies as st

from a64triage.console import parse_file, parse_lines, report_to_json
from a64triage.console import patterns as P
from a64triage.console.formats import NOT_REPORTS, PREFILTER
from a64triage.console.lines import clean
from a64triage.console.parser import _FindHits, _frame_from, _Hits, _is_frame, _PlainHits


def _texts() -> list[str]:
    """Cleaned corpus lines plus random cuts of them (cleaned text is stripped)."""
    rnd = random.Random(7)
    out: set[str] = set()
    for case in cases():
        for line in clean(case.body.splitlines()):
            out.add(line.text)
    for text in list(out):
        for _ in range(2):
            i = rnd.randrange(len(text) + 1)
            out.update(t.strip() for t in (text[:i], text[i:]))
    out.update(["", "12 locks held by kworker/0:1/15:", "\u0663 locks held by x/1:", "ſnip",
                "foo/12 is trying to acquire lock:", "x/1 [HC0[0]:SC1[1]:HE1:SE0] takes:",
                "buggy 0 pgtable: 4k pages", "out-of-bounds read at 0xffff0000 (in kfence-#1):"])
    return sorted(out)


TEXTS = _texts()


def _body_reference(text: str) -> str | None:
    for name, rx in P.BODY:
        if rx.match(text):
            return name
    return None


def _header_reference(text: str, anywhere: bool = True) -> P.Header | None:
    """Table order at the line's start; else (``anywhere``) syzkaller's headers where their
    literal first occurs inside the line (never in a ``---[ end`` marker); never a known non-report."""
    for h in P.HEADERS:
        if h.rx.match(text):
            return None if NOT_REPORTS.match(text) else h
    if not anywhere or text.startswith("---[ end "):
        return None
    starts = [i for i in range(1, len(text)) for h in P.HEADERS
              if h.fmt.syz and h.fmt.literal and text.startswith(h.fmt.literal, i)]
    if not starts or NOT_REPORTS.match(text[min(starts):]):
        return None
    rest = text[min(starts):]
    for h in P.HEADERS:
        if h.fmt.syz and h.rx.match(rest):
            return h
    return None


def test_match_body_agrees_with_the_table() -> None:
    for text in TEXTS:
        if text:
            name, m = P.match_body(text)
            assert name == _body_reference(text), text
            assert (m is None) == (name is None)


def test_match_header_agrees_with_the_table() -> None:
    for text in TEXTS:
        for anywhere in (False, True):
            hit = P.match_header(text, anywhere)
            assert (hit[0] if hit else None) is _header_reference(text, anywhere), text


def test_is_frame_agrees_with_frame_from() -> None:
    for text in TEXTS:
        assert _is_frame(text) == (_frame_from(text, "task", 1) is not None), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=120))
def test_fast_paths_agree_on_arbitrary_text(text: str) -> None:
    text = text.strip()
    if text:
        assert P.match_body(text)[0] == _body_reference(text)
    hit = P.match_header(text, True)
    assert (hit[0] if hit else None) is _header_reference(text)
    assert _is_frame(text) == (_frame_from(text, "task", 1) is not None)


def test_union_keeps_capturing_groups_out() -> None:
    assert re.compile(P.ungroup(r"(?P<a>x)(y)[(]\((z)")).groups == 0


def test_block_reader_matches_line_reader(tmp_path: Path) -> None:
    """parse_file decodes 256 KiB blocks; parse_lines gets the same bytes line by line.
    Invalid UTF-8, CRLF and a line longer than the 64 KiB cut are included."""
    body = "\n".join(c.body for c in cases()).encode()
    blob = body + b"\n\xe2\x82\n[ 1.0] x\r\n" + b"y" * 70000 + b"\n" + body[:5000]
    path = tmp_path / "log"
    path.write_bytes(blob * 3)
    chunks = [ln + b"\n" for ln in (blob * 3).split(b"\n")]
    chunks[-1] = chunks[-1][:-1]
    if not chunks[-1]:
        chunks.pop()  # the file ended with a newline
    by_file = [report_to_json(r) for r in parse_file(str(path))]
    by_lines = [report_to_json(r) for r in parse_lines(chunks)]
    assert by_file == by_lines and len(by_file) > 100


_NOISE = [
    "[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci-hcd",
    "[   12.400001] EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode.",
    "[   13.000002] systemd[1]: Started Journal Service.",
    "[ 1514.468902]  random: crng init done",
    "[   14.2] bcmgenet fd580000.ethernet eth0: Link is Up - 1Gbps/Full - flow control rx/tx" + " x" * 30,
    "[   15.300005] audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\"\r",
    "[   16.4] a wrapped mail line that is long enough to make the next one glue onto it ....",
    "continuation without a timestamp",
    "[   17.5] Linux version 6.1.0-13-arm64 (debian-kernel@lists.debian.org) #1 SMP Debian",
    "[   18.6][  T123] a line with a caller id",
    "[   19.7] soft=20",
    "",
    "> [ 20.8] quoted",
    "[   21.9] \x1b[31mred\x1b[0m",
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(_NOISE) - 1), min_size=0, max_size=400),
       st.integers(min_value=0, max_value=10_000))
def test_skipping_ordinary_lines_changes_nothing(picks: list[int], seed: int) -> None:
    """parse_file skips runs of ordinary stamped lines while no report is open; the
    same bytes through parse_lines (no skipping) must give the same reports."""
    rnd = random.Random(seed)
    corpus = cases()
    out: list[str] = []
    for n, k in enumerate(picks):
        out.append(_NOISE[k])
        if n % 97 == 0:
            out += rnd.choice(corpus).body.splitlines()
    _same_by_file_and_lines("\n".join(out).encode())


def test_skipping_on_a_big_noisy_log(tmp_path: Path) -> None:
    rnd = random.Random(3)
    out: list[str] = []
    for case in cases():
        out += [rnd.choice(_NOISE[:7]) for _ in range(rnd.randrange(300))]
        out += case.body.splitlines()
    _same_by_file_and_lines("\n".join(out).encode(), tmp_path)


def _same_by_file_and_lines(blob: bytes, tmp: Path | None = None) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = (tmp or Path(d)) / "noisy.log"
        path.write_bytes(blob)
        by_file = [report_to_json(r) for r in parse_file(str(path))]
    chunks = [ln + b"\n" for ln in blob.split(b"\n")]
    by_lines = [report_to_json(r) for r in parse_lines(chunks)]
    assert by_file == by_lines


_PIECES = [*PREFILTER, *(lit[: len(lit) // 2] for lit in PREFILTER), "\n", " ", "[  T12]", "=3D", "=\n", "\x1b",
           "\r", "é", "😀", "BUGINFO", "WARNINGBUG", "[", "C1]", "@12]", "@", "=20", "=09\r\n", "=", "\r\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=60), st.booleans(),
       st.integers(min_value=1, max_value=80))
@example(["abc", "\n", "def"], False, 1)  # a first window without literals, then more lines
@example(["x\n", "y\n", "z BUG", "\n", "INFO"], True, 2)
@example(["[ C1]", "=", "\n", "@1]", "\r", "x"], False, 1)
def test_one_scan_finds_what_the_finds_find(pieces: list[str], qp: bool, window: int) -> None:
    """``_Hits`` (one Aho-Corasick scan over all PREFILTER literals, one search per
    non-literal shape) and ``_FindHits`` (one ``str.find`` per literal) must give, at every
    line start, the offset one search of the whole ``_INTERESTING`` alternation gives,
    however small the scan window."""
    block = "".join(pieces)
    fast, finds, plain = _Hits(block, window), _FindHits(block), _PlainHits(block)
    starts = [0] + [i + 1 for i, c in enumerate(block) if c == "\n"]
    for start in starts:
        want = plain.first(start, qp)
        assert fast.first(start, qp) == want, (block, start)
        assert finds.first(start, qp) == want, (block, start)


_STAMPS = ["[    1.234567] ", "[ 2.5] ", "[   3.000001][  T123] ", "[ 4.0@1] ", "[5.0]\t", "[ 6.0] [    C0] ", "[ 7.0]",
           "[ 8.0]  ", "", "> ", " ", "kernel: ", "<4>", "Dec  7 13:55:10 host kernel: "]
_RESTS = ["Call trace:", "x0 : 0000000000000000 x1 : ffff000000000000", "pc : f+0x1/0x2", "Unable to handle kernel",
          "[ 9.9] glued record", "foo [ 9.8] glued", "[<ffff000000001234>] f+0x1/0x2", "<IRQ>", "> quoted", "| pipe",
          "12 locks held by x/1:", "...", "<snip>", "snipped", "soft=", "a=3Db", "x=20", "tab=09", "=", "\r", "\x1b[31mred",
          "Message from syslogd@host at x", "kernel: y", "", " ", "é", "a" * 90, "Modules linked in: a b [last unloaded: c]",
          "CPU: 0 PID: 1 Comm: sh Not tainted", "6.1.0 #1", "ffff8801 0000000000000000Call Trace:", "INFO: task ab",
          "cd:12 blocked for more than 120 seconds."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_STAMPS), st.lists(st.one_of(st.sampled_from(_RESTS), st.text(max_size=8)),
                                                              max_size=3),
                          st.sampled_from(["", "\n", "\r\n", "=", " "])), max_size=40))
@example([("[ 1.0] ", ["a=3D"], ""), ("[ 2.0] ", ["b=c"], "")])
@example([("[ 1.0] ", ["x" * 80], ""), ("", ["continued"], ""), ("[ 2.0] ", ["y"], "")])
@example([("[ 1.0] ", ["INFO: task ab"], ""), ("[ 1.0] ", ["cd:12 blocked for more than 120 seconds."], ""),
          ("[ 2.0] ", ["dffffc0000000000Call Trace:"], "")])
def test_clean_fast_path_equals_general_code(parts: list[tuple[str, list[str], str]]) -> None:
    """``clean``'s short path for plain stamped lines must give what its general code gives,
    whatever surrounds them (QP, wraps, blanks, quotes, glued records, prefixes)."""
    lines = [stamp + "".join(rest) + end for stamp, rest, end in parts]
    assert list(clean(lines)) == list(clean(lines, fast=False)), lines
