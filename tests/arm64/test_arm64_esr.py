"""Every exception class and every fault status code decodes; tables agree with the kernel's."""

from __future__ import annotations

import pytest

from a64triage.arm64 import (
    EC,
    brk_meaning,
    decode_esr,
    esr_class_name,
    esr_summary,
    fault_status_name,
    kernel_esr_class_str,
)
from a64triage.arm64.classes import CLASSES
from a64triage.arm64.fsc import FAULT_STATUS, FaultKind, fault_status
from a64triage.arm64.sysregs import sysreg_name


@pytest.mark.parametrize("ec", range(64))
def test_every_ec_decodes(ec: int) -> None:
    esr = ec << 26 | 1 << 25 | 0x1ABCDEF
    t = decode_esr(esr)
    ecf = t.find("EC")
    assert ecf is not None and ecf.value == ec
    assert esr_class_name(ec)
    if ec in CLASSES:
        assert "unallocated" not in ecf.meaning
    else:
        assert "unallocated" in ecf.meaning
        assert kernel_esr_class_str(ec) == "UNRECOGNIZED EC"
    iss = t.find("ISS")
    assert iss is not None and iss.value == 0x1ABCDEF
    esr_summary(esr)


@pytest.mark.parametrize("fsc", range(64))
@pytest.mark.parametrize("ec", [EC.IABT_LOW, EC.IABT_CUR, EC.DABT_LOW, EC.DABT_CUR])
def test_every_fault_status_code(ec: int, fsc: int) -> None:
    t = decode_esr(ec << 26 | 1 << 25 | fsc)
    f = t.find("DFSC" if ec in (EC.DABT_LOW, EC.DABT_CUR) else "IFSC")
    assert f is not None and f.value == fsc
    row = fault_status(fsc)
    assert row.arm in f.meaning
    facts = esr_summary(ec << 26 | fsc)
    assert facts.fsc == fsc and facts.fsc_type == row.kind.value
    assert facts.fsc_name == fault_status_name(fsc)
    if fsc not in FAULT_STATUS:
        assert row.kind is FaultKind.RESERVED


KERNEL_NAMES = {  # arch/arm64/mm/fault.c fault_info[] (mainline)
    0x00: "ttbr address size fault",
    0x04: "level 0 translation fault",
    0x07: "level 3 translation fault",
    0x08: "level 0 access flag fault",
    0x0C: "level 0 permission fault",
    0x0F: "level 3 permission fault",
    0x10: "synchronous external abort",
    0x11: "synchronous tag check fault",
    0x12: "unknown 18",
    0x13: "level -1 (translation table walk)",
    0x18: "synchronous parity or ECC error",
    0x1B: "level -1 synchronous parity error (translation table walk)",
    0x1F: "level 3 synchronous parity error (translation table walk)",
    0x21: "alignment fault",
    0x29: "level -1 address size fault",
    0x2B: "level -1 translation fault",
    0x30: "TLB conflict abort",
    0x31: "Unsupported atomic hardware update fault",
    0x35: "implementation fault (unsupported exclusive)",
    0x3D: "section domain fault",
    0x3F: "unknown 63",
}


@pytest.mark.parametrize(("fsc", "name"), sorted(KERNEL_NAMES.items()))
def test_kernel_fault_names(fsc: int, name: str) -> None:
    assert fault_status_name(fsc) == name


def test_lpa2_level_minus_one_codes() -> None:
    assert (fault_status(0x2B).kind, fault_status(0x2B).level) == (FaultKind.TRANSLATION, -1)
    assert (fault_status(0x29).kind, fault_status(0x29).level) == (FaultKind.ADDRESS_SIZE, -1)
    assert (fault_status(0x13).kind, fault_status(0x13).level) == (FaultKind.EXTERNAL_TTW, -1)


@pytest.mark.parametrize(("imm", "expect"), [
    (0x800, "BUG() or WARN()"),
    (0x004, "kprobe"),
    (0x005, "uprobe"),
    (0x100, "deliberate fault"),
    (0x400, "kgdb dynamic"),
    (0x401, "kgdb compiled"),
    (0x900, "1-byte read, non-recoverable"),
    (0x933, "8-byte write, recoverable"),
    (0x5501, "unreachable code"),
    (0x5512, "array index out of bounds"),
    (0x8000 | 3 << 5 | 17, "call target in x17, expected type hash in w3"),
])
def test_brk_meanings(imm: int, expect: str) -> None:
    m = brk_meaning(imm)
    assert m is not None and expect in m


def test_brk_without_meaning() -> None:
    assert brk_meaning(0x1234) is None


def _sys64(op0: int, op1: int, crn: int, crm: int, op2: int, rt: int, read: bool) -> int:
    iss = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | int(read)
    return 0x18 << 26 | 1 << 25 | iss


@pytest.mark.parametrize(("enc", "name"), [
    ((3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1"),
    ((3, 3, 9, 12, 0), "PMCR_EL0"),
    ((3, 0, 12, 12, 5), "ICC_SRE_EL1"),
    ((3, 3, 14, 2, 1), "CNTP_CTL_EL0"),
    ((2, 0, 0, 3, 4), "DBGBVR3_EL1"),
    ((3, 3, 13, 2, 0), "AMCR_EL0"),
    ((3, 3, 14, 9, 2), "PMEVCNTR10_EL0"),
    ((1, 0, 8, 3, 0), "TLBI VMALLE1IS"),
    ((1, 3, 7, 14, 1), "DC CIVAC"),
    ((1, 0, 7, 8, 0), "AT S1E1R"),
    ((3, 5, 1, 0, 0), "SCTLR_EL12"),
    ((3, 5, 14, 2, 1), "CNTP_CTL_EL02"),
])
def test_trapped_sysreg_names(enc: tuple[int, int, int, int, int], name: str) -> None:
    assert sysreg_name(*enc) == name
    esr = _sys64(*enc, rt=2, read=True)
    facts = esr_summary(esr)
    assert facts.sysreg == name and facts.sysreg_read is True
    t = decode_esr(esr)
    assert name in t.summary


def test_unknown_sysreg_uses_generic_syntax() -> None:
    assert sysreg_name(3, 7, 15, 2, 1).startswith("S3_7_C15_C2_1")


def test_data_abort_with_isv() -> None:
    # LDR w3, [x?] faulting with ISV=1, SAS=word, SRT=3, SF=0
    esr = 0x25 << 26 | 1 << 25 | 1 << 24 | 2 << 22 | 3 << 16 | 0x07
    f = esr_summary(esr)
    assert (f.isv, f.srt, f.access_size) == (True, 3, 4)
    t = decode_esr(esr)
    sas = t.find("SAS")
    assert sas is not None and "word" in sas.meaning


def test_serror_ids_and_aet() -> None:
    t = decode_esr(0x2F << 26 | 1 << 25 | 0b000 << 10 | 0x11)
    assert t.find("AET") is not None and t.find("DFSC") is not None
    t2 = decode_esr(0x2F << 26 | 1 << 25 | 1 << 24 | 0x123)
    assert t2.find("ISS[23:0]") is not None


def test_wfx_sve_sme_mops_gcs_eret_fields() -> None:
    assert "WFET" in (decode_esr(0x01 << 26 | 3).find("TI") or _missing()).meaning
    assert "PSTATE.SM is 1" in (decode_esr(0x1D << 26 | 1).find("SMTC") or _missing()).meaning
    assert "CPY" in (decode_esr(0x27 << 26 | 1 << 24).find("MemInst") or _missing()).meaning
    assert "RETAA" in (decode_esr(0x2D << 26 | 2).find("IT") or _missing()).meaning
    assert "ERETAA or ERETAB" in (decode_esr(0x1A << 26 | 2).find("ERET") or _missing()).meaning
    assert "11" in (decode_esr(0x0D << 26 | 3).find("BTYPE") or _missing()).meaning


def test_cp15_trap_names_register() -> None:
    # MRC p15, 0, r0, c1, c0, 0 (SCTLR) trapped: EC 0x03, CV=1, COND=0xE
    iss = 1 << 24 | 0xE << 20 | 0 << 17 | 0 << 14 | 1 << 10 | 0 << 5 | 0 << 1 | 1
    t = decode_esr(0x03 << 26 | 1 << 25 | iss)
    assert "SCTLR" in t.summary and "MRC p15" in t.summary


def _missing():  # type: ignore[no-untyped-def]
    raise AssertionError("field missing")
