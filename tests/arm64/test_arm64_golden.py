"""Golden text and JSON outputs; regenerate with A64TRIAGE_UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from a64triage.arm64 import decode, esr_summary, kernel_mem_abort_lines, tree_lines

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "arm64" / "golden"
UPDATE = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"

# (case name, register, value, el)
CASES: list[tuple[str, str, int, int | None]] = [
    ("spsr_el2_2017_hyp_panic", "SPSR_EL2", 0x800003C9, None),
    ("esr_el2_2017_hyp_panic", "ESR_EL2", 0x86000004, None),
    ("hpfar_2017_hyp_panic", "HPFAR_EL2", 0x9825000, None),
    ("par_2017_hyp_panic", "PAR_EL1", 0x0, None),
    ("far_2017_hyp_panic", "FAR_EL2", 0xFFFF0000089E6FD8, None),
    ("esr_dabt_null_write", "ESR_EL1", 0x96000046, None),
    ("esr_brk_bug", "ESR_EL1", 0xF2000800, None),
    ("esr_brk_kasan", "ESR_EL1", 0xF2000932, None),
    ("esr_brk_cfi", "ESR_EL1", 0xF2008271, None),
    ("esr_sys64_mrs_mmfr0", "ESR_EL2", 0x6230004F, None),
    ("esr_serror", "ESR_EL1", 0xBE000011, None),
    ("esr_dabt_isv_ls64", "ESR_EL2", 0x0000001F93C40007, None),
    ("esr_unallocated_ec", "ESR", 0x0A000000 | 0x3B << 26, None),
    ("spsr_aarch32_svc_thumb", "SPSR", 0x600001F3, None),
    ("midr_neoverse_n1", "MIDR", 0x413FD0C1, None),
    ("par_fault", "PAR", 0x809, None),
    ("mmfr0_a72", "ID_AA64MMFR0_EL1", 0x1124, None),
    ("vtcr_el2", "VTCR_EL2", 0x80023558, None),
    ("tcr_el1", "TCR_EL1", 0x34B5593519, None),
    ("sctlr_el1", "SCTLR_EL1", 0x200000034F4D91D, None),
    ("hcr_el2", "HCR_EL2", 0x80000001, None),
    ("far_list_poison", "FAR", 0xDEAD000000000122, None),
    ("far_slab_poison", "FAR", 0x6B6B6B6B6B6B6B83, None),
]


@pytest.mark.parametrize(("case", "reg", "value", "el"), CASES, ids=[c[0] for c in CASES])
def test_golden(case: str, reg: str, value: int, el: int | None) -> None:
    tree = decode(reg, value, el=el)
    text = "\n".join(tree_lines(tree, show_res0=True)) + "\n"
    if tree.register.startswith("ESR") and esr_summary(value).is_abort:
        text += "\n" + "\n".join(kernel_mem_abort_lines(value)) + "\n"
    doc = json.dumps(tree.to_json(), indent=2, sort_keys=True) + "\n"
    txt_path, json_path = GOLDEN / f"{case}.txt", GOLDEN / f"{case}.json"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        txt_path.write_text(text, encoding="utf-8")
        json_path.write_text(doc, encoding="utf-8")
    assert txt_path.exists(), f"missing golden {txt_path.name}; run with A64TRIAGE_UPDATE_GOLDEN=1"
    assert text == txt_path.read_text(encoding="utf-8")
    assert doc == json_path.read_text(encoding="utf-8")


def test_no_stale_goldens() -> None:
    names = {c[0] for c in CASES}
    stale = [p.name for p in GOLDEN.glob("*.*") if p.stem not in names]
    assert not stale, f"goldens without a case: {stale}"
