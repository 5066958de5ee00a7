"""Fault status codes (DFSC/IFSC, PAR_EL1.FST) as data.

Arm meanings: Arm ARM D24.2.41 ESR_EL1, ISS encoding for an exception from a
Data Abort, field DFSC (including FEAT_LPA2 level -1 and FEAT_D128 level -2
codes).  Kernel names: ``fault_info[]`` in arch/arm64/mm/fault.c (current
mainline; older kernels printed "unknown N" for the LPA2 level 0/-1 rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """Coarse type of a fault status code (what diagnose rules match on)."""

    ADDRESS_SIZE = "address-size"
    TRANSLATION = "translation"
    ACCESS_FLAG = "access-flag"
    PERMISSION = "permission"
    EXTERNAL = "external"
    EXTERNAL_TTW = "external-ttw"
    TAG_CHECK = "tag-check"
    ECC = "parity-ecc"
    ECC_TTW = "parity-ecc-ttw"
    ALIGNMENT = "alignment"
    GRANULE_PROTECTION = "granule-protection"
    TLB_CONFLICT = "tlb-conflict"
    ATOMIC_UPDATE = "atomic-update"
    IMPLEMENTATION_DEFINED = "implementation-defined"
    DEBUG = "debug"
    RESERVED = "reserved"


@dataclass(frozen=True)
class FaultStatus:
    code: int
    kind: FaultKind
    level: int | None
    arm: str


def _levels(base: int, kind: FaultKind, what: str, levels: range) -> list[FaultStatus]:
    return [FaultStatus(base + i, kind, lvl, f"{what}, level {lvl}") for i, lvl in enumerate(levels)]


# Arm ARM D24.2.41 ESR_EL1 DFSC encodings
_ROWS: list[FaultStatus] = [
    *_levels(0x00, FaultKind.ADDRESS_SIZE, "address size fault", range(0, 4)),
    *_levels(0x04, FaultKind.TRANSLATION, "translation fault", range(0, 4)),
    *_levels(0x08, FaultKind.ACCESS_FLAG, "access flag fault", range(0, 4)),
    *_levels(0x0C, FaultKind.PERMISSION, "permission fault", range(0, 4)),
    FaultStatus(0x10, FaultKind.EXTERNAL, None, "synchronous external abort, not on a translation table walk"),
    FaultStatus(0x11, FaultKind.TAG_CHECK, None, "synchronous tag check fault (FEAT_MTE2)"),
    FaultStatus(0x12, FaultKind.EXTERNAL_TTW, -2, "synchronous external abort on translation table walk, level -2 (FEAT_D128)"),
    FaultStatus(0x13, FaultKind.EXTERNAL_TTW, -1, "synchronous external abort on translation table walk, level -1 (FEAT_LPA2)"),
    *_levels(0x14, FaultKind.EXTERNAL_TTW, "synchronous external abort on translation table walk", range(0, 4)),
    FaultStatus(0x18, FaultKind.ECC, None, "synchronous parity or ECC error, not on a translation table walk (no FEAT_RAS)"),
    FaultStatus(0x1B, FaultKind.ECC_TTW, -1, "synchronous parity or ECC error on translation table walk, level -1 (FEAT_LPA2, no FEAT_RAS)"),
    *_levels(0x1C, FaultKind.ECC_TTW, "synchronous parity or ECC error on translation table walk (no FEAT_RAS)", range(0, 4)),
    FaultStatus(0x21, FaultKind.ALIGNMENT, None, "alignment fault"),
    FaultStatus(0x22, FaultKind.DEBUG, None, "debug exception (breakpoint/watchpoint/vector catch)"),
    FaultStatus(0x23, FaultKind.GRANULE_PROTECTION, -1, "granule protection fault on translation table walk, level -1 (FEAT_RME)"),
    *_levels(0x24, FaultKind.GRANULE_PROTECTION, "granule protection fault on translation table walk (FEAT_RME)", range(0, 4)),
    FaultStatus(0x28, FaultKind.GRANULE_PROTECTION, None, "granule protection fault, not on a translation table walk (FEAT_RME)"),
    # asm/esr.h ESR_ELx_FSC_ADDRSZ_nL(-1) evaluates to 0x25, but the Arm ARM and the kernel's own
    # fault_info[41] put "level -1 address size fault" at 0x29; we follow the Arm ARM.
    FaultStatus(0x29, FaultKind.ADDRESS_SIZE, -1, "address size fault, level -1 (FEAT_LPA2)"),
    FaultStatus(0x2A, FaultKind.TRANSLATION, -2, "translation fault, level -2 (FEAT_D128)"),
    FaultStatus(0x2B, FaultKind.TRANSLATION, -1, "translation fault, level -1 (FEAT_LPA2)"),
    FaultStatus(0x2C, FaultKind.ADDRESS_SIZE, -2, "address size fault, level -2 (FEAT_D128)"),
    FaultStatus(0x30, FaultKind.TLB_CONFLICT, None, "TLB conflict abort"),
    FaultStatus(0x31, FaultKind.ATOMIC_UPDATE, None, "unsupported atomic hardware update fault (FEAT_HAFDBS)"),
    FaultStatus(0x34, FaultKind.IMPLEMENTATION_DEFINED, None, "IMPLEMENTATION DEFINED fault (lockdown)"),
    FaultStatus(0x35, FaultKind.IMPLEMENTATION_DEFINED, None, "IMPLEMENTATION DEFINED fault (unsupported exclusive or atomic access)"),
]

FAULT_STATUS: dict[int, FaultStatus] = {row.code: row for row in _ROWS}


def fault_status(fsc: int) -> FaultStatus:
    """The Arm row for a 6-bit FSC; reserved codes get a RESERVED row."""
    code = fsc & 0x3F
    return FAULT_STATUS.get(code, FaultStatus(code, FaultKind.RESERVED, None, f"reserved fault status code {code:#04x}"))


def _kernel_names() -> tuple[str, ...]:
    # arch/arm64/mm/fault.c fault_info[].name, indexed by ESR_ELx_FSC
    names = [f"unknown {i}" for i in range(64)]
    names[0] = "ttbr address size fault"
    for lvl in range(1, 4):
        names[lvl] = f"level {lvl} address size fault"
    for lvl in range(4):
        names[0x04 + lvl] = f"level {lvl} translation fault"
        names[0x08 + lvl] = f"level {lvl} access flag fault"
        names[0x0C + lvl] = f"level {lvl} permission fault"
        names[0x14 + lvl] = f"level {lvl} (translation table walk)"
        names[0x1C + lvl] = f"level {lvl} synchronous parity error (translation table walk)"
    names[0x10] = "synchronous external abort"
    names[0x11] = "synchronous tag check fault"
    names[0x13] = "level -1 (translation table walk)"
    names[0x18] = "synchronous parity or ECC error"
    names[0x1B] = "level -1 synchronous parity error (translation table walk)"
    names[0x21] = "alignment fault"
    names[0x29] = "level -1 address size fault"
    names[0x2B] = "level -1 translation fault"
    names[0x30] = "TLB conflict abort"
    names[0x31] = "Unsupported atomic hardware update fault"
    names[0x34] = "implementation fault (lockdown abort)"
    names[0x35] = "implementation fault (unsupported exclusive)"
    names[0x3D] = "section domain fault"
    names[0x3E] = "page domain fault"
    return tuple(names)


KERNEL_FAULT_NAMES: tuple[str, ...] = _kernel_names()


def fault_status_name(fsc: int) -> str:
    """The kernel's ``fault_info[fsc].name`` (what ``FSC = 0x..: NAME`` prints)."""
    return KERNEL_FAULT_NAMES[fsc & 0x3F]


def fsc_meaning(fsc: int) -> str:
    row = fault_status(fsc)
    return row.arm
