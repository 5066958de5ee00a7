"""Every rule on real logs: the first hypothesis of each labelled report, and rule coverage.

Logs come from tests/data/diagnose/logs/ (class, and report when not the first, in each file's
header) and from the console helper's corpus (tests/data/console/, read-only; classes in
tests/data/diagnose/console-labels.toml).  Each file names its public source in its header.
The same labelled set calibrates the confidences (scripts/calibrate.py, test_calibration.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from diag_helpers import DATA, REPO

from a64triage.console import parse_text
from a64triage.diagnose import explain_log
from a64triage.diagnose.engine import fired
from a64triage.diagnose.explain import analyse
from a64triage.diagnose.rules import RULES

sys.path.insert(0, str(REPO / "scripts"))
from calibrate import Case, body, labelled_cases

CONSOLE = DATA / "console"
REAL = [c for c in labelled_cases() if c.group != "qemu"]


# Rules no real log in this repository exercises yet (each needs a log to come off this list).
UNCOVERED: dict[str, str] = {
    "slab-poison": "no public arm64 log with a 0x6b POISON_FREE FAR found yet",
    "uninit-poison": "no public arm64 log with a 0x5a POISON_INUSE FAR found yet",
    "register-poison": "no public arm64 log with poison in the register dump found yet",
    "double-free": "no public arm64 KASAN double-free log found yet",
    "pac": "no public FPAC log found (QEMU without FEAT_FPAC gives the e2e CORRUPT_PAC case)",
    "illegal-state": "no public log of an illegal execution state (EC 0x0e) oops found yet",
    "core-free-object": "needs a core dump, not a log: tests/e2e/test_vmcore.py (WRITE_AFTER_FREE core)",
    "core-double-free": "needs a core dump, not a log: tests/e2e/test_vmcore.py (SLAB_FREE_DOUBLE core)",
}

# Rules whose real logs are the Debian 6.1 QEMU crashes in tests/data/e2e (test_e2e_logs.py).
E2E_COVERED: dict[str, str] = {
    "write-ro": "WRITE_RO, WRITE_RO_AFTER_INIT, WRITE_KERN",
    "pc-beyond-size": "EXEC_DATA, EXEC_RODATA",
    "stack-protector": "CORRUPT_STACK",
    "slub-poison-overwritten": "WRITE_AFTER_FREE",
    "slub-freelist-double-free": "SLAB_FREE_DOUBLE",
    "pac-pointer": "CORRUPT_PAC",
    "list-corruption": "CORRUPT_LIST_ADD, CORRUPT_LIST_DEL",
    "usercopy": "USERCOPY_*",
    "fortify": "FORTIFY_*",
}


@pytest.mark.parametrize("case", REAL, ids=lambda c: f"{c.group}/{c.path.name}")
def test_first_hypothesis(case: Case) -> None:
    expl = explain_log(case.text)
    assert len(expl.reports) > case.report, f"{case.path.name}: report {case.report + 1} not found"
    top = expl.reports[case.report].hypotheses[0]
    assert top.cls in case.accepted, f"{case.path.name}: got {top.cls} ({top.summary})"
    assert 0 < top.confidence <= 0.99
    assert top.summary and top.next_step and top.evidence


def test_labelled_set_has_new_real_logs() -> None:
    """Issue 12: at least 15 real logs beyond the first seven, each with its class and source."""
    own = [c for c in REAL if c.group == "real"]
    assert len(own) >= 25
    for case in own:
        head = case.path.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("source: https://"), case.path.name


def _fired_on(paths: list[Path]) -> set[str]:
    hit: set[str] = set()
    for path in paths:
        for report in parse_text(body(path)):
            hit.update(r.name for r in fired(analyse(report).facts))
    return hit


def test_every_rule_has_a_real_log() -> None:
    own = sorted({c.path for c in REAL})
    e2e = sorted((DATA / "e2e").glob("*.log"))
    hit = _fired_on(own)
    hit_e2e = _fired_on(e2e)
    names = {r.name for r in RULES}
    stems = [p.stem for p in e2e if parse_text(p.read_text(encoding="utf-8", errors="replace"))]
    absent = {rule for rule, crashes in E2E_COVERED.items()
              if not any(s.startswith(c.strip().rstrip("*")) for c in crashes.split(",") for s in stems)}
    missing = names - hit - hit_e2e - set(UNCOVERED) - absent
    assert not missing, f"rules without a real log: {sorted(missing)}"
    stale = {n for n in UNCOVERED if n in hit | hit_e2e}
    assert not stale, f"now covered, take off UNCOVERED: {sorted(stale)}"


def test_arm32_report_is_not_decoded_as_arm64() -> None:
    path = CONSOLE / "gh-t113-2-arm32-oops-cut.log"
    if not path.exists():
        pytest.skip("arm32 corpus log not present")
    rep = explain_log(str(path)).reports[0]
    assert rep.registers == ()
    assert any("32-bit ARM" in n for n in rep.notes)
