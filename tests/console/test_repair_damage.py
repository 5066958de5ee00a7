"""Damage repaired before matching: the real logs of tests/data/console (each with its
source URL) damaged the way pasting damages logs must give the same reports.

Double spacing (a blank line after every line, as some bug trackers and mail clients
paste logs) on top of the corpus's own damage (mail wrapping, ``>`` quoting, QP):
a wrapped line's rest after the blank must still be joined to it.
"""

from __future__ import annotations

import pytest
from console_corpus import Case, cases

from a64triage.console import parse_text

CASES = cases()


def essentials(text: str) -> list[tuple[object, ...]]:
    return [(r.kind, r.title, r.esr, r.far, r.cpu, r.pid, r.comm, r.pc and r.pc.function,
             tuple(f.function for f in r.call_trace)) for r in parse_text(text)]


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_double_spaced_log_gives_the_same_reports(case: Case) -> None:
    lines = case.body.splitlines()
    if 3 * sum(not line.strip() for line in lines) > len(lines):
        # Double-spaced by its own paster: it must read as its single-spaced form.
        assert essentials(case.body) == essentials("\n".join(line for line in lines if line.strip()))
        return
    spaced = "\n\n".join(lines)
    assert essentials(spaced) == essentials(case.body)


def test_double_spacing_joins_a_wrap_across_the_blank() -> None:
    log = "\n\n".join([
        "[ 1514.468900] intro", "[ 1514.468901] more",
        "[ 1514.468902] Unable to handle kernel paging request at virtual", "address 0000000000000008",
        "[ 1514.468903] Mem abort info:", "[ 1514.468904] FAR: 0x0000000000000008", "hello",
    ])
    (report,) = parse_text(log)
    assert report.far == 8 and report.lines[-1] == "FAR: 0x0000000000000008"
