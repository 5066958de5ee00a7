"""ISS of SVC/HVC/SMC, BRK and BKPT (immediate-carrying exceptions).

Source: Arm ARM D24.2.41 ESR_EL1, "ISS encoding for an exception from HVC or
SVC instruction execution", "... SMC instruction execution in AArch32 state",
"... BRK instruction execution", "... BKPT instruction execution"; BRK
comments: arch/arm64/include/asm/brk-imm.h (see ``brk.py``).
"""

from __future__ import annotations

from a64triage.arm64.brk import brk_meaning
from a64triage.arm64.iss.common import CV_COND, IssTable, fixed
from a64triage.arm64.spec import FieldSpec, bit


def _brk(v: int) -> str:
    return brk_meaning(v) or "no Linux meaning for this immediate"


imm16_iss: IssTable = fixed(FieldSpec("imm16", 15, 0, "immediate of the SVC/HVC/SMC instruction"))
svc32_iss: IssTable = fixed(FieldSpec("imm16", 15, 0, "immediate of the SVC (imm8 for T32)"))
smc32_iss: IssTable = fixed(
    *CV_COND,
    bit("CCKNOWNPASS", 19, "condition code check known to pass", "the instruction passed its condition code check", "unknown whether the condition code check passed"),
)
brk_iss: IssTable = fixed(FieldSpec("Comment", 15, 0, "BRK instruction comment (imm16)", meaning=_brk))
bkpt32_iss: IssTable = fixed(FieldSpec("Comment", 15, 0, "BKPT instruction comment"))
