"""Exception classes (ESR_ELx.EC) as data.

Arm names and descriptions: Arm ARM (DDI 0487) D24.2 "ESR_EL1, Exception
Syndrome Register (EL1)", field EC.  Kernel strings: ``esr_class_str[]`` in
arch/arm64/kernel/traps.c (entries missing there print "UNRECOGNIZED EC").
Each row names the ISS family that decodes its syndrome (see ``iss/``), and
for the classes that are themselves a diagnosis (an UNDEFINED instruction, a
BTI or PAC failure, an illegal execution state, PC/SP alignment, SError) the
hypothesis class they support (the diagnose stage's ids, docs/CLASSES.md); BRK
immediates have their own column in brk.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class IssFamily(StrEnum):
    """Which ISS table decodes the syndrome of an exception class."""

    NONE = "none"
    UNKNOWN = "unknown"
    WFX = "wfx"
    CP_MCR = "cp-mcr"
    CP_MCRR = "cp-mcrr"
    CP_LDC = "cp-ldc"
    FP_ACCESS = "fp-access"
    LS64 = "ls64"
    BTI = "bti"
    ILLEGAL = "illegal"
    SVC32 = "svc32"
    IMM16 = "imm16"
    SMC32 = "smc32"
    SYS64 = "sys64"
    SYS128 = "sys128"
    ERET = "eret"
    TSTART = "tstart"
    FPAC = "fpac"
    SME = "sme"
    GPC = "gpc"
    IMPDEF = "impdef"
    IABT = "iabt"
    DABT = "dabt"
    MOPS = "mops"
    FP_EXC = "fp-exc"
    GCS = "gcs"
    SERROR = "serror"
    BREAKPOINT = "breakpoint"
    STEP = "step"
    WATCHPOINT = "watchpoint"
    BKPT32 = "bkpt32"
    VECTOR_CATCH = "vector-catch"
    BRK = "brk"


class EC(IntEnum):
    """ESR_ELx.EC values (names follow the kernel's ESR_ELx_EC_* in asm/esr.h)."""

    UNKNOWN = 0x00
    WFX = 0x01
    CP15_32 = 0x03
    CP15_64 = 0x04
    CP14_MR = 0x05
    CP14_LS = 0x06
    FP_ASIMD = 0x07
    CP10_ID = 0x08
    PAC = 0x09
    OTHER = 0x0A
    CP14_64 = 0x0C
    BTI = 0x0D
    ILL = 0x0E
    SVC32 = 0x11
    HVC32 = 0x12
    SMC32 = 0x13
    SYS128 = 0x14
    SVC64 = 0x15
    HVC64 = 0x16
    SMC64 = 0x17
    SYS64 = 0x18
    SVE = 0x19
    ERET = 0x1A
    TSTART = 0x1B
    FPAC = 0x1C
    SME = 0x1D
    GPC = 0x1E
    IMP_DEF = 0x1F
    IABT_LOW = 0x20
    IABT_CUR = 0x21
    PC_ALIGN = 0x22
    DABT_LOW = 0x24
    DABT_CUR = 0x25
    SP_ALIGN = 0x26
    MOPS = 0x27
    FP_EXC32 = 0x28
    FP_EXC64 = 0x2C
    GCS = 0x2D
    SERROR = 0x2F
    BREAKPT_LOW = 0x30
    BREAKPT_CUR = 0x31
    SOFTSTP_LOW = 0x32
    SOFTSTP_CUR = 0x33
    WATCHPT_LOW = 0x34
    WATCHPT_CUR = 0x35
    BKPT32 = 0x38
    VECTOR32 = 0x3A
    BRK64 = 0x3C
    PROFILING = 0x3D


@dataclass(frozen=True)
class ClassInfo:
    """One EC row: short mnemonic, Arm ARM description, kernel string, ISS family."""

    ec: int
    mnemonic: str
    description: str
    kernel: str
    family: IssFamily
    feature: str = ""
    bug_class: str = ""  # the diagnose class an unexpected kernel exception of this class supports


UNRECOGNIZED = "UNRECOGNIZED EC"

# Arm ARM D24.2.41 ESR_EL1.EC (DDI 0487K.a); kernel strings: arch/arm64/kernel/traps.c esr_class_str[]
CLASS_TABLE: tuple[ClassInfo, ...] = (
    ClassInfo(0x00, "UNKNOWN", "exception for an unknown reason (e.g. an UNDEFINED instruction)", "Unknown/Uncategorized", IssFamily.UNKNOWN, bug_class="undefined-instruction"),
    ClassInfo(0x01, "WFx", "trapped WFI, WFE, WFIT or WFET instruction", "WFI/WFE", IssFamily.WFX),
    ClassInfo(0x03, "CP15_32", "trapped AArch32 MCR or MRC access to coproc 0b1111 (CP15)", "CP15 MCR/MRC", IssFamily.CP_MCR),
    ClassInfo(0x04, "CP15_64", "trapped AArch32 MCRR or MRRC access to coproc 0b1111 (CP15)", "CP15 MCRR/MRRC", IssFamily.CP_MCRR),
    ClassInfo(0x05, "CP14_MR", "trapped AArch32 MCR or MRC access to coproc 0b1110 (CP14)", "CP14 MCR/MRC", IssFamily.CP_MCR),
    ClassInfo(0x06, "CP14_LS", "trapped AArch32 LDC or STC access (CP14)", "CP14 LDC/STC", IssFamily.CP_LDC),
    ClassInfo(0x07, "FP_ASIMD", "access to SME, SVE, Advanced SIMD or floating-point functionality trapped (CPACR_EL1.FPEN, CPTR_ELx)", "ASIMD", IssFamily.FP_ACCESS),
    ClassInfo(0x08, "CP10_ID", "trapped AArch32 VMRS access to an ID register (HCR_EL2.TID0/TID3)", "CP10 MRC/VMRS", IssFamily.CP_MCR),
    ClassInfo(0x09, "PAC", "trapped pointer authentication instruction (HCR_EL2.API == 0 or SCR_EL3.API == 0)", "PAC", IssFamily.NONE, "FEAT_PAuth"),
    ClassInfo(0x0A, "OTHER", "trapped LD64B/ST64B/ST64BV/ST64BV0, TSB CSYNC or PSB CSYNC instruction", UNRECOGNIZED, IssFamily.LS64, "FEAT_LS64"),
    ClassInfo(0x0C, "CP14_64", "trapped AArch32 MRRC access to coproc 0b1110 (CP14)", "CP14 MCRR/MRRC", IssFamily.CP_MCRR),
    ClassInfo(0x0D, "BTI", "branch target exception (BTI check failed on an indirect branch)", "BTI", IssFamily.BTI, "FEAT_BTI", "bti-failure"),
    ClassInfo(0x0E, "ILL", "illegal execution state (PSTATE.IL set, e.g. bad ERET target mode)", "PSTATE.IL", IssFamily.ILLEGAL, bug_class="illegal-state"),
    ClassInfo(0x11, "SVC32", "SVC instruction executed in AArch32 state", "SVC (AArch32)", IssFamily.SVC32),
    ClassInfo(0x12, "HVC32", "HVC instruction executed in AArch32 state", "HVC (AArch32)", IssFamily.IMM16),
    ClassInfo(0x13, "SMC32", "SMC instruction executed in AArch32 state", "SMC (AArch32)", IssFamily.SMC32),
    ClassInfo(0x14, "SYS128", "trapped MSRR, MRRS or SYS128 instruction", UNRECOGNIZED, IssFamily.SYS128, "FEAT_SYSREG128"),
    ClassInfo(0x15, "SVC64", "SVC instruction executed in AArch64 state", "SVC (AArch64)", IssFamily.IMM16),
    ClassInfo(0x16, "HVC64", "HVC instruction executed in AArch64 state", "HVC (AArch64)", IssFamily.IMM16),
    ClassInfo(0x17, "SMC64", "SMC instruction executed in AArch64 state", "SMC (AArch64)", IssFamily.IMM16),
    ClassInfo(0x18, "SYS64", "trapped MSR, MRS or System instruction in AArch64 state", "MSR/MRS (AArch64)", IssFamily.SYS64),
    ClassInfo(0x19, "SVE", "access to SVE functionality trapped (CPACR_EL1.ZEN, CPTR_ELx)", "SVE", IssFamily.NONE, "FEAT_SVE"),
    ClassInfo(0x1A, "ERET", "trapped ERET, ERETAA or ERETAB instruction (nested virtualization)", "ERET/ERETAA/ERETAB", IssFamily.ERET, "FEAT_NV"),
    ClassInfo(0x1B, "TSTART", "TSTART instruction trapped at EL0 (SCTLR_EL1.TME0 == 0)", UNRECOGNIZED, IssFamily.TSTART, "FEAT_TME"),
    ClassInfo(0x1C, "FPAC", "pointer authentication failure (FEAT_FPAC: AUT* failed)", "FPAC", IssFamily.FPAC, "FEAT_FPAC", "pac-failure"),
    ClassInfo(0x1D, "SME", "access to SME functionality trapped", "SME", IssFamily.SME, "FEAT_SME"),
    ClassInfo(0x1E, "GPC", "granule protection check exception (taken to EL3)", UNRECOGNIZED, IssFamily.GPC, "FEAT_RME"),
    ClassInfo(0x1F, "IMP_DEF", "IMPLEMENTATION DEFINED exception taken to EL3", "EL3 IMP DEF", IssFamily.IMPDEF),
    ClassInfo(0x20, "IABT_LOW", "instruction abort from a lower exception level", "IABT (lower EL)", IssFamily.IABT),
    ClassInfo(0x21, "IABT_CUR", "instruction abort taken without a change in exception level", "IABT (current EL)", IssFamily.IABT),
    ClassInfo(0x22, "PC_ALIGN", "PC alignment fault", "PC Alignment", IssFamily.NONE, bug_class="alignment"),
    ClassInfo(0x24, "DABT_LOW", "data abort from a lower exception level", "DABT (lower EL)", IssFamily.DABT),
    ClassInfo(0x25, "DABT_CUR", "data abort taken without a change in exception level", "DABT (current EL)", IssFamily.DABT),
    ClassInfo(0x26, "SP_ALIGN", "SP alignment fault", "SP Alignment", IssFamily.NONE, bug_class="alignment"),
    ClassInfo(0x27, "MOPS", "memory operation exception (CPY*/SET* instruction)", "MOPS", IssFamily.MOPS, "FEAT_MOPS"),
    ClassInfo(0x28, "FP_EXC32", "trapped floating-point exception taken from AArch32 state", "FP (AArch32)", IssFamily.FP_EXC),
    ClassInfo(0x2C, "FP_EXC64", "trapped floating-point exception taken from AArch64 state", "FP (AArch64)", IssFamily.FP_EXC),
    ClassInfo(0x2D, "GCS", "guarded control stack exception", "Guarded Control Stack", IssFamily.GCS, "FEAT_GCS"),
    ClassInfo(0x2F, "SERROR", "SError exception", "SError", IssFamily.SERROR, bug_class="serror"),
    ClassInfo(0x30, "BREAKPT_LOW", "breakpoint exception from a lower exception level", "Breakpoint (lower EL)", IssFamily.BREAKPOINT),
    ClassInfo(0x31, "BREAKPT_CUR", "breakpoint exception taken without a change in exception level", "Breakpoint (current EL)", IssFamily.BREAKPOINT),
    ClassInfo(0x32, "SOFTSTP_LOW", "software step exception from a lower exception level", "Software Step (lower EL)", IssFamily.STEP),
    ClassInfo(0x33, "SOFTSTP_CUR", "software step exception taken without a change in exception level", "Software Step (current EL)", IssFamily.STEP),
    ClassInfo(0x34, "WATCHPT_LOW", "watchpoint exception from a lower exception level", "Watchpoint (lower EL)", IssFamily.WATCHPOINT),
    ClassInfo(0x35, "WATCHPT_CUR", "watchpoint exception taken without a change in exception level", "Watchpoint (current EL)", IssFamily.WATCHPOINT),
    ClassInfo(0x38, "BKPT32", "BKPT instruction executed in AArch32 state", "BKPT (AArch32)", IssFamily.BKPT32),
    ClassInfo(0x3A, "VECTOR32", "vector catch exception from AArch32 state", "Vector catch (AArch32)", IssFamily.VECTOR_CATCH),
    ClassInfo(0x3C, "BRK64", "BRK instruction executed in AArch64 state", "BRK (AArch64)", IssFamily.BRK),
    ClassInfo(0x3D, "PROFILING", "profiling exception (PMU exception, FEAT_EBEP)", UNRECOGNIZED, IssFamily.NONE, "FEAT_EBEP"),
)

CLASSES: dict[int, ClassInfo] = {row.ec: row for row in CLASS_TABLE}


def class_info(ec: int) -> ClassInfo:
    """The row for ``ec``; unallocated encodings get a synthetic row, never an error."""
    row = CLASSES.get(ec & 0x3F)
    if row is not None:
        return row
    return ClassInfo(ec & 0x3F, f"EC_{ec & 0x3F:#04x}", "unallocated exception class (reserved encoding)", UNRECOGNIZED, IssFamily.UNKNOWN)


def esr_class_name(ec: int) -> str:
    """Arm ARM description of an exception class."""
    return class_info(ec).description


def kernel_esr_class_str(ec: int) -> str:
    """The string Linux prints for an EC (``esr_get_class_string``)."""
    return class_info(ec).kernel
