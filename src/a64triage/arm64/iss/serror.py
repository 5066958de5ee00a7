"""ISS of an SError exception (EC 0x2F).

Source: Arm ARM D24.2.41 ESR_EL1, "ISS encoding for an SError exception"
(IDS, IESB, AET, EA, DFSC; FEAT_RAS).  Kernel: ESR_ELx_IDS, ESR_ELx_AET_*,
arm64_is_fatal_ras_serror() in arch/arm64/include/asm/traps.h.
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.spec import FieldSpec, bit

AET = {
    0b000: "uncontainable (UC)",
    0b001: "unrecoverable state (UEU)",
    0b010: "restartable state (UEO)",
    0b011: "recoverable state (UER)",
    0b110: "corrected (CE)",
}

_IDS = bit("IDS", 24, "IMPLEMENTATION DEFINED syndrome", "ISS[23:0] hold an IMPLEMENTATION DEFINED syndrome", "architected syndrome")

ARCH: tuple[FieldSpec, ...] = (
    _IDS,
    bit("IESB", 13, "implicit error synchronization barrier", "the error was synchronized by an implicit ESB", "not synchronized by an implicit ESB"),
    FieldSpec("AET", 12, 10, "asynchronous error type", AET),
    bit("EA", 9, "external abort type", "IMPLEMENTATION DEFINED classification set", "default classification"),
    FieldSpec("DFSC", 5, 0, "fault status code", {0x00: "uncategorized error", 0x11: "asynchronous SError interrupt"}),
)

IMPDEF: tuple[FieldSpec, ...] = (
    _IDS,
    FieldSpec("ISS[23:0]", 23, 0, "IMPLEMENTATION DEFINED SError syndrome (see the CPU's TRM)", meaning=lambda v: f"{v:#08x}"),
)


def serror_iss(iss: int) -> Sequence[FieldSpec]:
    return IMPDEF if (iss >> 24) & 1 else ARCH
