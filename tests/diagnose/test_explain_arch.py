"""diagnose decodes arm64 reports only (issue 11): a report of another architecture, read
from syzkaller's real logs (labels: tests/data/syzkaller-arch.tsv), never reaches the arm64
decoders with its RIP/registers, and an arm64 reading without evidence is said to be one."""

from __future__ import annotations

import sys
from pathlib import Path

from a64triage.console import parse_text
from a64triage.diagnose.explain import ExplainContext, analyse, explain_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))
import syzkaller_arch_labels as labels
import syzkaller_corpus as sc


def test_other_arch_registers_never_reach_arm64_decoders() -> None:
    lab = labels.load()
    seen: dict[str, int] = {}
    for c in sc.cases("report"):
        if lab[c.name] in ("", "arm64") or seen.get(lab[c.name], 0) >= 20:
            continue
        for r in parse_text(c.log):
            if r.arch == "arm64" or r.pc is None:
                continue
            seen[r.arch] = seen.get(r.arch, 0) + 1
            a = analyse(r)
            assert (a.facts.esr, a.facts.far, a.facts.pc, a.facts.el) == (None,) * 4, c.name
            e = explain_report(r, ExplainContext())
            assert e.registers == (), c.name
            assert any("not arm64" in n for n in e.notes), c.name
    assert set(seen) >= {"x86", "arm", "powerpc", "riscv"}


def test_arm64_without_evidence_says_so() -> None:
    # syzkaller report/6: a bare "WARNING: foo" line
    (r,) = parse_text(sc.load(sc.DATA / "report" / "6").log)
    notes = explain_report(r, ExplainContext()).notes
    assert any("names no architecture" in n for n in notes)


def test_other_arch_reports_are_never_symbolized_against_an_arm64_vmlinux(debian_vmlinux: str) -> None:
    """syzkaller's x86 logs print no release, so the banner check alone lets them through:
    their frames would get the nearest arm64 symbol's file:line (report/124 got
    kernel/groups.c for debug_check_no_locks_freed).  Their own lines' arch refuses them."""
    from a64triage.diagnose.explain import stream_log
    from a64triage.symbols import open_symbolizer

    sym = open_symbolizer(debian_vmlinux)
    lab = labels.load()
    checked = 0
    for c in sc.cases("report"):
        if lab[c.name] != "x86" or checked >= 15:
            continue
        stream = stream_log(c.log, symbolizer=sym)
        for rx in stream.reports:
            if rx.report.arch != "x86" or not rx.report.call_trace:
                continue
            checked += 1
            assert all(f.symbolized is None for f in rx.frames), c.name
            assert any("x86 kernel" in w for w in stream.warnings), c.name
    assert checked >= 10
