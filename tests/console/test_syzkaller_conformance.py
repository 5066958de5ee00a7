"""Conformance with syzkaller's Linux reporter on its own test data (tests/data/syzkaller/).

Every case is parsed; per-field agreement of our first report with syzkaller's
expectations is printed (``pytest -s`` shows it) and held at floors.  The floors
are what the parser reaches today: raise them when it does better, never lower
them.  Per-file disagreements: ``.venv/bin/python tests/console/syzkaller_corpus.py title``.
The issue's targets (issue 11) are in TARGETS; docs/TITLES.md lists the deliberate
differences from syzkaller.
"""

from __future__ import annotations

import pytest
from syzkaller_corpus import SyzCase, Tally, cases, compare

from a64triage.console import parse_text

# Agreement floors (fractions of the cases each field is compared on).
FLOORS_ALL: dict[str, float] = {
    "crash": 747 / 747, "title": 709 / 712, "alt": 679 / 712, "type": 712 / 712, "corrupted": 706 / 712,
    "panicked": 692 / 712, "file": 0.94,
}
FLOORS_ARM64: dict[str, float] = {
    "crash": 1.0, "title": 1.0, "alt": 1.0, "type": 1.0, "corrupted": 1.0, "panicked": 1.0,
}
TARGETS = {"crash": 1.0, "title": 0.95, "type": 0.95, "corrupted": 0.95, "panicked": 0.95, "file": 0.90}


@pytest.fixture(scope="module")
def report_cases() -> list[SyzCase]:
    return cases("report")


@pytest.fixture(scope="module")
def tally(report_cases: list[SyzCase]) -> Tally:
    guilty = cases("guilty") + cases("guilty_raw")
    return compare(lambda s: list(parse_text(s)), report_cases, guilty)


def test_corpus_is_whole(report_cases: list[SyzCase]) -> None:
    assert len(report_cases) == 747
    assert sum(1 for c in report_cases if c.title) == 712
    assert len(cases("guilty")) == 68 and len(cases("guilty_raw")) == 1


def test_agreement_floors(tally: Tally, report_cases: list[SyzCase]) -> None:
    arm64 = compare(lambda s: list(parse_text(s)), [c for c in report_cases if c.arm64], [])
    print()
    print("\n".join(tally.lines("all  ")))
    print("\n".join(arm64.lines("arm64")))
    low = [f"{name}: {tally.ratio(name):.3f} < {floor:.3f}" for name, floor in FLOORS_ALL.items()
           if tally.ratio(name) < floor - 1e-9]
    low += [f"arm64 {name}: {arm64.ratio(name):.3f} < {floor:.3f}" for name, floor in FLOORS_ARM64.items()
            if arm64.ratio(name) < floor - 1e-9]
    assert not low, low


def test_no_crash_files_give_no_report(report_cases: list[SyzCase]) -> None:
    """Files syzkaller finds no crash in: none of ours either (boot noise, suppressed lines,
    report/1's SLUB banner without slab_bug()'s body)."""
    found = [c.name for c in report_cases if not c.title and parse_text(c.log)]
    assert found == []
