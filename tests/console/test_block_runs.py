"""Runs of lines the block reader settles itself must change no answer.

``parser._with_skips`` reads some runs without sending each line through ``clean`` and
``Parser.feed``: plain frame and register lines while the one open report reads its
call trace or registers (``_body_run``, ``_BODY_RUNS``), and lines with interesting text
that change nothing but the parser's context while no report is open or its report idles
(``_inert``).  Each is held here to its plain twin: the frame it builds to
``_frame_from``'s, the body row to ``match_body``'s, the text it reads to ``clean``'s,
and the reports of ``parse_blocks`` (blocks cut anywhere) to ``parse_raw``'s (every line
cleaned and fed), around real crash logs with the lines that must stop a run.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_fastpath import TEMPLATES, _state, cut_blocks

from a64triage.console import patterns as P
from a64triage.console.lines import _TS_CALLER, CleanState, Line, Skip, clean, plain_stamped
from a64triage.console.parser import (
    _BODY_RUNS,
    _MID_STAMP,
    _PLAIN_FRAME_LINE,
    _PLAIN_REGISTER_LINE,
    _PLAIN_SLAB_DUMP_LINE,
    _REGISTER_PAIR,
    _STAMP,
    MAX_FRAMES,
    _body_run_at,
    _frame_from,
    _inert,
    _new_frame,
    _Runs,
    parse_blocks,
    parse_raw,
)

E2E_LOGS = sorted((Path(__file__).resolve().parents[1] / "data" / "e2e").glob("*.log"))
_TRACE = re.compile(r"^\[[^\]]*\] Call trace:$")


@settings(max_examples=500, deadline=None)
@given(st.from_regex(_PLAIN_FRAME_LINE, fullmatch=True), st.sampled_from(["task", "irq"]),
       st.integers(min_value=1, max_value=10**6))
@example("[    4.379553]  el0_svc+0x34/0xdc\n", "task", 7)
@example("[ 1.0] snip+0x1/0x2 [mod]\n", "task", 1)  # an elision marker's word: _body_run stops there
def test_a_plain_frame_line_is_what_clean_and_frame_from_read(raw: str, stack: str, no: int) -> None:
    """Whatever the regex takes, clean's short path gives the same text, and the frame
    built from its groups is the one ``_frame_from`` reads from that text."""
    m = _PLAIN_FRAME_LINE.fullmatch(raw)
    assert m is not None
    text, func, off, size, mod = m.groups()
    line = raw[:-1]
    assert plain_stamped(line, False) == text == plain_stamped(line, True)
    assert P.match_header(text, True) is None and not text.startswith(P.SPLIT_LITERALS)
    assert [ln.text for ln in clean([line])] == [text]
    assert _new_frame(func, int(off, 16), int(size, 16), mod, None, None, False, None, stack, no) == \
        _frame_from(text, stack, no)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([(_PLAIN_REGISTER_LINE, "xregs"), (_PLAIN_SLAB_DUMP_LINE, "slub_dump")]).flatmap(
    lambda kind: st.tuples(st.from_regex(kind[0], fullmatch=True), st.just(kind))))
@example(("[    4.373640] x29: ffff80000a05b910 x28: ffff0000030f9040 x27: 0000000000000000\n",
          (_PLAIN_REGISTER_LINE, "xregs")))
@example(("[ 1.0] x9 : ffff80000811ec9c\n", (_PLAIN_REGISTER_LINE, "xregs")))
@example(("[    3.1] Object   ffff0256838a04c0: 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkk\n", (_PLAIN_SLAB_DUMP_LINE, "slub_dump")))
def test_a_plain_body_line_is_its_rows_line(case: tuple[str, tuple[re.Pattern[str], str]]) -> None:
    """clean's short path gives the text, and the body row is the kind's (what feed gives
    to take_body), with no header."""
    raw, (line_rx, row) = case
    m = line_rx.fullmatch(raw)
    assert m is not None
    text = m.group(1)
    assert plain_stamped(raw[:-1], False) == text
    assert P.match_body(text)[0] == row and P.match_header(text, True) is None
    assert not text.startswith(P.SPLIT_LITERALS)
    if row == "xregs":  # _RegisterRun reads the pairs with a simpler regex
        assert _REGISTER_PAIR.findall(text) == P.XREG.findall(text)


def _fresh(b: Any) -> Any:
    """A copy of a template report whose lists and sets are its own."""
    return dataclasses.replace(b, frames=list(b.frames), lines=list(b.lines), registers=list(b.registers),
                               reg_names=set(b.reg_names), slots=set(b.slots))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(_BODY_RUNS) - 1).flatmap(
    lambda k: st.tuples(st.just(k), st.from_regex(_BODY_RUNS[k].line, fullmatch=True))))
def test_a_body_run_takes_a_line_as_feed_does(case: tuple[int, str]) -> None:
    """Each kind's ``take``, in every report state it is ``ready`` for, leaves the report as
    ``_Builder.feed`` leaves it (the state tests/console/test_fastpath.py's templates span)."""
    k, raw = case
    kind = _BODY_RUNS[k]
    m = kind.line.fullmatch(raw)
    assert m is not None
    line = Line(7, m.group(1), None, True, False)
    ready = 0
    for template in TEMPLATES:
        if not kind.ready(template):
            continue
        ready += 1
        fed, taken = _fresh(template), _fresh(template)
        fed.stamped_body = taken.stamped_body = fed.stamped  # _body_run's, for the whole run
        assert fed.feed(line)
        kind.take(taken, m, line)
        assert _state(taken) == _state(fed), (raw, _state(template))
    assert ready


def _same(lines: list[str], cuts: list[int]) -> None:
    """The whole reports, their lines and line numbers too (the JSON has neither)."""
    assert list(parse_blocks(iter(cut_blocks(lines, cuts)))) == list(parse_raw(lines))


def _with_inserted(lines: list[str], start: int, inserts: list[tuple[int, int, int]], pieces: list[str]) -> list[str]:
    """``lines`` with ``n`` copies of ``pieces[k]`` put ``at`` lines after ``start``, for each
    (at, k, n); at one place the lower ``k`` comes first."""
    for at, k, n in sorted(inserts, reverse=True):
        lines[start + at:start + at] = [pieces[k]] * n
    return lines


# Lines put inside a call trace: plain frames, and every sort that must end a run or be read
# another way (a marker, an unreliable or symbolized frame, another caller, an elision word, an
# unstamped wrap, a blank, a header, a note, another stamp glued on, CR, QP, a long name).
_IN_TRACE = [
    "[    4.379000]  plain_frame+0x10/0x20",
    "[    4.379001]  mod_frame+0x10/0x20 [lkdtm]",
    "[    4.379002]  snip+0x1/0x2",
    "[    4.379003]  kvm_handle_guest_abort+0x1/0x2",
    "[    4.379004]  Linux+0x1/0x2",
    "[    4.379005]  f+0x1/0x2 (P)",
    "[    4.379006]  ? f+0x1/0x2",
    "[    4.379007]  f+0x1/0x2 mm/x.c:12",
    "[    4.379008]  f+0x1/0x2 mm/x.c:12 [inline]",
    "[    4.379009][  T123]  f+0x1/0x2",
    "[    4.379010] <IRQ>",
    "[    4.379011]  f+0x1/0x2 [    4.379012] glued record",
    "[    4.379013]  f+0x1/0x2\r",
    "[    4.379014]  f+0x1/0x2=",
    "[    4.379015]  " + "a" * 70 + "+0x1/0x2",
    "continued without a stamp",
    "",
    "[    4.379016] ",
    "[    4.379017] ---[ end trace 0000000000000000 ]---",
    "[    4.379018] BUG: KASAN: use-after-free in f+0x1/0x2",
    "[    4.379019] Kernel panic - not syncing: Oops: Fatal exception",
    "[    4.379020] INFO: task ab",
    "[    4.379021] cd:12 blocked for more than 120 seconds.",
    "[    4.379022]  0xffff800008010000",
    "[    4.379023] Code: d2800014 90000020 91260000 94000613 (f9400293)",
    "[\u0664.379024]  unicode_digit_stamp+0x1/0x2",
    "[lkdtm]",  # after the long frame: the rest of a wrapped line (clean glues it on)
    "mm/x.c:12",
]
_LONG, _REST = 14, len(_IN_TRACE) - 2


def _run_at_plain(block: str, pos: int, b: Any) -> Any:
    """The plain twin of ``_body_run_at``: each kind tried in turn, its plain line then a
    stamped line after it."""
    for kind in _BODY_RUNS:
        m = kind.line.match(block, pos)
        if kind.ready(b) and m is not None and _STAMP.match(block, m.end()) is not None:
            return kind
    return None


_LINE_OF_A_KIND = st.integers(min_value=0, max_value=len(_BODY_RUNS) - 1).flatmap(
    lambda k: st.from_regex(_BODY_RUNS[k].line, fullmatch=True))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINE_OF_A_KIND, st.sampled_from(_IN_TRACE).map(lambda t: t + "\n"), st.text(max_size=12)),
                min_size=1, max_size=3))
@example(["[ 1.0] f+0x1/0x2\n", "[ 2.0] g+0x1/0x2\n"])
@example(["[ 1.0] x1 : 0000000000000000\n", "[\u0664.0] x2 : 0000000000000000\n"])
def test_body_run_at_is_each_kind_tried_in_turn(pieces: list[str]) -> None:
    """One match of the kinds' union, and each kind's ``run`` (its line with the next line's
    stamp as a lookahead), answer as the kinds' plain lines and ``_STAMP`` tried in turn."""
    block = "".join(pieces)
    for template in TEMPLATES:
        assert _body_run_at(block, 0, template) is _run_at_plain(block, 0, template), (block, _state(template))
    for kind in _BODY_RUNS:
        m = kind.line.match(block)
        plain = m is not None and _STAMP.match(block, m.end()) is not None
        assert (kind.run.match(block) is not None) == plain, block


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_IN_TRACE, "[   12.000000] kvm [1]: IPA Size Limit: 44 bits",
                                 "[   12.000001] Machine model: linux,dummy-virt", "[   12.000002] usb 1-1: new device"]),
                min_size=1, max_size=12),
       st.integers(min_value=0, max_value=11), st.booleans(), st.integers(min_value=1, max_value=50))
def test_a_run_counts_its_lines(lines: list[str], first: int, qp: bool, limit: int) -> None:
    """``_Runs.run``'s line count is the newlines up to its end (the callers skip that many),
    asked twice (the second answer may be the remembered run's)."""
    block = "\n".join(lines) + "\n"
    runs = _Runs(block)
    starts = [0, *(i + 1 for i, c in enumerate(block) if c == "\n")][:-1]
    for start in (starts[min(first, len(starts) - 1)], starts[min(first, len(starts) - 1) // 2]):
        for _ in range(2):
            end, count, _context = runs.run(start, qp, limit)
            assert count == block.count("\n", start, end) and count <= limit, (block, start)


_MID_STAMP_PLAIN = re.compile(r"\][^\n\[]*+(?:\[[^\n\[]*+)*?\[\s{0,12}\d{1,10}\.\d{6}\]")  # "]", later a stamp


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["[    4.379000] ", "[ 1.0]", "[\t1.000000]  "]),
                          st.lists(st.one_of(st.sampled_from(["[", "]", " ", "[ 2.000000]", "[mod]", "[\u0664.123456]",
                                                              "[   3.1234567]", "x"]), st.text(max_size=4)),
                                   max_size=5)), min_size=1, max_size=4))
@example([("[ 1.0]", ["x [ 2.000000] y"])])
def test_mid_stamp_is_the_plain_search_on_stamped_lines(lines: list[tuple[str, list[str]]]) -> None:
    """On lines that each start with a stamp (a run's, the only place it is searched), a "["
    after a line's first character is the plain "a ']', later a stamp" search."""
    block = "".join(stamp + "".join(rest).replace("\n", " ") + "\n" for stamp, rest in lines)
    assert (_MID_STAMP.search(block) is None) == (_MID_STAMP_PLAIN.search(block) is None), block


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t0123456789.[]@\u0664x\n", max_size=24))
@example("[    4.379000] x")
def test_a_run_stamp_is_one_clean_reads(raw: str) -> None:
    """``_STAMP_RX`` (printk's ASCII form) takes only stamps clean reads (``_TS_CALLER``)."""
    m = _STAMP.match(raw)
    if m is not None:
        ts = _TS_CALLER.match(raw)
        assert ts is not None and ts.end(1) == m.end() - 1, raw


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(E2E_LOGS),
       st.lists(st.tuples(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=len(_IN_TRACE) - 1),
                          st.integers(min_value=1, max_value=6)), max_size=10),
       st.lists(st.integers(min_value=1, max_value=400), max_size=5))
@example(E2E_LOGS[0], [(2, 2, 2)], [])  # "snip+0x1/0x2" in a run: an elision marker, not a frame
@example(E2E_LOGS[0], [(3, _REST, 1), (3, _LONG, 1)], [])
@example(E2E_LOGS[0], [(2, _REST + 1, 1), (2, _LONG, 1)], [])
def test_frame_runs_change_nothing(log: Path, inserts: list[tuple[int, int, int]], cuts: list[int]) -> None:
    lines = log.read_text(errors="replace").splitlines()
    start = next((i for i, t in enumerate(lines) if _TRACE.match(t)), len(lines) // 2)
    _same(_with_inserted(lines, start + 1, inserts, _IN_TRACE), cuts)


_XREGS = re.compile(r"^\[[^\]]*\] x29: ")
# Lines put among the registers: plain ones, and every sort that must end a run or be read
# another way (other registers, upper-case digits, a caller id, a long line and its unstamped
# rest, a header, a note, the trace's start).
_IN_REGS = [
    "[    4.373500] x8 : 0000000000017fe8 x7 : c0000000ffffefff x6 : 0000000000057fa8",
    "[    4.373501] x2 : 0000000000000000 x1 : ffff0000030f9040 x0 : 000000000000002e",
    "[    4.373502] x29: FFFF80000A05B910 x28: ffff0000030f9040",
    "[    4.373503][  T123] x8 : 0000000000017fe8",
    "[    4.373504] x5 : 0000000000000fff x4 : 0000000000000000 x3 : 0000000000000000 x2 : 0000000000000000",
    "0000000000000001",
    "[    4.373505] lr : lkdtm_ACCESS_NULL+0x2c/0x78 [lkdtm]",
    "[    4.373506] sp : ffff80000a05b910",
    "[    4.373507] pmr_save: 000000e0",
    "[    4.373508] Call trace:",
    "[    4.373509] ---[ end trace 0000000000000000 ]---",
    "[    4.373510] Kernel panic - not syncing: Oops: Fatal exception",
    "[    4.373511] x3 : 0000000000000000",
    "",
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(E2E_LOGS),
       st.lists(st.tuples(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=len(_IN_REGS) - 1),
                          st.integers(min_value=1, max_value=4)), max_size=8),
       st.lists(st.integers(min_value=1, max_value=400), max_size=4))
@example(E2E_LOGS[0], [(2, 5, 1), (2, 4, 1)], [])  # a long register line, then its unstamped rest
def test_register_runs_change_nothing(log: Path, inserts: list[tuple[int, int, int]], cuts: list[int]) -> None:
    lines = log.read_text(errors="replace").splitlines()
    start = next((i for i, t in enumerate(lines) if _XREGS.match(t)), len(lines) // 2)
    _same(_with_inserted(lines, start, inserts, _IN_REGS), cuts)


_SLAB = re.compile(r"^\[[^\]]*\] Object +[0-9a-f]+: ")
_IN_SLAB = [
    "[    2.000000] Object   ffff0256838a04c0: 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk",
    "[    2.000001] Redzone  ffff0256838a0120: bb bb bb bb bb bb bb bb  ........",
    "[    2.000002] Object   FFFF0256838A04C0: 6b 6b",
    "[    2.000003] Object   ffff0256838a04d0: 3d 5b 20 3d  =[ =",
    "[    2.000004] Object   ffff0256838a04e0: 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkk",
    "kkkkkkkk",
    "[    2.000005] Padding  ffff0256838a0600: 5a 5a 5a 5a  ZZZZ",
    "[    2.000006] Slab 0xfffffc00000e2800 objects=21 used=21 fp=0x0000000000000000 flags=0x200(slab|node=0)",
    "[    2.000007] CPU: 0 PID: 88 Comm: init Tainted: G    B      OE      6.1.0-56-cloud-arm64 #1",
    "[    2.000008] FIX kmalloc-128: Restoring Poison 0xffff0256838a0600-0xffff0256838a0603=0x6b",
    "",
]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=len(_IN_SLAB) - 1),
                          st.integers(min_value=1, max_value=4)), max_size=8),
       st.lists(st.integers(min_value=1, max_value=400), max_size=4))
@example([(2, 5, 1), (2, 4, 1)], [])  # a long dump line, then its unstamped rest
def test_slab_dump_runs_change_nothing(inserts: list[tuple[int, int, int]], cuts: list[int]) -> None:
    lines = (E2E_LOGS[0].parent / "WRITE_AFTER_FREE.log").read_text(errors="replace").splitlines()
    start = next(i for i, t in enumerate(lines) if _SLAB.match(t))
    _same(_with_inserted(lines, start, inserts, _IN_SLAB), cuts)


def test_a_trace_longer_than_max_frames() -> None:
    """The run stops where the trace's frames reach MAX_FRAMES (the rest go to its tail)."""
    lines = E2E_LOGS[0].read_text().splitlines()
    start = next(i for i, t in enumerate(lines) if _TRACE.match(t))
    lines[start + 1:start + 1] = [f"[    4.3{n:05d}]  deep_{n % 7}+0x1{n % 3}/0x40" for n in range(MAX_FRAMES + 50)]
    _same(lines, [])
    _same(lines, [start + 300])


# Ordinary boot lines holding a header's or a context row's literal, and the lines that are
# not inert (a header, a split header's first piece, caller ids, QP, a context line's shape).
_BOOT = [
    "[    0.065710] cblist_init_generic: Setting adjustable number of callback queues.",
    "[    0.464564] VFS: Disk quotas dquot_6.6.0",
    "[    0.531437] kvm [1]: Guests without required CPU erratum workarounds can deadlock system!",
    "[    0.531723] kvm [1]: IPA Size Limit: 44 bits",
    "[    0.548103] kvm [1]: VHE mode initialized successfully",
    "[    0.548104] kvm [1]: Hyp mode initialized successfully",
    "[    0.548105] kvm [1]: 8-bit VMID",
    "[    0.000000] Linux version 6.1.0-13-arm64 (debian-kernel@lists.debian.org) #1 SMP Debian",
    "[    0.000000] Machine model: Raspberry Pi 4 Model B Rev 1.4",
    "[    0.000001] psci: PSCIv1.1 detected in firmware.",
    "[    0.000002] random: crng init done",
    "[    0.000003] usb 1-1: new high-speed USB device number 2 using xhci-hcd",
    "[    0.000004] INFO: task ab",
    "[    0.000005] cd:12 blocked for more than 120 seconds.",
    "[    0.000006] WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x1/0x2",
    "[    0.000007][  T12] kvm [1]: VHE mode initialized successfully",
    "[    0.000008] kvm [1]: Hyp mode initialized successfully=20",
    "[    0.000009] ... list_add corruption ...",
    "not stamped: a wrapped rest",
    "",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(E2E_LOGS), st.lists(st.integers(min_value=0, max_value=len(_BOOT) - 1), max_size=60),
       st.integers(min_value=0, max_value=50),
       st.lists(st.tuples(st.integers(min_value=0, max_value=len(_BOOT) - 1), st.integers(min_value=0, max_value=8)),
                max_size=30),
       st.lists(st.integers(min_value=1, max_value=400), max_size=4))
@example(E2E_LOGS[0], [2, 4, 0, 1, 11, 11, 11, 11, 11, 11, 8], 45, [], [])
@example(E2E_LOGS[0], [], 10, [(4, 8), (5, 8), (6, 8), (4, 8), (5, 8)], [])  # context lines around the close
def test_inert_lines_change_nothing(log: Path, before: list[int], gap: int, after: list[tuple[int, int]],
                                    cuts: list[int]) -> None:
    """Boot lines with interesting but harmless text before a real crash log, and after it
    while its report idles, is closed, and after (the context rows among them must reach
    each report as when every line is fed: before its close or after it)."""
    ordinary = _BOOT[11]
    lines = [ln for k in before for ln in (_BOOT[k], ordinary, ordinary, ordinary, ordinary, ordinary)]
    lines += log.read_text(errors="replace").splitlines()
    lines += [ordinary] * gap + [ln for k, n in after for ln in (_BOOT[k], *[ordinary] * n)]
    lines += E2E_LOGS[-1].read_text(errors="replace").splitlines()
    _same(lines, cuts)


def test_inert_reads_like_the_parser() -> None:
    assert _inert(_BOOT[0], False) == _BOOT[0][15:]
    assert _inert(_BOOT[2], False) is not None  # a context line: inert, its context read apart
    assert _inert(_BOOT[12], False) is None  # the first piece of a split header
    assert _inert(_BOOT[14], False) is None  # a header
    assert _inert(_BOOT[15], False) is None  # a caller id
    assert _inert(_BOOT[16], False) is None  # QP


def test_skip_zero_only_gives_out_the_held_line() -> None:
    """Skip(0) before a stamped line (never glued to the held one) changes nothing, in a
    double-spaced log too (its held-back blank goes out first either way)."""
    lines = ["[ 1.0] a", "", "[ 2.0] b", "", "[ 3.0] c", "", "[ 4.0] " + "d" * 80, "wrapped", "[ 5.0] e", "", "x"]
    for at in range(len(lines) + 1):
        if at == len(lines) or lines[at].startswith("["):
            assert list(clean([*lines[:at], Skip(0), *lines[at:]], CleanState())) == list(clean(lines)), at

