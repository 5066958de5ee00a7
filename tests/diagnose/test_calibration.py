"""Calibrated confidence (issue 12): the fitted table is what the script fits, and it is calibrated.

scripts/calibrate.py fits the rule table's confidences on the labelled set (45 QEMU crashes, the
real logs, the console corpus); every ranked hypothesis is an event, and one at 90% must be right
about 90% of the time, on logs the fit did not see (leave-one-log-out).
"""

from __future__ import annotations

import functools
import sys

from diag_helpers import REPO

from a64triage.arm64 import brk, classes
from a64triage.diagnose.classes import BugClass
from a64triage.diagnose.fitted import FITTED

sys.path.insert(0, str(REPO / "scripts"))
import calibrate

OBSERVED = calibrate.observe(calibrate.labelled_cases())


@functools.cache
def chosen() -> tuple[float, dict[float, tuple[calibrate.Reliability, float]]]:
    """The prior weight and the cross-validated figures (one run of the folds for the module)."""
    return calibrate.choose_weight(OBSERVED)


def test_every_hypothesis_is_an_event_and_some_are_wrong() -> None:
    """The table is measured over every ranked hypothesis: the runners-up give wrong answers at low
    confidence, without which a reliability table says nothing (the top class is nearly always right)."""
    r = calibrate.evaluate(OBSERVED, FITTED)
    assert r.n > len(OBSERVED) >= 100
    assert 0.05 < 1 - r.accuracy < 0.5, calibrate.render("fitted", r)
    assert calibrate.top1(OBSERVED, FITTED) >= 0.95
    wrong = [conf for o in OBSERVED for _, conf, ok in calibrate.events(o, FITTED) if not ok]
    assert sum(wrong) / len(wrong) < 0.3  # wrong hypotheses sit low, not at the top's confidence


def test_expected_calibration_error_at_most_0_10() -> None:
    """In-sample and held out (leave-one-log-out, the figure that counts)."""
    r = calibrate.evaluate(OBSERVED, FITTED)
    assert r.ece <= 0.10, calibrate.render("fitted", r)
    weight, cv = chosen()
    held, held_top1 = cv[weight]
    assert held.n == r.n
    assert held.ece <= 0.10, calibrate.render("leave-one-log-out", held)
    assert held_top1 >= 0.95


def test_fitted_table_is_the_fit_not_hand_set() -> None:
    """Re-fitting the labelled set gives the committed table (scripts/calibrate.py --write)."""
    weight, _ = chosen()
    assert calibrate.fit(OBSERVED, weight) == FITTED


def test_cross_validation_leaves_whole_logs_out() -> None:
    """The QEMU variants of one crash (-nokaslr, -panic, -max) are one unit: never scored by a
    fit that saw their twin."""
    keys = {calibrate.log_key(o.case) for o in OBSERVED}
    qemu = [o for o in OBSERVED if o.case.group == "qemu"]
    assert len({calibrate.log_key(o.case) for o in qemu}) < len(qemu)
    assert len(keys) < len(OBSERVED)


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


def test_docs_carry_the_current_figures() -> None:
    """docs/CLASSES.md and the README quote the reliability figures: a refit updates them."""
    weight, cv = chosen()
    inside = calibrate.evaluate(OBSERVED, FITTED)
    docs = (REPO / "docs" / "CLASSES.md").read_text(encoding="utf-8")
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"**{inside.ece:.3f} in-sample**, **{cv[weight][0].ece:.3f} held out**" in docs
    assert f"ECE {inside.ece:.3f} in-sample and {cv[weight][0].ece:.3f} leave-one-log-out" in readme
    assert f"there are {inside.n} hypotheses" in " ".join(docs.split())
    for lo, _hi, n, conf, acc in inside.rows:
        assert f"| [{lo:.1f}, {lo + 0.1:.1f}) | {n} | {conf:.3f} | {acc:.3f} |" in docs
