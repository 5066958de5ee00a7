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
from typing import Any

from console_corpus import cases
from hypothesis import example, given, settings
from hypothesis import strategies as st

from a64triage.console import parse_file, parse_lines, report_to_json
from a64triage.console import patterns as P
from a64triage.console.formats import NOT_REPORTS, PREFILTER
from a64triage.console.lines import Line, clean
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
        by_file = list(parse_file(str(path)))
    chunks = [ln + b"\n" for ln in blob.split(b"\n")]
    by_lines = list(parse_lines(chunks))
    assert by_file == by_lines  # the whole reports: their lines and line numbers too


_PIECES = [*PREFILTER, *(lit[: len(lit) // 2] for lit in PREFILTER), "\n", " ", "[  T12]", "=3D", "=\n", "\x1b",
           "\r", "é", "😀", "BUGINFO", "WARNINGBUG", "[", "C1]", "@12]", "@", "=20", "=09\r\n", "=", "\r\n",
           # the caller-id shape's anchors ("T1", "C2") and opener, other blanks, digits and a cut
           "[\tT1]", "[\nC2]", "[ [T3]", "T\u0663]", "[T\u0661]", "[" + " " * 12 + "T1]", "[" + " " * 13 + "T1]", "T9", "C0]",
           "=20\r", "=09", "=3", "D", "=\r", "\x1b[", "\u2003"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=60), st.booleans(),
       st.integers(min_value=1, max_value=80))
@example(["abc", "\n", "def"], False, 1)  # a first window without literals, then more lines
@example(["x\n", "y\n", "z BUG", "\n", "INFO"], True, 2)
@example(["[ C1]", "=", "\n", "@1]", "\r", "x"], False, 1)
@example(["a\n", "[", " " * 5, "\n", "T12]", "x=20\r"], False, 3)  # an opener a line before its anchor; a QP tail
def test_one_scan_finds_what_the_finds_find(pieces: list[str], qp: bool, window: int) -> None:
    """``_Hits`` (one Aho-Corasick scan over all PREFILTER literals, another over the
    non-literal shapes' anchors) and ``_FindHits`` (one ``str.find`` per literal, one search
    per shape) must give, at every
    line start, the offset one search of the whole ``_INTERESTING`` alternation gives,
    however small the scan window."""
    block = "".join(pieces)
    fast, finds, plain = _Hits(block, window), _FindHits(block), _PlainHits(block)
    starts = [0] + [i + 1 for i, c in enumerate(block) if c == "\n"]
    for start in starts:
        want = plain.first(start, qp)
        assert fast.first(start, qp) == want, (block, start)
        assert finds.first(start, qp) == want, (block, start)
    # Asked again from earlier lines (a run tried from each line after the one that ended it).
    again = _Hits(block, window)
    for k in range(len(starts)):
        for start in (starts[k], *starts[max(0, k - 3):k]):
            assert again.first(start, qp) == plain.first(start, qp), (block, start)


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


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([*_STAMPS, "[    0.000000]   ", "[1.0]\x0b", "[ 1.0] [T1]", "[\u0664.0] "]),
       st.lists(st.one_of(st.sampled_from(_RESTS), st.text(max_size=8)), max_size=2))
def test_ts_plain_ends_where_ts_caller_ends(stamp: str, rest: list[str]) -> None:
    """Where ``_TS_PLAIN`` matches, ``_TS_CALLER`` ends at the same place with no caller id
    and no "@" (what clean's short path and plain_stamped then read from it)."""
    from a64triage.console.lines import _TS_CALLER, _TS_PLAIN

    raw = stamp + "".join(rest)
    plain = _TS_PLAIN.match(raw)
    if plain is not None:
        m = _TS_CALLER.match(raw)
        assert m is not None and m.end() == plain.end() and m.group(2) is None and m.group(4) is None, raw


# ---- idle runs: ordinary lines after a report's text, counted instead of fed (parser._with_skips)

DATA_ROOT = Path(__file__).resolve().parents[1] / "data"
E2E_LOGS = sorted((DATA_ROOT / "e2e").glob("*.log"))


def _real_logs() -> list[Path]:
    return sorted(p for p in DATA_ROOT.rglob("*") if p.is_file() and p.stat().st_size < 2_000_000)


def test_skipping_gives_the_plain_reports_on_every_real_log() -> None:
    """parse_file (blocks, ordinary runs skipped with or without an idle report open) against
    parse_lines (every line cleaned and fed) on every file under tests/data, and on them all
    one after another (the ends of one log become the idle lines of another's report)."""
    blobs = []
    for path in _real_logs():
        blob = path.read_bytes()
        blobs.append(blob)
        _same_by_file_and_lines(blob)
    _same_by_file_and_lines(b"\n".join(blobs))


def _templates() -> list[Any]:
    """Open reports in every combination of the states ``_Builder.feed`` looks at."""
    import itertools

    from a64triage.console.kinds import Kind
    from a64triage.console.parser import _Builder
    from a64triage.console.records import Frame

    frame = Frame(function="f", offset=1, size=2, line_no=1)
    out = []
    for kind, ended, phase, frames, trace, msg_open, stamped, sealed in itertools.product(
            (Kind.OOPS, Kind.KFENCE), (True, False), ("head", "body", "after", "stopping"), ([], [frame]),
            (None, "task", "aux"), (False, True), (True, False), (False, True)):
        out.append(_Builder(first=1, kind=kind, last=1, phase=phase, ended=ended, frames=list(frames), trace=trace,
                            panic_msg_open=msg_open, stamped=stamped, stamped_body=stamped, sealed=sealed,
                            slots={"fault"}))
    return out


TEMPLATES = _templates()


def _state(b: Any) -> dict[str, Any]:
    import copy
    import dataclasses

    return {f.name: copy.copy(getattr(b, f.name)) for f in dataclasses.fields(b)}


def _skippable_line(raw: str) -> bool:
    """The plain twin of ``_with_skips``' block-level test of one line of an idle run."""
    from a64triage.console.parser import (
        _INTERESTING,
        _MID_STAMP,
        _NOT_IDLE,
        _NOT_IDLE_TEXT,
        _STAMPED_RUN,
    )

    line = raw + "\n"
    return ("\n" not in raw and _STAMPED_RUN.match(line).end() == len(line)  # type: ignore[union-attr]
            and _INTERESTING.search(line) is None and not any(lit in raw for lit in _NOT_IDLE_TEXT)
            and _MID_STAMP.search(line) is None and _NOT_IDLE.search("\n" + line) is None)


def _only_counts_idle(raw: str) -> None:
    """A line ``_with_skips`` would count, fed the plain way to each idle report: ``idle`` + 1,
    nothing else changes, the report stays open (clean gives it alone, stamped, not elided)."""
    import dataclasses

    from a64triage.console.parser import Parser

    cleaned = list(clean([raw]))
    assert len(cleaned) == 1 and cleaned[0].stamped and not cleaned[0].elided and cleaned[0].caller is None, raw
    assert list(clean([raw], fast=True)) == list(clean([raw], fast=False))
    for template in TEMPLATES:
        if not template.idling():
            continue
        b = dataclasses.replace(template, frames=list(template.frames), slots=set(template.slots))
        parser = Parser()
        parser.active[None], parser.order = b, [None]
        one = cleaned[0]
        b.feed(Line(one.no, "x", one.caller, one.stamped, one.elided))  # stamped_body as after the run's first line
        want = _state(b)
        want["idle"] += 1
        assert parser.feed(cleaned[0]) == [] and parser.active.get(None) is b, raw
        assert _state(b) == want, raw


_IDLE_PIECES = ["", " ", "  ", "x", "CPU features: detected: Spectre", "psci: probing", "Zone ranges:", "DMA [mem 0x1]",
                "CPU features: 0x022000,2033c080", "Memory Limit: none", "Kernel Offset: disabled", "PHYS_OFFSET: 0x4",
                "SMP: stopping secondary CPUs", "---[ end trace 0 ]---", "Call trace:", "Modules linked in: a",
                "Hardware name: q", "FIX kmalloc-1k: x", "Redzone ffff000012345678: ", "=" * 24, "00000000: 12345678",
                "foo/12 is trying to acquire lock:", "index 5 is out of range for type 'int'", "note: init", "Rebooting in ",
                "Sending NMI", "NMI backtrace", "f+0x1/0x2", "[<ffff000000001234>] f", "g x.h:1 [inline]", "<IRQ>", "...",
                "<snip>", "SNIP", "\u017fnip", "[...]", "kernel: x", "Message from syslogd@h", "a [ 2.000000] b", "[ 3.0]",
                "Call Trace:", "12 locks held by", "<4>", "> q", "| p", "\u00b2", "\u0663", "x0 : 0000000000000000",
                "pc : f", "sp : ffff800008", "Code: d2800014", "ESR = 0x96000004", "user pgtable: 4k", "r1 : 00000001 ",
                "Allocated by task 1:", "\u2026", "(", "-", "lockdep", "\t", "\x0c", "\x85", "\u3000", "a pgtable: x",
                "read at 0x1 (", "ab/1 takes:", "#0: (x), at: f+0x1/0x2", "(x){+.+.}, at: g", "shift exponent 3",
                "x [ 1.000000]", "x] [y] [ 2.000000] z", "] [", "load of value"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["[    1.234567] ", "[ 2.5] ", "[5.0]\t", "[ 7.0]", "[ 8.0]  "]),
       st.lists(st.one_of(st.sampled_from(_IDLE_PIECES), st.text(max_size=8)), max_size=4))
@example("[ 1.0] ", ["CPU features: detected: x"])
def test_a_counted_line_only_counts_idle(stamp: str, pieces: list[str]) -> None:
    """The soundness of ``_NOT_IDLE`` (a superset of every body pattern, note, frame shape,
    elision and prefix): any line it lets through changes an idle report by ``idle`` alone."""
    raw = stamp + "".join(pieces)
    if _skippable_line(raw):
        _only_counts_idle(raw)


def test_every_pair_of_pieces_counted_only_counts_idle() -> None:
    """Each piece (and each pair) after a stamp, deterministically: a piece that is a note,
    a body line or a frame must never be let through, however rare in random draws."""
    counted = 0
    for stamp in ("[    1.234567] ", "[5.0]\t"):
        for a in _IDLE_PIECES:
            for b in ("", *_IDLE_PIECES):
                if _skippable_line(stamp + a + b):
                    counted += 1
                    _only_counts_idle(stamp + a + b)
    assert counted > 500


def _not_idle_plain() -> re.Pattern[str]:
    """``_NOT_IDLE`` before its alternatives were expanded and joined by first character."""
    from a64triage.console.lines import MAX_LINE
    from a64triage.console.parser import _ANY_FIRST_BODY, _unanchor

    return re.compile(
        r"\n(?:[^\n]{" + str(MAX_LINE + 1) + r"}|\[\s{0,12}+\d{1,10}+\.\d{1,9}+\][^\S\n]*+(?:"
        + r"[\[<>|.\u2026(\-]|\d|(?i:snip)|(?=\n|\Z)|note: |Rebooting in |Press any key|Sending NMI|NMI backtrace"
        + "".join("|" + re.escape(start) for start in P._UBSAN_STARTS)
        + "".join("|" + _unanchor(P.ungroup(rx.pattern)) for name, rx in P.BODY if name not in _ANY_FIRST_BODY)
        + "))")


NOT_IDLE_PLAIN = _not_idle_plain()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_IDLE_PIECES), st.text(max_size=8)), max_size=4))
def test_not_idle_joined_by_first_character_is_the_plain_union(pieces: list[str]) -> None:
    from a64triage.console.parser import _NOT_IDLE

    line = "\n[ 1.000000] " + "".join(pieces).replace("\n", " ") + "\n"
    assert (_NOT_IDLE.search(line) is None) == (NOT_IDLE_PLAIN.search(line) is None), line


def test_not_idle_on_corpus_lines_is_the_plain_union() -> None:
    from a64triage.console.parser import _NOT_IDLE

    for text in TEXTS:
        for line in ("\n[    9.000000] " + text + "\n", "\n[ 1.0]" + text):
            assert (_NOT_IDLE.search(line) is None) == (NOT_IDLE_PLAIN.search(line) is None), line


def test_corpus_lines_that_would_be_counted_only_count_idle() -> None:
    counted = 0
    for text in TEXTS:
        raw = "[    9.000000] " + text
        if _skippable_line(raw):
            counted += 1
            _only_counts_idle(raw)
    assert counted > 100


_AFTER = [
    "[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci-hcd",
    "[   12.400001] psci: probing for conduit method from DT.",
    "[   13.000002] CPU features: detected: Spectre-v4",
    "[   13.100002] Zone ranges:",
    "[   13.200002]   DMA      [mem 0x0000000040000000-0x000000007fffffff]",
    "[   14.2] bcmgenet fd580000.ethernet eth0: Link is Up - 1Gbps/Full - flow control rx/tx" + " x" * 30,
    "[   15.3] x0 : 0000000000000000 x1 : ffff000000000000",
    "[   15.4] Code: d2800014 90000020 91260000 94000613 (f9400293)",
    "[   15.5] Kernel Offset: 0x3278ebe00000",
    "[   15.6] CPU features: 0x022000,2033c080,0000421b",
    "[   15.7] note: init[88] exited with irqs disabled",
    "[   15.8]  lkdtm_do_action+0x24/0x40 [lkdtm]",
    "[   15.9] <snip>",
    "[   16.0] Kernel panic - not syncing: Fatal exception",
    "[   16.1] ---[ end Kernel panic - not syncing: Fatal exception ]---",
    "[   16.2] ---[ end trace 0000000000000000 ]---",
    "[   16.3] SMP: stopping secondary CPUs",
    "[   16.4] Call trace:",
    "[   16.5] Linux version 6.1.0-13-arm64 (debian-kernel@lists.debian.org) #1 SMP Debian",
    "[   16.6] Machine model: linux,dummy-virt",
    "[   16.7] kvm [1]: Hyp mode initialized successfully",
    "[   16.8] Unable to handle kernel paging request at virtual address 0000000000000008",
    "[   16.9] ------------[ cut here ]------------",
    "[   17.0][  T123] a line with a caller id",
    "[   17.1] soft=20",
    "[   17.2] a wrapped mail line that is long enough to make the next one glue onto it ....",
    "continuation without a timestamp",
    "e2e: poweroff",
    "",
    "[   17.3]",
    "[   17.4] <4>levelled",
    "[   17.5] foo [   17.600000] glued record",
    "[   17.7] HYP panic:",
    "[   17.8] kernel: x",
    "[   17.9] Rebooting in 5 seconds..",
    "[   18.0] INFO: task ab",
    "[   18.1] cd:12 blocked for more than 120 seconds.",
    "[   18.2] \x1b[31mred",
]
_ORDINARY = 5  # the first lines of _AFTER are ordinary ones


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(E2E_LOGS), st.sampled_from(E2E_LOGS),
       st.lists(st.tuples(st.integers(min_value=0, max_value=len(_AFTER) - 1), st.integers(min_value=1, max_value=45)),
                max_size=12),
       st.lists(st.integers(min_value=1, max_value=4000), max_size=6),
       st.lists(st.integers(min_value=0, max_value=10_000), max_size=3))
def test_idle_runs_change_nothing(first: Path, second: Path, after: list[tuple[int, int]], cuts: list[int],
                                  inside: list[int]) -> None:
    """A real crash log, then lines of every sort (runs of ordinary ones, body lines, notes,
    frames, panics and context lines at any point of the join window, caller ids, wraps),
    then another real log: parse_blocks (blocks cut anywhere between lines) must give what
    the plain parse_raw gives."""
    from a64triage.console.parser import parse_blocks, parse_raw

    lines = first.read_text(errors="replace").splitlines()
    for at in inside:  # runs of ordinary lines inside the report too (head, body, trace)
        k = at % len(lines)
        lines[k:k] = _AFTER[:_ORDINARY] * (1 + at % 9)
    for k, n in after:
        lines += [_AFTER[k]] * (n if k < _ORDINARY else 1)
        lines += _AFTER[:_ORDINARY] * (n // _ORDINARY)
    lines += second.read_text(errors="replace").splitlines()
    assert list(parse_blocks(iter(cut_blocks(lines, cuts)))) == list(parse_raw(lines))


def cut_blocks(lines: list[str], cuts: list[int]) -> list[str]:
    """``lines`` as the decoded blocks of whole lines parse_blocks reads, cut before each
    line number in ``cuts``."""
    blocks, at = [], 0
    for cut in sorted(cuts):
        if at < cut < len(lines):
            blocks.append("\n".join(lines[at:cut]))
            at = cut
    blocks.append("\n".join(lines[at:]))
    return blocks
