"""Calibrated confidence (issue 12): the fitted table is what the script fits, and it is calibrated.

scripts/calibrate.py fits the rule table's confidences on the labelled set (45 QEMU crashes, the
real logs, the console corpus); a hypothesis at 90% must be right about 90% of the time.
"""

from __future__ import annotations

import sys

from diag_helpers import REPO

from a64triage.arm64 import brk, classes
from a64triage.diagnose.classes import BugClass
from a64triage.diagnose.fitted import FITTED

sys.path.insert(0, str(REPO / "scripts"))
import calibrate

OBSERVED = calibrate.observe(calibrate.labelled_cases())


def test_expected_calibration_error_at_most_0_10() -> None:
    r = calibrate.evaluate(OBSERVED, FITTED)
    assert r.n >= 100
    assert r.ece <= 0.10, calibrate.render("fitted", r)


def test_fitted_table_is_the_fit_not_hand_set() -> None:
    """Re-fitting the labelled set gives the committed table (scripts/calibrate.py --write)."""
    loo = {w: calibrate.leave_one_out(OBSERVED, w) for w in calibrate.PRIOR_WEIGHTS}
    weight = min(calibrate.PRIOR_WEIGHTS, key=lambda w: (loo[w].ece, w))
    assert calibrate.fit(OBSERVED, weight) == FITTED


def test_reliability_of_a_known_set() -> None:
    r = calibrate.reliability([(0.95, True), (0.95, True), (0.55, False), (0.55, True)])
    assert r.n == 4 and abs(r.accuracy - 0.75) < 1e-9
    assert abs(r.ece - (0.5 * 0.05 + 0.5 * 0.05)) < 1e-9


def test_trap_tables_name_stable_classes() -> None:
    """The decoder's own tables carry the class column the trap rules read."""
    valid = {c.value for c in BugClass}
    cols = [row.bug_class for row in brk.BRK_RANGES] + [row.bug_class for row in brk.COMPILER_BRK_TABLE]
    cols += [row.bug_class for row in classes.CLASS_TABLE if row.bug_class]
    assert cols and set(cols) <= valid
    assert brk.brk_class(0x3E8) == "compiler-trap" and brk.brk_class(0x800) == "bug-assertion"
    assert brk.brk_class(0x8228) == "cfi" and brk.brk_class(0x100) == "undefined-instruction"
    assert brk.brk_class(0x1234) is None
