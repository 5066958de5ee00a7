"""ISS/ISS2 of instruction and data aborts (EC 0x20/0x21/0x24/0x25) and GPC (0x1E).

Source: Arm ARM D24.2.41 ESR_EL1 "ISS encoding for an exception from an
Instruction Abort" / "... from a Data Abort"; ISS2 per FEAT_LS64, FEAT_MTE4
(TnD, TagAccess), FEAT_GCS, FEAT_THE (AssuredOnly), FEAT_S1POE/S2POE
(Overlay), FEAT_HAFT/HDBSS (DirtyBit).  Field names match the kernel's
ESR_ELx_* (arch/arm64/include/asm/esr.h).
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.fsc import fsc_meaning
from a64triage.arm64.iss.common import xreg
from a64triage.arm64.spec import FieldSpec, bit

SAS = {0: "byte (1 byte)", 1: "halfword (2 bytes)", 2: "word (4 bytes)", 3: "doubleword (8 bytes)"}

SET = {0: "UER, recoverable (meaningful only for external aborts)", 2: "UC, uncontainable", 3: "UEO, restartable"}

_FSC = FieldSpec("DFSC", 5, 0, "data fault status code", meaning=fsc_meaning)
_IFSC = FieldSpec("IFSC", 5, 0, "instruction fault status code", meaning=fsc_meaning)

_SET = FieldSpec("SET", 12, 11, "synchronous error type (FEAT_RAS; LST for LS64 faults)", SET)
# SET is defined only when the FSC is a synchronous external abort (0b010000), LST only for the
# LS64 "unsupported exclusive or atomic" fault (0b110101); otherwise ISS[12:11] are RES0 (Arm ARM
# D24.2.41, ISS encoding for an exception from an Instruction/Data Abort).
_SET_FSCS = (0x10, 0x35)
_SET_RES0 = FieldSpec("ISS[12:11]", 12, 11, "RES0: SET is defined only for a synchronous external abort",
                      reserved=True)
_FNV_EA: tuple[FieldSpec, ...] = (
    bit("FnV", 10, "FAR not valid", "FAR is not valid (holds an UNKNOWN value)", "FAR is valid"),
    bit("EA", 9, "external abort type", "IMPLEMENTATION DEFINED external abort classification set", "not an external abort / default classification"),
)
_COMMON_LOW: tuple[FieldSpec, ...] = (_SET, *_FNV_EA)


def _common_low(iss: int) -> tuple[FieldSpec, ...]:
    """SET only where the fault status makes it meaningful."""
    return (_SET if iss & 0x3F in _SET_FSCS else _SET_RES0, *_FNV_EA)

DABT_ISV: tuple[FieldSpec, ...] = (
    bit("ISV", 24, "instruction syndrome valid", "ISS[23:14] hold a valid instruction syndrome", "no instruction syndrome in ISS[23:14]"),
    FieldSpec("SAS", 23, 22, "syndrome access size", SAS),
    bit("SSE", 21, "syndrome sign extend", "the load sign-extends", "no sign extension"),
    FieldSpec("SRT", 20, 16, "syndrome register transfer (the Rt/Wt of the load or store)", meaning=xreg),
    bit("SF", 15, "sixty-four bit register", "64-bit (Xt) transfer", "32-bit (Wt) transfer"),
    bit("AR", 14, "acquire/release", "load-acquire or store-release semantics", "no acquire/release semantics"),
)

DABT_NO_ISV: tuple[FieldSpec, ...] = (
    bit("ISV", 24, "instruction syndrome valid", "ISS[23:14] hold a valid instruction syndrome", "no instruction syndrome in ISS[23:14]"),
    FieldSpec("ISS[23:14]", 23, 14, "not valid because ISV is 0 (RES0)", reserved=False,
              meaning=lambda v: "RES0" if v == 0 else f"non-zero ({v:#x}) although ISV is 0"),
)

_VNCR = bit("VNCR", 13, "fault came from a VNCR_EL2 access (FEAT_NV2)", "yes: an EL1 access redirected to VNCR_EL2", "no")
_DABT_TAIL: tuple[FieldSpec, ...] = (
    bit("CM", 8, "cache maintenance", "fault from a cache maintenance or address translation instruction", "not cache maintenance"),
    bit("S1PTW", 7, "stage 2 fault on a stage 1 translation table walk", "yes: stage 2 fault during the stage 1 walk", "no"),
    bit("WnR", 6, "write not read", "caused by a write", "caused by a read"),
    _FSC,
)
DABT_LOW: tuple[FieldSpec, ...] = (_VNCR, *_COMMON_LOW, *_DABT_TAIL)


def dabt_iss(iss: int) -> Sequence[FieldSpec]:
    """Data abort ISS: ISS[23:14] only carry a syndrome when ISV is set."""
    head = DABT_ISV if (iss >> 24) & 1 else DABT_NO_ISV
    return (*head, _VNCR, *_common_low(iss), *_DABT_TAIL)


_IABT_TAIL: tuple[FieldSpec, ...] = (
    bit("S1PTW", 7, "stage 2 fault on a stage 1 translation table walk", "yes: stage 2 fault during the stage 1 walk", "no"),
    _IFSC,
)
IABT: tuple[FieldSpec, ...] = (*_COMMON_LOW, *_IABT_TAIL)


def iabt_iss(iss: int) -> Sequence[FieldSpec]:
    return (*_common_low(iss), *_IABT_TAIL)


# ISS2 (ESR_ELx[55:32]) for aborts; kernel: ESR_ELx_Xs/DirtyBit/Overlay/GCS/TagAccess/TnD
ABORT_ISS2: tuple[FieldSpec, ...] = (
    bit("TnD", 10, "tag not data (FEAT_MTE4 canonical tag check)", "the fault was on the allocation tag, not data", "data access"),
    bit("TagAccess", 9, "tag access (FEAT_MTE_TAGGED_FAR / MTE store-only)", "access to allocation tags caused the fault", "no"),
    bit("GCS", 8, "guarded control stack access", "the access was a GCS data access", "no"),
    bit("AssuredOnly", 7, "AssuredOnly check (FEAT_THE)", "fault caused by the AssuredOnly attribute", "no"),
    bit("Overlay", 6, "permission overlay (FEAT_S1POE/S2POE)", "fault caused by a permission overlay", "no"),
    bit("DirtyBit", 5, "dirty state (FEAT_S2PIE/S1PIE)", "permission fault due to the dirty state", "no"),
    FieldSpec("Xs", 4, 0, "register holding the status result of ST64BV/ST64BV0 (FEAT_LS64)", meaning=xreg),
)


def abort_iss2(_iss2: int) -> Sequence[FieldSpec]:
    return ABORT_ISS2


# Arm ARM D24.2.41 ISS encoding for a GPC exception (EC 0x1E, FEAT_RME)
GPC: tuple[FieldSpec, ...] = (
    bit("S2PTW", 21, "stage 2 page table walk", "GPF on a stage 2 walk", "no"),
    bit("InD", 20, "instruction not data", "instruction access", "data access"),
    FieldSpec("GPCSC", 19, 14, "granule protection check status code",
              {0x00: "GPF at level 0", 0x04: "GPF at level 1", 0x14: "GPT address size fault at level 0",
               0x15: "GPT address size fault at level 1", 0x18: "SEA on GPT fetch level 0",
               0x19: "SEA on GPT fetch level 1"}),
    bit("VNCR", 13, "VNCR_EL2 access", "yes", "no"),
    bit("CM", 8, "cache maintenance", "yes", "no"),
    bit("S1PTW", 7, "stage 1 translation table walk", "yes", "no"),
    bit("WnR", 6, "write not read", "write", "read"),
    FieldSpec("xFSC", 5, 0, "fault status code", meaning=fsc_meaning),
)


def gpc_iss(_iss: int) -> Sequence[FieldSpec]:
    return GPC
