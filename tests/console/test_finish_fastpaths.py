"""The per-report fast paths of ``parser._Builder.finish`` answer as their plain twins do.

Issue 11 (parse speed): ``finish`` joins a report's lines once and scans the joined text
where the code looked at each line with a Python-level call, and remembers per name what
depends on a name only.  Each fast path is compared with the plain code it replaced:

- ``arches.evidence_of`` (each line matched against only the rows ``_first_chars`` says
  may begin with its first character) with ``arches.evidence`` (every row on every line);
- ``titles._frameless_trace`` given the joined text (a report with fewer than two trace
  openers ruled out by counting words) with ``_frameless_trace_plain`` (each frame form
  tried in turn on each line);
- ``titles.guilty_file`` (given the joined text: no ".c:"/".h:", no file; else only the
  lines holding one are read) with ``guilty_file_plain`` (every line read);
- ``titles._pick`` (names read up to the first one not skipped; the stall and hang rules'
  readings of a name remembered) with ``_pick_plain`` (every name named and read each time);
- ``parser._exception_entry`` (entry names remembered) with ``_exception_entry_plain``;
- ``parser._new_record`` (a Report or KvmInfo filled at once) with the dataclass's constructor;
- ``parser.finish`` leaving ``everything`` out for formats whose rules do not read it
  (``titles.READS_EVERYTHING``): those rules answer the same with and without it;
- ``titles._skipped`` (SKIP_FRAMES and a title's extras searched apart) with one search of
  their alternation (``_skip_rx_plain``); the remembered ``clean_symbol``, ``is_skipped``,
  ``crash_type``, ``_strip`` (and its alternatives) and title names with their ``_plain`` twins.

On every report of every real log the repository holds (its lines and frames), and on
Hypothesis' lines built from the rows' own words, blanks and newlines,
which is where a match running into the next line or a miscounted opener would show.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from a64triage.console import arches as A
from a64triage.console import parse_text
from a64triage.console import parser as PR
from a64triage.console import titles as T
from a64triage.console.formats import FORMATS, crash_type, crash_type_plain
from a64triage.console.lines import Line
from a64triage.console.records import Frame, Report

DATA = Path(__file__).resolve().parents[1] / "data"


def _logs() -> list[Path]:
    return [p for p in sorted(DATA.rglob("*"))
            if p.is_file() and p.suffix in ("", ".log", ".txt") and p.stat().st_size < 2_000_000]


def _votes(ev: A.Evidence) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    return list(ev.strong.items()), list(ev.weak.items())  # the order decides ties


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    return [r for path in _logs() for r in parse_text(path.read_bytes().decode("utf-8", "replace"))]


_MODES = ("pc", "trace", "header", "ip", "lock", "locks", "after", "leak", "stall", "hang", "rcu")
_SKIPS = sorted({t.skip for f in FORMATS for t in f.titles})


def test_real_reports(reports: list[Report]) -> None:
    """Each fast path called on each real report's own lines and frames (called directly,
    not intercepted inside ``finish``: the console modules may run compiled by mypyc)."""
    assert len(reports) > 1200
    skips = [T._skip_rx(e) for e in [(), *_SKIPS[::7]]]
    joined_files = frameless_true = 0
    for r in reports:
        lines = r.lines
        joined = "\n".join(lines)
        for header_arch in (None, "x86"):
            assert _votes(A.evidence_of(lines, header_arch)) == _votes(A.evidence(lines, header_arch)), r.span
        for stamped in (False, True):
            kept = [Line(no, text, None, stamped, False) for no, text in r.numbered_lines()]
            plain = T._frameless_trace_plain(kept)
            assert T._frameless_trace(kept, joined) == plain == T._frameless_trace(kept), r.span
            frameless_true += plain
        for title in (r.title, r.headline, "INFO: rcu detected stall in foo"):
            got = T.guilty_file(title, lines, joined)
            assert got == T.guilty_file(title, lines) == T.guilty_file_plain(title, lines), (r.span, title)
            joined_files += got is not None
        assert PR._exception_entry(r.call_trace) == PR._exception_entry_plain(r.call_trace), r.span
        for record in (r, r.kvm) if r.kvm is not None else (r,):
            given_values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
            for values in (given_values, {k: v for k, v in given_values.items() if k in ("kind", "title", "span")}):
                made = PR._new_record(type(record), values)
                plain = type(record)(**values)
                assert made == plain and vars(made) == vars(plain) and made.__class__ is plain.__class__, r.span
        # parser.finish gives syz_title no ``everything`` for formats whose rules do not read it.
        frames = r.call_trace
        for mode in sorted({t.frame for f in FORMATS for t in f.titles} - T.READS_EVERYTHING - {"none"}):
            lock_at = frames[:2]
            assert T._guilty(mode, None, "foo", lock_at, r.pc, frames, (), 0) == T._guilty(
                mode, None, "foo", lock_at, r.pc, frames, frames[::-1], 0), (r.span, mode)
        names = T._names(r.call_trace)
        for mode in _MODES:
            for skip in skips:
                assert T._pick(mode, skip, iter(names)) == T._pick_plain(mode, skip, names), (r.span, mode, names)
    assert frameless_true > 0 and joined_files > 100  # both answers were compared


def test_names_on_real_reports(reports: list[Report]) -> None:
    found = {f.function for r in reports for f in r.call_trace if f.function}
    found |= {f.caller for r in reports for f in r.call_trace if f.caller}
    names = [*sorted(found), "should_fail", "should_failslab", "foo.isra.0", "0xffff800010001234", "_RNv",
             "__arm64_sys_ioctl", "compat_SyS_ioctl", "__se_sys_read", "__do_sys_x", "ksys_"]
    assert len(names) > 1000
    for n in names:
        assert T.clean_symbol(n) == T.clean_symbol_plain(n), n
        assert T.is_skipped(n) == T.is_skipped_plain(n), n
        b = T._stripped(n)
        assert (b.bare, b.variants) == (T._strip_plain(n), T._variants_plain(n)), n
        plain = T._title_name_plain(n)
        assert T._names([Frame(function=n)]) == ([] if plain is None else [plain]), n
    skips = sorted({t.skip for f in FORMATS for t in f.titles} | {()})
    assert len(skips) > 20
    hits = 0
    for extra in skips:
        plain = T._skip_rx_plain(extra)
        fast = T._skip_rx(extra)
        for n in names:
            want = plain.search(n) is not None
            assert T._skipped(fast, n) == want, (extra, n)
            hits += want
    assert hits > 1000  # skipped names were compared, not only kept ones
    for title in sorted({t for r in reports for t in (r.title, r.headline, *r.alt_titles)}):
        assert crash_type(title) == crash_type_plain(title), title


# ---------------------------------------------------------------- Hypothesis
def _sign_words() -> list[str]:
    """Pieces of text the rows look for, their first characters, and blanks around them."""
    words = ["pc : ffff800010001234", "pc : [<c0101234>]", "pstate: 60400005", "x29: ffff800012343c70",
             "x1 : 0000000000000000", "Mem abort info:", "  EC = 0x25", "ESR = 0x96000045", "Call trace:",
             "Call Trace:", "RIP: 0010:foo+0x1/0x2", "RAX: 0000000000000000", "<IRQ>", "</TASK>", "? foo+0x1/0x2",
             "[<ffffffff81000000>] ? foo", "el0_svc+0x1/0x2", "invoke_syscall+0x1/0x2", "__x64_sys_read+0x1",
             "[<c0100000>] (foo) from [<c0100004>] (bar+0x1/0x2)", "foo from bar+0x1/0x2", "Backtrace:",
             "Internal error: Oops: 5 [#1] SMP ARM", "pgd = c0004000", "epc : foo", " s10: 0000000000000000 t3 : ",
             "NIP: c0000000", "Hardware name: linux,dummy-virt (DT)", "Flags: nzcv  IRQs off", "r0 : 00000000 ",
             "sp : c1234567 ", "do_trap_break", "MSR:  8000000000009033", "ARM", "THUMB2", "kvm"]
    return words


_BLANKS = ["", " ", "  ", "\t", "\n", " \n ", "        ", "         ", "          ", "\x0b", "\u2028"]


@settings(max_examples=500, deadline=None)
@example(["x29: ffff800012343c70", "\n", "pc : [<c0101234>]"])
@example(["Internal error: Oops: 5 [#1] SMP ARM", "", "x1 :", "\n", "0000000000000000"])
@given(st.lists(st.lists(st.one_of(st.sampled_from(_sign_words()), st.sampled_from(_BLANKS), st.text(max_size=6)),
                         max_size=4).map("".join), min_size=0, max_size=8))
def test_evidence_on_built_lines(lines: list[str]) -> None:
    for header_arch in (None, "x86"):
        assert _votes(A.evidence_of(lines, header_arch)) == _votes(A.evidence(lines, header_arch)), lines


@settings(max_examples=300, deadline=None)
@example("EC = 0x25", 2)
@example("s10: 0000000000000000 t3 : ", 1)
@given(st.one_of(st.sampled_from(_sign_words()), st.text(max_size=12)), st.integers(0, 11))
def test_rows_begin_only_with_their_first_characters(text: str, blanks: int) -> None:
    """A row matches only where _first_chars says it can begin (what _BY_FIRST relies on)."""
    for candidate in (text, " " * blanks + text, "(" + text, "? " + text, "[<ffffffff81000000>] " + text):
        for i, rx in A._ROW_RX.items():
            first = A._FIRST[i]
            if first is not None and re.match(rx, candidate) is not None:
                assert candidate[:1] in first, (i, candidate)


def test_first_chars() -> None:
    for rx, want in ((r"a", "a"), (r"(?:x)?b", "bx"), (r"\s?b", None), (r"[\w.]+", None), (r"[ab]c", "ab"),
                     (r"(?=a)b", "b"), (r"a|\tb", "\ta"), (r"(?:a|)c", "ac"), (r"x*", None), (r".", None),
                     (r"[^a]", None), (r"[a-c]d", "abc"), (r"(?:a|\d)", None), (r"\[?<", "<[")):
        first, empty = A._first_chars(A.sre.parse(rx))
        assert (None if empty else first) == (None if want is None else frozenset(want)), rx
    assert any(f is None for f in A._FIRST.values()) and len(A._BY_FIRST) > 20


_TRACE_PIECES = ["Call trace:", "Call Trace:", "Backtrace:", "Allocated by task 12:", "Freed by task 3:", "Freed:",
                 " foo+0x1/0x2", "? foo+0x1/0x2", "[<ffff800010001234>] foo+0x1/0x2", "(stack is not available)",
                 "<Same stack as pid 1>", "[<c0100000>] (foo) from [<c0100004>] (bar)", "foo from bar+0x1/0x2",
                 "x29: ffff800012343c70", "", "Call ", "Freed", "Allocated"]


@settings(max_examples=500, deadline=None)
@example([("Call trace:", 1), ("Call trace:", 1)], True)
@example([("Freed by task 3:", 1), ("Call ", 1), ("Allocated by task 1:", 2)], False)
@given(st.lists(st.tuples(st.one_of(st.sampled_from(_TRACE_PIECES), st.text(max_size=8)), st.integers(1, 2)),
                max_size=8), st.booleans())
def test_frameless_trace_on_built_lines(pieces: list[tuple[str, int]], stamped: bool) -> None:
    lines, no = [], 0
    for text, step in pieces:
        no += step  # a step of 2: a line the report did not keep
        lines.append(Line(no, text, None, stamped, False))
    joined = "\n".join(ln.text for ln in lines)
    assert T._frameless_trace(lines, joined) == T._frameless_trace_plain(lines) == T._frameless_trace(lines), pieces


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["drivers/foo/bar.c:12", "a.h:1", "x.c", ".c:", "include/x.h:3",
                                           "kernel/rcu/tree.c:100", "el1h_64_irq+0x", "Exception stack"]),
                          st.text(max_size=8)), max_size=6),
       st.sampled_from(["INFO: rcu detected stall in foo", "KASAN: use-after-free Read in foo"]))
def test_guilty_file_on_built_lines(lines: list[str], title: str) -> None:
    plain = T.guilty_file_plain(title, lines)
    assert T.guilty_file(title, lines, "\n".join(lines)) == T.guilty_file(title, lines) == plain


_PICK_NAMES = ["should_fail", "should_failslab", "should_fail_alloc", "dump_stack", "kasan_report", "__kasan_check",
               "compat_SyS_ioctl", "__arm64_sys_ioctl", "foo", "bar", "schedule", "rtnl_lock", "mutex_lock",
               "apic_timer_interrupt", "smp_call_function_many", "el0_svc", "do_syscall_64", "kfree", "slab_free",
               "synchronize_rcu", "synchronize_net", "wait_for_completion", "__x64_sys_ioctl", "ksys_ioctl",
               "worker_thread", "process_one_work", "__do_sys_sync"]


@settings(max_examples=500, deadline=None)
@example("pc", (), ["dump_stack", "should_fail", "foo"])
@example("trace", (), ["should_fail"])
@given(st.sampled_from(["pc", "trace", "header", "ip", "lock", "locks", "after", "leak", "stall", "hang"]),
       st.sampled_from(sorted({t.skip for f in FORMATS for t in f.titles})),
       st.lists(st.one_of(st.sampled_from(_PICK_NAMES), st.text("abs_ufl", max_size=12)), max_size=8))
def test_pick_on_built_names(mode: str, extra: tuple[str, ...], names: list[str]) -> None:
    skip = T._skip_rx(extra)
    assert T._pick(mode, skip, iter(names)) == T._pick_plain(mode, skip, names), (mode, names)
