"""Hostile and damaged input: never a traceback, always classes from the stable list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from diag_helpers import EXAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from a64triage.diagnose import explain_log
from a64triage.diagnose.classes import BugClass
from a64triage.errors import InputError

FRAGMENTS = [
    "Unable to handle kernel paging request at virtual address dead000000000122",
    "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008",
    "  ESR = 0x0000000096000045", "Internal error: Oops: 0000000096000045 [#1] SMP",
    "pc : foo+0x10/0x20", "lr : bar+0x8/0x40", "Call trace:", " foo+0x10/0x20",
    "Kernel panic - not syncing: HYP panic:", "PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004",
    "FAR:ffff0000089e6fd8 HPFAR:0000000009825000 PAR:0000000000000000", "VCPU:0",
    "kvm [1]: HYP VA range: 800000000000:ffffffffffff", "Code: d503201f (ffffffff)",
    "x0 : 6b6b6b6b6b6b6b6b x1 : 0000000000000000", "SError Interrupt on CPU0, code 0x00000000bf000000",
    "kernel BUG at mm/slub.c:419!", "WARNING: CPU: 0 PID: 1 at lib/x.c:1 f+0x0/0x4",
]
VALID = {c.value for c in BugClass}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=80)), max_size=40))
def test_random_logs_never_crash(lines: list[str]) -> None:
    text = "\n".join(f"[ {i}.000000] {line}" for i, line in enumerate(lines)) + "\n"
    try:
        expl = explain_log(text)
    except InputError:
        return
    for rep in expl.reports:
        assert rep.hypotheses, "every report gets at least the fallback hypothesis"
        for h in rep.hypotheses:
            assert h.cls in VALID and 0 < h.confidence <= 0.99


def test_binary_garbage_as_vmlinux_and_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk"
    junk.write_bytes(bytes(range(256)) * 64)
    expl = explain_log(str(junk))
    assert expl.reports == ()
    try:
        explain_log(str(EXAMPLE / "console.log"), vmlinux=str(junk))
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        raise AssertionError("a non-ELF vmlinux must be an InputError")


_HYP_RX = re.compile(r"HYP VA range")
_SPANS = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 15)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(spans=_SPANS, n=st.integers(0, 80), kvm_at=st.sets(st.integers(1, 80), max_size=5))
def test_kept_lines_is_the_plain_definition(spans: list[tuple[int, int]], n: int, kvm_at: set[int]) -> None:
    """The one-pass merge keeps exactly the lines inside some span (overlapping spans from
    interleaved CPUs included) plus the context lines, in line order."""
    from a64triage.diagnose.explain import _CONTEXT, _kept_lines

    @dataclass
    class R:
        span: tuple[int, int]

    reports = [R((lo, lo + length)) for lo, length in spans]
    lines = [f"kvm [1]: HYP VA range: 0:{no}" if no in kvm_at else f"line {no}" for no in range(1, n + 1)]
    kept = _kept_lines(lines, [r.span for r in reports])
    want = {no: text for no, text in enumerate(lines, start=1)
            if any(lo <= no <= hi for lo, hi in (r.span for r in reports)) or _CONTEXT.search(text)}
    assert kept == want and list(kept) == sorted(kept)
    first = kept.first_match(_HYP_RX)
    assert first == next((no for no in sorted(want) if _HYP_RX.search(want[no])), None)
    assert kept.first_match(_HYP_RX) == first  # remembered, same answer



def test_absent_fact_is_absent_for_every_rule() -> None:
    """Issue 16 D1: a two-line log the console reads as x86 keeps its FAR unparsed for arm64;
    the poison check (and every other arm64 fact) must see no FAR, not format None."""
    from a64triage.console import parse_text
    from a64triage.diagnose.explain import analyse

    text = ("Unable to handle kernel paging request at virtual address dead000000000108\n"
            "<IRQ>\n")
    expl = explain_log(text)
    assert expl.reports and expl.reports[0].hypotheses
    for report in parse_text(text):
        facts = analyse(report).facts
        if report.arch != "arm64":
            assert (facts.esr, facts.far, facts.pc, facts.poison, facts.el) == (None,) * 5
            assert facts.register_poisons == ()
