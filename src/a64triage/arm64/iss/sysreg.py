"""ISS of trapped system register / coprocessor accesses.

Source: Arm ARM D24.2.41 ESR_EL1, "ISS encoding for an exception from MSR,
MRS, or System instruction execution in AArch64 state" (EC 0x18), "... MSRR,
MRRS, SYS128" (EC 0x14), "... MCR or MRC access" (EC 0x03/0x05/0x08),
"... MCRR or MRRC access" (EC 0x04/0x0C), "... LDC or STC instruction" (EC 0x06).
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.iss.common import CV_COND, IssTable, fixed, rreg, xreg
from a64triage.arm64.spec import FieldSpec, bit, extract
from a64triage.arm64.sysregs import CP15_64_REGS, CP15_REGS, sysreg_name

_DIR64 = bit("Direction", 0, "direction of the access", "read (MRS / SYSL)", "write (MSR / SYS)")

SYS64: tuple[FieldSpec, ...] = (
    FieldSpec("Op0", 21, 20, "Op0 of the system register encoding"),
    FieldSpec("Op2", 19, 17, "Op2"),
    FieldSpec("Op1", 16, 14, "Op1"),
    FieldSpec("CRn", 13, 10, "CRn"),
    FieldSpec("Rt", 9, 5, "general-purpose register transferred", meaning=xreg),
    FieldSpec("CRm", 4, 1, "CRm"),
    _DIR64,
)

SYS128: tuple[FieldSpec, ...] = (
    FieldSpec("Op0", 21, 20, "Op0 of the system register encoding"),
    FieldSpec("Op2", 19, 17, "Op2"),
    FieldSpec("Op1", 16, 14, "Op1"),
    FieldSpec("CRn", 13, 10, "CRn"),
    FieldSpec("Rt", 9, 5, "first register of the transferred pair", meaning=xreg),
    FieldSpec("CRm", 4, 1, "CRm"),
    _DIR64,
)


def sys64_encoding(iss: int) -> tuple[int, int, int, int, int]:
    """(Op0, Op1, CRn, CRm, Op2) of a trapped MSR/MRS/SYS syndrome."""
    return (extract(iss, 21, 20), extract(iss, 16, 14), extract(iss, 13, 10), extract(iss, 4, 1), extract(iss, 19, 17))


def sys64_summary(iss: int) -> str:
    op0, op1, crn, crm, op2 = sys64_encoding(iss)
    name = sysreg_name(op0, op1, crn, crm, op2)
    rt = xreg(extract(iss, 9, 5))
    read = iss & 1
    if op0 == 1:
        return f"trapped {'SYSL ' + rt + ', ' if read else ''}{name}{'' if read else ', ' + rt}"
    return f"trapped MRS {rt}, {name}" if read else f"trapped MSR {name}, {rt}"


_DIR32 = bit("Direction", 0, "direction of the access", "read (MRC/MRRC/LDC: to the core)", "write (MCR/MCRR/STC)")

CP_MCR: tuple[FieldSpec, ...] = (
    *CV_COND,
    FieldSpec("Opc2", 19, 17, "Opc2"),
    FieldSpec("Opc1", 16, 14, "Opc1"),
    FieldSpec("CRn", 13, 10, "CRn"),
    FieldSpec("Rt", 9, 5, "general-purpose register transferred", meaning=rreg),
    FieldSpec("CRm", 4, 1, "CRm"),
    _DIR32,
)

CP_MCRR: tuple[FieldSpec, ...] = (
    *CV_COND,
    FieldSpec("Opc1", 19, 16, "Opc1"),
    FieldSpec("Rt2", 14, 10, "second general-purpose register", meaning=rreg),
    FieldSpec("Rt", 9, 5, "first general-purpose register", meaning=rreg),
    FieldSpec("CRm", 4, 1, "CRm"),
    _DIR32,
)

CP_LDC: tuple[FieldSpec, ...] = (
    *CV_COND,
    FieldSpec("imm8", 19, 12, "immediate offset"),
    FieldSpec("Rn", 9, 5, "base register", meaning=rreg),
    bit("Offset", 4, "offset direction", "add the offset", "subtract the offset"),
    FieldSpec("AM", 3, 1, "addressing mode", {0: "immediate unindexed", 1: "immediate post-indexed",
                                              2: "immediate offset", 3: "immediate pre-indexed",
                                              4: "literal (reserved in AArch64 state)", 6: "literal"}),
    _DIR32,
)


def cp15_mcr_summary(iss: int, coproc: str) -> str:
    opc2, opc1, crn, crm = extract(iss, 19, 17), extract(iss, 16, 14), extract(iss, 13, 10), extract(iss, 4, 1)
    rt = rreg(extract(iss, 9, 5))
    op = "MRC" if iss & 1 else "MCR"
    name = CP15_REGS.get((opc1, crn, crm, opc2)) if coproc == "p15" else None
    enc = f"{op} {coproc}, {opc1}, {rt}, c{crn}, c{crm}, {opc2}"
    return f"trapped {enc}" + (f" ({name})" if name else "")


def cp15_mcrr_summary(iss: int, coproc: str) -> str:
    opc1, crm = extract(iss, 19, 16), extract(iss, 4, 1)
    rt, rt2 = rreg(extract(iss, 9, 5)), rreg(extract(iss, 14, 10))
    op = "MRRC" if iss & 1 else "MCRR"
    name = CP15_64_REGS.get((opc1, crm)) if coproc == "p15" else None
    return f"trapped {op} {coproc}, {opc1}, {rt}, {rt2}, c{crm}" + (f" ({name})" if name else "")


def sys64_iss(_iss: int) -> Sequence[FieldSpec]:
    return SYS64


sys128_iss: IssTable = fixed(*SYS128)
cp_mcr_iss: IssTable = fixed(*CP_MCR)
cp_mcrr_iss: IssTable = fixed(*CP_MCRR)
cp_ldc_iss: IssTable = fixed(*CP_LDC)
