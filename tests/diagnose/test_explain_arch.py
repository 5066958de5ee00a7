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
