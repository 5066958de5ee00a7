"""Evidence earns its place: no printing-path frames, no meaningless fields, no '?' in prose."""

from __future__ import annotations

import sys

import pytest
from diag_helpers import REPO

from a64triage.diagnose import explain_log
from a64triage.diagnose.evidence import printing_path

sys.path.insert(0, str(REPO / "scripts"))
from calibrate import Case, labelled_cases

CASES = labelled_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.group}/{c.path.name}")
def test_evidence_earns_its_place(case: Case) -> None:
    for rep in explain_log(case.text).reports:
        confs = [h.confidence for h in rep.hypotheses]
        assert confs == sorted(confs, reverse=True), "confidence never rises down the ranking"
        for h in rep.hypotheses:
            for text in (h.summary, h.next_step, *(e.text for e in h.evidence)):
                assert "?" not in text.replace("?)", ")").replace("(?", "("), f"{h.cls}: {text}"
            for e in h.evidence:
                if e.text.startswith("frame: "):
                    name = e.text.removeprefix("frame: ").split("+")[0].split("/")[0].split(" ")[0]
                    assert not printing_path(name), f"{h.cls} cites the printing path: {e.text}"
        for tree in rep.registers:
            if tree.register.startswith("ESR") and tree.find("IFSC") is not None and tree.find("IFSC").value != 0x10:
                assert tree.find("SET") is None, "SET means nothing for this instruction abort"


def test_printing_path_names_ignore_compiler_suffixes() -> None:
    assert printing_path("dump_backtrace.part.0") and printing_path("show_stack")
    assert printing_path("dump_stack_lvl") and not printing_path("dump_stack_foo")
    assert not printing_path(None) and not printing_path("kmemleak_scan")
