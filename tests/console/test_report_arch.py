"""A report's ``arch`` comes from lines only that architecture prints, so a non-arm64
report is never decoded as arm64 (issue 11).  Cases: real logs of syzkaller's corpus
(tests/data/syzkaller/SOURCE.md) whose trapping-pc line names the architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from a64triage.console import parse_file

DATA = Path(__file__).resolve().parents[1] / "data" / "syzkaller" / "report"


@pytest.mark.parametrize(("case", "arch"), [
    ("431", "powerpc"),  # "NIP [c00000000...] f+0x/0x" then "Call Trace:"
    ("999", "riscv"),    # "epc : f+0x/0x" then "Call Trace:"
    ("607", "riscv"),
])
def test_trapping_pc_line_names_the_arch(case: str, arch: str) -> None:
    reports = [r for r in parse_file(str(DATA / case)) if r.pc is not None]
    assert reports, case
    assert {r.arch for r in reports} == {arch}
