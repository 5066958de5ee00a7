"""The headline example end to end: the 2017 clang HYP panic with its replay image."""

from __future__ import annotations

import re
import struct

import pytest
from diag_helpers import EXAMPLE

from a64triage.diagnose import explain_log
from a64triage.diagnose.types import Hypothesis, ReportExplanation

LOG = str(EXAMPLE / "console.log")
ELF = str(EXAMPLE / "replay.elf")
SRC = str(EXAMPLE / "linux")
PC = 0xFFFF0000089E6FD8


def _top(rep: ReportExplanation) -> Hypothesis:
    assert rep.hypotheses, "no hypothesis"
    return rep.hypotheses[0]


def _evidence(h: Hypothesis) -> str:
    return "\n".join(f"[{e.kind} {e.line_no}] {e.text}" for e in h.evidence)


@pytest.fixture(scope="module")
def with_vmlinux() -> ReportExplanation:
    expl = explain_log(LOG, vmlinux=ELF, source_dir=SRC)
    assert expl.warnings == ()
    assert len(expl.reports) == 1
    return expl.reports[0]


def test_log_alone_names_the_class_and_what_a_vmlinux_adds() -> None:
    expl = explain_log(LOG)
    rep = expl.reports[0]
    top = _top(rep)
    assert rep.report.kind == "hyp-panic"
    assert top.cls == "hyp-absolute-address"
    ev = _evidence(top)
    assert "ESR_EL2 = 0x86000004" in ev and "IABT (current EL)" in ev and "level 0 translation fault" in ev
    assert "PC == FAR == 0xffff0000089e6fd8" in ev
    assert "outside the HYP VA range 800000000000:ffffffffffff" in ev
    assert "[log 3] kvm [1]: HYP VA range: 800000000000:ffffffffffff" in ev
    assert "exception taken from EL2" in ev
    assert any("with --vmlinux" in n and "audit" in n for n in rep.notes)
    # The vmlinux adds the audit's finding as evidence; the confidence never drops with it (both may
    # sit at the cap: the fitted confidences find the log alone already decisive for this case).
    full = _top(explain_log(LOG, vmlinux=ELF).reports[0])
    assert top.confidence <= full.confidence
    assert "the audit finds an absolute address" in _evidence(full) and "the audit finds" not in ev


def test_with_replay_vmlinux(with_vmlinux: ReportExplanation) -> None:
    top = _top(with_vmlinux)
    assert top.cls == "hyp-absolute-address"
    assert top.confidence >= 0.95
    assert "__init_stage2_translation+0x54" in top.summary
    assert "br x11" in top.summary and "absolute jump table in .rodata" in top.summary
    ev = _evidence(top)
    assert "__init_stage2_translation+0x54/0x98 in .hyp.text" in ev
    assert "arch/arm64/kvm/hyp/s2-setup.c:38" in ev
    assert re.search(r"indirect branch before the PC 0xffff0000089e6fb4: d61f0160\s+br x11", ev)
    assert "absolute-table (fatal) in __init_stage2_translation+0x30" in ev
    assert ".rodata+0x10 -> __init_stage2_translation+0x54 holds exactly the faulting PC" in ev
    assert "-fno-jump-tables" in top.next_step and "5.12" in top.next_step


def test_parts_for_the_renderers(with_vmlinux: ReportExplanation) -> None:
    rep = with_vmlinux
    assert [t.register for t in rep.registers][:2] == ["ESR_EL2", "FAR_EL2"]
    pc = rep.frames[0]
    assert pc.symbolized is not None and pc.symbolized.function == "__init_stage2_translation"
    loc = pc.symbolized.locations[0]
    assert (loc.file, loc.line) == ("arch/arm64/kvm/hyp/s2-setup.c", 38)
    assert loc.text is not None and "switch" in loc.text  # --source quoted the line
    faulting = [i for i in rep.disassembly if i.faulting]
    assert [i.address for i in faulting] == [PC]
    assert len(rep.disassembly) == 38
    assert {f.cls.value for f in rep.findings} == {"absolute-table"}
    names = [f.symbolized.function for f in rep.frames[1:] if f.symbolized]
    assert names == ["dump_backtrace", "show_stack", "dump_stack", "panic", "panic"]


def test_replay_words_match_the_report() -> None:
    """replay.elf carries the report's 38 words (only the adrp/add immediates are relocated)."""
    from elftools.elf.elffile import ELFFile

    want = {}
    for line in (EXAMPLE / "report-disassembly.txt").read_text().splitlines():
        m = re.match(r"([0-9a-f]+): ([0-9a-f]{8}) ", line)
        if m:
            want[int(m.group(1), 16)] = int(m.group(2), 16)
    assert len(want) == 38
    with open(ELF, "rb") as fh:
        elf = ELFFile(fh)
        sec = elf.get_section_by_name(".hyp.text")
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("__init_stage2_translation")[0]
        start = sym["st_value"]
        data = sec.data()[start - sec["sh_addr"]:][:0x98]
        rodata = elf.get_section_by_name(".rodata")
        table = struct.unpack_from("<5Q", rodata.data(), 0)
    assert start + 0x54 == PC
    for off, word in want.items():
        got = struct.unpack_from("<I", data, off)[0]
        if off in (0x14, 0x1C):  # adrp / add: relocated immediates, same opcode and registers
            assert got & 0x9F00001F == word & 0x9F00001F
        else:
            assert got == word, f"+{off:#x}: {got:08x} != {word:08x}"
    assert table[2] == PC
    assert sorted(t - start for t in table) == [0x34, 0x48, 0x50, 0x54, 0x5C]
