"""Translation registers: HPFAR_EL2, PAR_EL1, ID_AA64MMFR{0,1,2}_EL1, VTCR_EL2, TCR_EL1, TCR_EL2.

Source: Arm ARM D24.2 register descriptions: HPFAR_EL2 (D24.2.74), PAR_EL1
(D24.2.127, 64-bit format), ID_AA64MMFR0/1/2_EL1 (D24.2.83-85), VTCR_EL2
(D24.2.198), TCR_EL1 (D24.2.175), TCR_EL2 (D24.2.176, HCR_EL2.E2H == 0 form).
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.fsc import fsc_meaning
from a64triage.arm64.spec import (
    FieldSpec,
    RegisterDef,
    bit,
    extract,
    fixed_table,
    nibble_features,
    res0,
    res1,
)

PA_SIZES = {0: "32 bits, 4GB", 1: "36 bits, 64GB", 2: "40 bits, 1TB", 3: "42 bits, 4TB", 4: "44 bits, 16TB",
            5: "48 bits, 256TB", 6: "52 bits, 4PB", 7: "56 bits, 64PB"}
CACHEABILITY = {0: "non-cacheable", 1: "write-back, read/write-allocate", 2: "write-through, read-allocate",
                3: "write-back, read-allocate, no write-allocate"}
SHAREABILITY = {0: "non-shareable", 1: "reserved", 2: "outer shareable", 3: "inner shareable"}
TG0 = {0: "4KB granule", 1: "64KB granule", 2: "16KB granule", 3: "reserved"}
TG1 = {0: "reserved", 1: "16KB granule", 2: "4KB granule", 3: "64KB granule"}


def _tsz(v: int) -> str:
    return f"{v} -> {64 - v}-bit input address range" if v else "0 (reserved/invalid)"


# ---- HPFAR_EL2 -------------------------------------------------------------------------

def hpfar_summary(v: int) -> str:
    return f"faulting IPA page {extract(v, 47, 4) << 12:#x}"


HPFAR = RegisterDef(
    "HPFAR_EL2", 64,
    fixed_table(
        bit("NS", 63, "faulting IPA address space (FEAT_SEL2)", "Non-secure IPA space", "Secure IPA space (or Non-secure when Secure EL2 is absent)"),
        res0(62, 48),
        FieldSpec("FIPA", 47, 4, "faulting IPA bits [55:12] (bits [47:44] need FEAT_D128, [43:40] FEAT_LPA)",
                  meaning=lambda f: f"IPA page = FIPA << 12 = {f << 12:#x}"),
        res0(3, 0),
    ),
    "Arm ARM D24.2.74 HPFAR_EL2", hpfar_summary,
    lambda v: ("HPFAR_EL2 is only valid for stage 2 faults (and stage 2 faults on stage 1 walks) taken to EL2; "
               "for a fault in EL2's own stage 1 translation it is UNKNOWN/stale",),
)

# ---- PAR_EL1 ---------------------------------------------------------------------------

def _attr(v: int) -> str:
    named = {0x00: "Device-nGnRnE", 0x04: "Device-nGnRE", 0x08: "Device-nGRE", 0x0C: "Device-GRE",
             0x44: "Normal, inner/outer non-cacheable", 0xFF: "Normal, inner/outer write-back read/write-allocate",
             0xBB: "Normal, inner/outer write-through read/write-allocate", 0xF0: "Normal, tagged (MTE)"}
    if v in named:
        return named[v]
    if v >> 4 == 0:
        return f"Device memory (attribute {v:#04x})"
    return f"Normal memory, outer {v >> 4:#x} inner {v & 0xF:#x} (MAIR encoding)"


PAR_OK: tuple[FieldSpec, ...] = (
    FieldSpec("ATTR", 63, 56, "memory attributes of the output (MAIR encoding)", meaning=_attr),
    res0(55, 52),
    FieldSpec("PA", 51, 12, "output address bits [51:12] ([51:48] need FEAT_LPA)", meaning=lambda p: f"PA = {p << 12:#x}"),
    bit("NSE", 11, "with NS: physical address space (FEAT_RME), else IMPLEMENTATION DEFINED", "set", "clear"),
    FieldSpec("IMPDEF", 10, 10, "IMPLEMENTATION DEFINED"),
    bit("NS", 9, "non-secure", "Non-secure physical address", "Secure physical address (or Realm/Root with NSE)"),
    FieldSpec("SH", 8, 7, "shareability", SHAREABILITY),
    res0(6, 1),
    bit("F", 0, "translation aborted", "the translation failed", "the translation succeeded"),
)

PAR_FAULT: tuple[FieldSpec, ...] = (
    FieldSpec("IMPDEF", 63, 56, "IMPLEMENTATION DEFINED"),
    res0(55, 12),
    res1(11, 11),
    FieldSpec("IMPDEF[10]", 10, 10, "IMPLEMENTATION DEFINED"),
    bit("S", 9, "stage of the fault", "stage 2 fault", "stage 1 fault"),
    bit("PTW", 8, "stage 2 fault during a stage 1 walk", "yes", "no"),
    res0(7, 7),
    FieldSpec("FST", 6, 1, "fault status code (same encoding as DFSC)", meaning=fsc_meaning),
    bit("F", 0, "translation aborted", "the translation failed", "the translation succeeded"),
)


def par_table(v: int) -> Sequence[FieldSpec]:
    return PAR_FAULT if v & 1 else PAR_OK


def par_summary(v: int) -> str:
    if v & 1:
        return f"translation failed: {fsc_meaning(extract(v, 6, 1))} (stage {2 if v >> 9 & 1 else 1})"
    return f"successful translation: PA {extract(v, 51, 12) << 12:#x}, {_attr(extract(v, 63, 56))}"


PAR = RegisterDef("PAR_EL1", 64, par_table, "Arm ARM D24.2.127 PAR_EL1", par_summary,
                  lambda v: ("PAR_EL1 == 0 is the successful-translation form with PA 0 (often just never written)",) if v == 0 else ())

# ---- ID_AA64MMFR0/1/2_EL1 --------------------------------------------------------------

_SUPP = {0: "not implemented", 1: "implemented"}
_LVL = {0: "not implemented", 1: "implemented", 2: "implemented (level 2)", 3: "implemented (level 3)"}

MMFR0 = RegisterDef("ID_AA64MMFR0_EL1", 64, fixed_table(*nibble_features((
    ("PARange", 0, PA_SIZES),
    ("ASIDBits", 4, {0: "8 bits", 2: "16 bits"}),
    ("BigEnd", 8, {0: "no mixed-endian support", 1: "mixed-endian support"}),
    ("SNSMem", 12, {0: "no Secure/Non-secure memory distinction", 1: "distinction supported"}),
    ("BigEndEL0", 16, {0: "no mixed-endian at EL0", 1: "mixed-endian at EL0"}),
    ("TGran16", 20, {0: "16KB granule not supported", 1: "16KB granule supported", 2: "16KB granule with 52-bit addresses (FEAT_LPA2)"}),
    ("TGran64", 24, {0: "64KB granule supported", 0xF: "64KB granule not supported"}),
    ("TGran4", 28, {0: "4KB granule supported", 1: "4KB granule with 52-bit addresses (FEAT_LPA2)", 0xF: "4KB granule not supported"}),
    ("TGran16_2", 32, {0: "as TGran16", 1: "not supported at stage 2", 2: "supported at stage 2", 3: "52-bit at stage 2"}),
    ("TGran64_2", 36, {0: "as TGran64", 1: "not supported at stage 2", 2: "supported at stage 2"}),
    ("TGran4_2", 40, {0: "as TGran4", 1: "not supported at stage 2", 2: "supported at stage 2", 3: "52-bit at stage 2"}),
    ("ExS", 44, {0: "no non-context-synchronizing exception entry/exit", 1: "FEAT_ExS"}),
    ("FGT", 56, {0: "no fine-grained traps", 1: "FEAT_FGT", 2: "FEAT_FGT2"}),
    ("ECV", 60, {0: "no enhanced counter virtualization", 1: "FEAT_ECV", 2: "FEAT_ECV with CNTPOFF"}),
))), "Arm ARM D24.2.83 ID_AA64MMFR0_EL1",
    lambda v: f"PA range {PA_SIZES.get(v & 0xF, 'reserved')}")

MMFR1 = RegisterDef("ID_AA64MMFR1_EL1", 64, fixed_table(*nibble_features((
    ("HAFDBS", 0, {0: "no hardware AF/dirty update", 1: "hardware Access flag update", 2: "hardware AF and dirty state update", 3: "FEAT_HAFT"}),
    ("VMIDBits", 4, {0: "8-bit VMID", 2: "16-bit VMID"}),
    ("VH", 8, {0: "no VHE", 1: "FEAT_VHE (HCR_EL2.E2H)"}),
    ("HPDS", 12, {0: "no hierarchical permission disables", 1: "FEAT_HPDS", 2: "FEAT_HPDS2"}),
    ("LO", 16, _SUPP),
    ("PAN", 20, {0: "no PAN", 1: "FEAT_PAN", 2: "FEAT_PAN2", 3: "FEAT_PAN3"}),
    ("SpecSEI", 24, {0: "no speculative SError", 1: "SErrors may be generated by speculative reads"}),
    ("XNX", 28, _SUPP),
    ("TWED", 32, _SUPP),
    ("ETS", 36, _LVL),
    ("HCX", 40, _SUPP),
    ("AFP", 44, _SUPP),
    ("nTLBPA", 48, _SUPP),
    ("TIDCP1", 52, _SUPP),
    ("CMOW", 56, _SUPP),
    ("ECBHB", 60, _SUPP),
))), "Arm ARM D24.2.84 ID_AA64MMFR1_EL1",
    lambda v: f"VHE {'yes' if extract(v, 11, 8) else 'no'}, VMID {'16' if extract(v, 7, 4) == 2 else '8'}-bit")

MMFR2 = RegisterDef("ID_AA64MMFR2_EL1", 64, fixed_table(*nibble_features((
    ("CnP", 0, _SUPP),
    ("UAO", 4, _SUPP),
    ("LSM", 8, _SUPP),
    ("IESB", 12, _SUPP),
    ("VARange", 16, {0: "48-bit VAs", 1: "52-bit VAs with 64KB granule (FEAT_LVA)", 2: "56-bit VAs (FEAT_LVA3)"}),
    ("CCIDX", 20, {0: "32-bit CCSIDR", 1: "64-bit CCSIDR"}),
    ("NV", 24, {0: "no nested virtualization", 1: "FEAT_NV", 2: "FEAT_NV2"}),
    ("ST", 28, {0: "max T0SZ/T1SZ 39", 1: "small translation tables (FEAT_TTST)"}),
    ("AT", 32, _SUPP),
    ("IDS", 36, {0: "ID register traps use EC 0x00", 1: "ID register traps use EC 0x18"}),
    ("FWB", 40, _SUPP),
    ("TTL", 48, _SUPP),
    ("BBM", 52, {0: "break-before-make level 0", 1: "level 1", 2: "level 2"}),
    ("EVT", 56, _LVL),
    ("E0PD", 60, _SUPP),
))), "Arm ARM D24.2.85 ID_AA64MMFR2_EL1",
    lambda v: {0: "48-bit VAs", 1: "52-bit VAs (LVA)", 2: "56-bit VAs"}.get(extract(v, 19, 16), "reserved VA range"))

# ---- VTCR_EL2 --------------------------------------------------------------------------

VTCR = RegisterDef("VTCR_EL2", 64, fixed_table(
    res0(63, 39),
    bit("D128", 38, "128-bit stage 2 descriptors (FEAT_D128)", "enabled", "disabled"),
    bit("S2POE", 37, "stage 2 permission overlay", "enabled", "disabled"),
    bit("S2PIE", 36, "stage 2 permission indirection", "enabled", "disabled"),
    bit("TL1", 35, "TopLevel1 check", "enabled", "disabled"),
    bit("AssuredOnly", 34, "AssuredOnly attribute (FEAT_THE)", "enabled", "disabled"),
    bit("SL2", 33, "start at level -1 with 4KB and DS (FEAT_LPA2)", "set", "clear"),
    bit("DS", 32, "52-bit output addresses with 4KB/16KB granules (FEAT_LPA2)", "enabled", "disabled"),
    res1(31, 31),
    bit("NSA", 30, "non-secure stage 2 output address space", "Non-secure", "Secure"),
    bit("NSW", 29, "non-secure stage 2 walk address space", "Non-secure", "Secure"),
    FieldSpec("HWU", 28, 25, "hardware use of descriptor bits 62:59"),
    res0(24, 23),
    bit("HD", 22, "hardware dirty state update", "enabled", "disabled"),
    bit("HA", 21, "hardware Access flag update", "enabled", "disabled"),
    res0(20, 20),
    bit("VS", 19, "VMID size", "16-bit VMID", "8-bit VMID"),
    FieldSpec("PS", 18, 16, "physical (output) address size", PA_SIZES),
    FieldSpec("TG0", 15, 14, "granule size", TG0),
    FieldSpec("SH0", 13, 12, "shareability of table walks", SHAREABILITY),
    FieldSpec("ORGN0", 11, 10, "outer cacheability of table walks", CACHEABILITY),
    FieldSpec("IRGN0", 9, 8, "inner cacheability of table walks", CACHEABILITY),
    FieldSpec("SL0", 7, 6, "starting level of the stage 2 walk (meaning depends on TG0)",
              meaning=lambda v: f"{v} (4KB: " + {0: "level 2", 1: "level 1", 2: "level 0", 3: "level 3 (FEAT_TTST)"}[v] + ")"),
    FieldSpec("T0SZ", 5, 0, "IPA size", meaning=_tsz),
), "Arm ARM D24.2.198 VTCR_EL2",
    lambda v: f"IPA {64 - (v & 0x3F)} bits, {TG0[extract(v, 15, 14)]}, PA size {PA_SIZES.get(extract(v, 18, 16), 'reserved')}")

# ---- TCR_EL1 / TCR_EL2 -----------------------------------------------------------------

TCR_EL1 = RegisterDef("TCR_EL1", 64, fixed_table(
    res0(63, 62),
    bit("MTX1", 61, "MTE extended tagging for TTBR1", "enabled", "disabled"),
    bit("MTX0", 60, "MTE extended tagging for TTBR0", "enabled", "disabled"),
    bit("DS", 59, "52-bit addresses with 4KB/16KB (FEAT_LPA2)", "enabled", "disabled"),
    bit("TCMA1", 58, "unchecked tag 0xF accesses (TTBR1)", "set", "clear"),
    bit("TCMA0", 57, "unchecked tag 0x0 accesses (TTBR0)", "set", "clear"),
    bit("E0PD1", 56, "EL0 access to TTBR1 range faults", "set", "clear"),
    bit("E0PD0", 55, "EL0 access to TTBR0 range faults", "set", "clear"),
    bit("NFD1", 54, "non-fault SVE accesses to TTBR1 range", "fault", "allowed"),
    bit("NFD0", 53, "non-fault SVE accesses to TTBR0 range", "fault", "allowed"),
    bit("TBID1", 52, "TBI1 for data accesses only", "set", "clear"),
    bit("TBID0", 51, "TBI0 for data accesses only", "set", "clear"),
    FieldSpec("HWU1", 50, 47, "hardware use bits for TTBR1"),
    FieldSpec("HWU0", 46, 43, "hardware use bits for TTBR0"),
    bit("HPD1", 42, "hierarchical permission disable (TTBR1)", "disabled", "enabled"),
    bit("HPD0", 41, "hierarchical permission disable (TTBR0)", "disabled", "enabled"),
    bit("HD", 40, "hardware dirty state update", "enabled", "disabled"),
    bit("HA", 39, "hardware Access flag update", "enabled", "disabled"),
    bit("TBI1", 38, "top byte ignored (TTBR1)", "yes: tagged kernel pointers allowed", "no"),
    bit("TBI0", 37, "top byte ignored (TTBR0)", "yes: tagged user pointers allowed", "no"),
    bit("AS", 36, "ASID size", "16-bit", "8-bit"),
    res0(35, 35),
    FieldSpec("IPS", 34, 32, "intermediate physical address size", PA_SIZES),
    FieldSpec("TG1", 31, 30, "TTBR1 granule", TG1),
    FieldSpec("SH1", 29, 28, "TTBR1 walk shareability", SHAREABILITY),
    FieldSpec("ORGN1", 27, 26, "TTBR1 walk outer cacheability", CACHEABILITY),
    FieldSpec("IRGN1", 25, 24, "TTBR1 walk inner cacheability", CACHEABILITY),
    bit("EPD1", 23, "TTBR1 walks disabled", "walks disabled (translation fault)", "walks enabled"),
    bit("A1", 22, "ASID select", "TTBR1.ASID", "TTBR0.ASID"),
    FieldSpec("T1SZ", 21, 16, "TTBR1 region size", meaning=_tsz),
    FieldSpec("TG0", 15, 14, "TTBR0 granule", TG0),
    FieldSpec("SH0", 13, 12, "TTBR0 walk shareability", SHAREABILITY),
    FieldSpec("ORGN0", 11, 10, "TTBR0 walk outer cacheability", CACHEABILITY),
    FieldSpec("IRGN0", 9, 8, "TTBR0 walk inner cacheability", CACHEABILITY),
    bit("EPD0", 7, "TTBR0 walks disabled", "walks disabled (translation fault)", "walks enabled"),
    res0(6, 6),
    FieldSpec("T0SZ", 5, 0, "TTBR0 region size", meaning=_tsz),
), "Arm ARM D24.2.175 TCR_EL1",
    lambda v: f"user VA {64 - (v & 0x3F)} bits ({TG0[extract(v, 15, 14)]}), kernel VA {64 - extract(v, 21, 16)} bits ({TG1[extract(v, 31, 30)]})")

TCR_EL2 = RegisterDef("TCR_EL2", 64, fixed_table(
    res0(63, 34),
    bit("MTX", 33, "MTE extended tagging", "enabled", "disabled"),
    bit("DS", 32, "52-bit addresses with 4KB/16KB (FEAT_LPA2)", "enabled", "disabled"),
    res1(31, 31),
    bit("TCMA", 30, "unchecked tag 0x0 accesses", "set", "clear"),
    bit("TBID", 29, "TBI for data accesses only", "set", "clear"),
    FieldSpec("HWU", 28, 25, "hardware use bits"),
    bit("HPD", 24, "hierarchical permission disable", "disabled", "enabled"),
    res1(23, 23),
    bit("HD", 22, "hardware dirty state update", "enabled", "disabled"),
    bit("HA", 21, "hardware Access flag update", "enabled", "disabled"),
    bit("TBI", 20, "top byte ignored", "yes", "no"),
    res0(19, 19),
    FieldSpec("PS", 18, 16, "physical address size", PA_SIZES),
    FieldSpec("TG0", 15, 14, "granule", TG0),
    FieldSpec("SH0", 13, 12, "walk shareability", SHAREABILITY),
    FieldSpec("ORGN0", 11, 10, "walk outer cacheability", CACHEABILITY),
    FieldSpec("IRGN0", 9, 8, "walk inner cacheability", CACHEABILITY),
    res0(7, 6),
    FieldSpec("T0SZ", 5, 0, "EL2 (TTBR0_EL2) region size", meaning=_tsz),
), "Arm ARM D24.2.176 TCR_EL2 (HCR_EL2.E2H == 0)",
    lambda v: f"EL2 VA {64 - (v & 0x3F)} bits, {TG0[extract(v, 15, 14)]}",
    lambda v: ("this is the non-VHE layout; with HCR_EL2.E2H == 1 TCR_EL2 has the TCR_EL1 layout (decode as TCR_EL1)",))
