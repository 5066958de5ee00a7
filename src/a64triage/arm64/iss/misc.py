"""ISS of the remaining exception classes (one small table each).

Source: Arm ARM D24.2.41 ESR_EL1 ISS encodings for: WF* (EC 0x01), SME/SVE/
SIMD/FP access (0x07), LS64 (0x0A), BTI (0x0D), ERET (0x1A), TSTART (0x1B),
FPAC (0x1C), SME (0x1D), MOPS (0x27), trapped FP exceptions (0x28/0x2C), GCS
(0x2D), IMPLEMENTATION DEFINED (0x1F); classes without syndrome (unknown,
illegal state, PC/SP alignment, PAC, SVE) have an all-RES0 ISS.  Kernel field
names: ESR_ELx_WFx_*, ESR_ELx_SME_ISS_SMTC*, ESR_ELx_MOPS_*, ESR_ELx_GCS_* in
arch/arm64/include/asm/esr.h.
"""

from __future__ import annotations

from a64triage.arm64.iss.common import CV_COND, IssTable, fixed, xreg
from a64triage.arm64.spec import FieldSpec, bit

none_iss: IssTable = fixed()

wfx_iss: IssTable = fixed(
    *CV_COND,
    FieldSpec("RN", 9, 5, "register holding the timeout (WFET/WFIT, FEAT_WFxT)", meaning=xreg),
    bit("RV", 2, "register field valid", "RN is valid", "RN is not valid"),
    FieldSpec("TI", 1, 0, "trapped instruction", {0: "WFI", 1: "WFE", 2: "WFIT", 3: "WFET"}),
)

fp_access_iss: IssTable = fixed(*CV_COND)

ls64_iss: IssTable = fixed(
    FieldSpec("ISS", 24, 0, "trapped LS64 instruction",
              {0: "ST64BV", 1: "ST64BV0", 2: "LD64B or ST64B", 3: "TSB CSYNC", 4: "PSB CSYNC"}),
)

bti_iss: IssTable = fixed(
    FieldSpec("BTYPE", 1, 0, "PSTATE.BTYPE at the failing instruction",
              {0: "00: not after an indirect branch", 1: "01: BR via x16/x17, or BR from a non-guarded page (needs BTI c or j)",
               2: "10: BLR (needs BTI c)", 3: "11: BR via another register from a guarded page (needs BTI j)"}),
)

eret_iss: IssTable = fixed(
    bit("ERET", 1, "ERET type", "ERETAA or ERETAB", "ERET"),
    bit("ERETA", 0, "authentication key (when ERET is 1)", "B key (ERETAB)", "A key (ERETAA)"),
)

tstart_iss: IssTable = fixed(FieldSpec("Rd", 9, 5, "destination register of TSTART", meaning=xreg))

fpac_iss: IssTable = fixed(
    bit("Data", 1, "key type", "data key (AUTDA/AUTDB...)", "instruction key (AUTIA/AUTIB/RETAA...)"),
    bit("B", 0, "key", "B key", "A key"),
)

sme_iss: IssTable = fixed(
    FieldSpec("SMTC", 2, 0, "SME trap code", {
        0: "access to SME functionality trapped (CPACR_EL1.SMEN, CPTR_EL2.SMEN/TSM, CPTR_EL3.ESM)",
        1: "Advanced SIMD, SVE or SVE2 instruction trapped because PSTATE.SM is 1",
        2: "SME instruction trapped because PSTATE.SM is 0",
        3: "SME instruction trapped because PSTATE.ZA is 0",
        4: "ZT0 access trapped (SMCR_ELx.EZT0 is 0)",
    }),
)

impdef_iss: IssTable = fixed(FieldSpec("ISS", 24, 0, "IMPLEMENTATION DEFINED syndrome"))

mops_iss: IssTable = fixed(
    bit("MemInst", 24, "instruction type", "CPY* (memory copy)", "SET* (memory set)"),
    bit("isSETG", 23, "SETG* instruction", "SETG* (tag setting)", "not SETG*"),
    FieldSpec("Options", 22, 19, "options field of the instruction"),
    bit("FromEpilogue", 18, "which instruction", "epilogue instruction (CPYE/SETE)", "prologue or main instruction"),
    bit("WrongOption", 17, "wrong algorithm option", "the option (A or B) did not match the implementation's", "the option was right"),
    bit("OptionA", 16, "algorithm option", "option A", "option B"),
    FieldSpec("DestReg", 14, 10, "destination register", meaning=xreg),
    FieldSpec("SrcReg", 9, 5, "source register", meaning=xreg),
    FieldSpec("SizeReg", 4, 0, "size register", meaning=xreg),
)

fp_exc_iss: IssTable = fixed(
    bit("TFV", 23, "trapped fault valid", "the IDF..IOF flags are valid", "the flags are UNKNOWN"),
    FieldSpec("VECITR", 10, 8, "vector iteration (AArch32)"),
    bit("IDF", 7, "input denormal", "trapped", "not trapped"),
    bit("IXF", 4, "inexact", "trapped", "not trapped"),
    bit("UFF", 3, "underflow", "trapped", "not trapped"),
    bit("OFF", 2, "overflow", "trapped", "not trapped"),
    bit("DZF", 1, "divide by zero", "trapped", "not trapped"),
    bit("IOF", 0, "invalid operation", "trapped", "not trapped"),
)

# kernel: ESR_ELx_ExType_{DATA_CHECK,EXLOCK,STR}, ESR_ELx_IT_{RET,GCSPOPM,RET_KEYA,...}
gcs_iss: IssTable = fixed(
    FieldSpec("ExType", 23, 20, "GCS exception type", {0: "data check (return address mismatch)", 1: "EXLOCK check", 2: "trapped GCSSTR/GCSSTTR"}),
    FieldSpec("Raddr", 14, 10, "register holding the return address", meaning=xreg),
    FieldSpec("Rn", 9, 5, "register operand", meaning=xreg),
    FieldSpec("IT", 4, 0, "instruction type", {0: "RET", 1: "GCSPOPM", 2: "RETAA", 3: "RETAB", 4: "GCSSS1", 5: "GCSSS2", 6: "GCSPOPCX", 7: "GCSPOPX"}),
)
