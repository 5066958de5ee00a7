"""Which EL2 is this: the host kernel (VHE), nVHE hyp code or pKVM, decided once per report.

Every real log of tests/data/diagnose/logs names its answer in its header (``el2:``): "vhe"
for a host kernel running at EL2, "nvhe"/"pkvm" for hyp code, "none" for a kernel at EL1.
"""

from __future__ import annotations

import sys

import pytest
from diag_helpers import DATA, REPO

from a64triage.console import parse_text
from a64triage.diagnose import explain_log
from a64triage.diagnose.el2 import NvheHyp, PkvmHyp, VheHost
from a64triage.diagnose.explain import ExplainContext, _kept_lines, analyse

sys.path.insert(0, str(REPO / "scripts"))
from calibrate import body, header

LOGS = sorted((DATA / "diagnose" / "logs").glob("*.log"))
WITH_EL2 = [p for p in LOGS if "el2" in header(p)]
HYP_CLASSES = {"hyp-absolute-address", "hyp-fault"}


def _analysis(path, index):  # type: ignore[no-untyped-def]
    text = body(path)
    reports = parse_text(text)
    return analyse(reports[index], ExplainContext(lines=_kept_lines(text.splitlines(), reports)))


@pytest.mark.parametrize("path", WITH_EL2, ids=lambda p: p.name)
def test_el2_view_from_evidence(path) -> None:  # type: ignore[no-untyped-def]
    head = header(path)
    analysis = _analysis(path, int(head.get("report", "1")) - 1)
    facts = analysis.facts
    want = head["el2"]
    report = analysis.sources.report
    if want == "vhe" and report.pstate is None and not (report.kvm and report.kvm.panic):
        pytest.xfail("the console stage does not read this log's pstate line (quoted with '|', or cut by the "
                     "mailer): without it the EL is a guess")
    if want == "none":
        assert facts.el != 2 and facts.view.name == "el1"
        return
    assert facts.el == 2
    assert facts.view.name == want, f"{path.name}: {facts.view.name} ({facts.view.reasons})"
    assert facts.view.reasons, "the view says why"


@pytest.mark.parametrize("path", [p for p in WITH_EL2 if header(p)["el2"] == "vhe"], ids=lambda p: p.name)
def test_vhe_host_is_never_hyp_code(path) -> None:  # type: ignore[no-untyped-def]
    """No VHE host oops claims to be hyp code: no hyp class, no hyp wording, EL2 registers."""
    head = header(path)
    rep = explain_log(body(path)).reports[int(head.get("report", "1")) - 1]
    for h in rep.hypotheses:
        assert h.cls not in HYP_CLASSES, f"{h.cls}: {h.summary}"
        for text in (h.summary, *(e.text for e in h.evidence)):
            assert "hyp code" not in text.replace("not hyp code", ""), text
    names = {t.register for t in rep.registers}
    if rep.report.pstate is not None:  # without the pstate line the EL that took it is unknown
        assert not any(n.endswith("_EL1") for n in names if n.split("_")[0] in ("ESR", "FAR", "SPSR")), names
    top = rep.hypotheses[0]
    if any(e.text.startswith("SPSR_EL2") or e.text.startswith("ESR_EL2") for e in top.evidence):
        assert any("EL2 is VHE" in e.text for e in top.evidence)


def test_vhe_insmod_instruction_abort_is_exec_non_executable() -> None:
    """Issue 12's case: ESR 0x8600000f (level 3 permission fault) at a module address on a 5.4 VHE
    host, lr in __apply_alternatives: not hyp-absolute-address, and the evidence says why."""
    path = DATA / "diagnose" / "logs" / "lkml-2019-vhe-kvm-module-insmod-exec-nx-5.4.log"
    rep = explain_log(body(path)).reports[0]
    top = rep.hypotheses[0]
    assert top.cls == "exec-non-executable"
    ev = [e.text for e in top.evidence]
    assert any("SPSR_EL2 = 0x60400009" in t and "VHE" in t for t in ev)
    assert any("EL2 is VHE" in t and "kernel frames" in t for t in ev)
    assert any("MODULES" in t for t in ev), "the FAR is classified as the 5.4 module area"
    names = {t.register for t in rep.registers}
    assert names >= {"ESR_EL2", "SPSR_EL2"} and not any(n.endswith("_EL1") for n in names)
    assert all(h.cls not in HYP_CLASSES for h in rep.hypotheses)


def test_pkvm_and_nvhe_hyp_bugs_say_which_hyp() -> None:
    fvp = _analysis(DATA / "diagnose" / "logs" / "lkml-2023-fvp-pkvm-hyp-bug-6.4.log", 1).facts
    assert isinstance(fvp.view, PkvmHyp) and fvp.at_hyp
    assert any("Hyp Offset" in r or "nVHE" in r for r in fvp.view.reasons)
    old = _analysis(DATA / "console" / "lkml-2017-clang-hyp-panic.log", 0).facts
    assert type(old.view) is NvheHyp and old.at_hyp
    assert any("HYP VA range" in r for r in old.view.reasons)


def test_vhe_hyp_panic_is_the_kernel() -> None:
    """VHE's __hyp_call_panic prints the same block as nVHE; a kernel-image PC with no nVHE line,
    Hyp Offset or HYP VA range makes it the host kernel, so hyp-only rules stay silent."""
    facts = _analysis(DATA / "diagnose" / "logs" / "kvm-2024-vhe-hyp-panic-cfi.log", 0).facts
    assert isinstance(facts.view, VheHost) and not facts.at_hyp
