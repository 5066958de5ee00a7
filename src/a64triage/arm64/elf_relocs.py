"""AArch64 ELF relocation types, as data.

Source: "ELF for the Arm 64-bit Architecture (AAELF64)", section 5.7
"Relocation" (tables "Static data relocations", "Static AArch64 relocations",
"Relocations to generate 19, 21 and 33 bit PC-relative addresses",
"GOT-relative instruction relocations", "Thread-local storage relocations",
"Dynamic relocations"); numbers also in include/uapi/linux/elf-em.h users such as
arch/arm64/kvm/hyp/nvhe/gen-hyprel.c and arch/arm64/kernel/pi/relacheck.c.

``kind`` says what the relocation makes the code or data depend on:
``absolute`` (a link-time address ends up in the bits: wrong when the code runs
at another VA), ``pc-relative`` (position independent), ``got`` (an absolute
address loaded from a GOT slot), ``tls``, ``dynamic`` (only in linked images),
``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RelocKind(StrEnum):
    NONE = "none"
    ABSOLUTE = "absolute"
    PC_RELATIVE = "pc-relative"
    GOT = "got"
    TLS = "tls"
    DYNAMIC = "dynamic"


@dataclass(frozen=True)
class RelocType:
    number: int
    name: str  # without the R_AARCH64_ prefix
    kind: RelocKind
    size: int  # bytes written in data, 4 for instruction fields, 0 for none

    @property
    def full_name(self) -> str:
        return f"R_AARCH64_{self.name}"


_A, _P, _G, _T, _D, _N = (RelocKind.ABSOLUTE, RelocKind.PC_RELATIVE, RelocKind.GOT,
                          RelocKind.TLS, RelocKind.DYNAMIC, RelocKind.NONE)

# (number, name, kind, size)
_TABLE: tuple[tuple[int, str, RelocKind, int], ...] = (
    (0, "NONE", _N, 0),
    (256, "NONE", _N, 0),  # withdrawn alternative encoding of NONE
    # Static data relocations
    (257, "ABS64", _A, 8), (258, "ABS32", _A, 4), (259, "ABS16", _A, 2),
    (260, "PREL64", _P, 8), (261, "PREL32", _P, 4), (262, "PREL16", _P, 2),
    (314, "PLT32", _P, 4),
    # Group relocations creating an unsigned/signed absolute value inline (MOVZ/MOVK/MOVN)
    (263, "MOVW_UABS_G0", _A, 4), (264, "MOVW_UABS_G0_NC", _A, 4),
    (265, "MOVW_UABS_G1", _A, 4), (266, "MOVW_UABS_G1_NC", _A, 4),
    (267, "MOVW_UABS_G2", _A, 4), (268, "MOVW_UABS_G2_NC", _A, 4),
    (269, "MOVW_UABS_G3", _A, 4),
    (270, "MOVW_SABS_G0", _A, 4), (271, "MOVW_SABS_G1", _A, 4), (272, "MOVW_SABS_G2", _A, 4),
    # PC-relative addresses
    (273, "LD_PREL_LO19", _P, 4), (274, "ADR_PREL_LO21", _P, 4),
    (275, "ADR_PREL_PG_HI21", _P, 4), (276, "ADR_PREL_PG_HI21_NC", _P, 4),
    # Low 12 bits of an address: paired with ADRP, position independent as a pair
    (277, "ADD_ABS_LO12_NC", _P, 4), (278, "LDST8_ABS_LO12_NC", _P, 4),
    (284, "LDST16_ABS_LO12_NC", _P, 4), (285, "LDST32_ABS_LO12_NC", _P, 4),
    (286, "LDST64_ABS_LO12_NC", _P, 4), (299, "LDST128_ABS_LO12_NC", _P, 4),
    # Control flow
    (279, "TSTBR14", _P, 4), (280, "CONDBR19", _P, 4), (282, "JUMP26", _P, 4), (283, "CALL26", _P, 4),
    # Group relocations creating a PC-relative offset inline
    (287, "MOVW_PREL_G0", _P, 4), (288, "MOVW_PREL_G0_NC", _P, 4),
    (289, "MOVW_PREL_G1", _P, 4), (290, "MOVW_PREL_G1_NC", _P, 4),
    (291, "MOVW_PREL_G2", _P, 4), (292, "MOVW_PREL_G2_NC", _P, 4),
    (293, "MOVW_PREL_G3", _P, 4),
    # GOT-relative
    (300, "MOVW_GOTOFF_G0", _G, 4), (301, "MOVW_GOTOFF_G0_NC", _G, 4),
    (302, "MOVW_GOTOFF_G1", _G, 4), (303, "MOVW_GOTOFF_G1_NC", _G, 4),
    (304, "MOVW_GOTOFF_G2", _G, 4), (305, "MOVW_GOTOFF_G2_NC", _G, 4),
    (306, "MOVW_GOTOFF_G3", _G, 4),
    (307, "GOTREL64", _G, 8), (308, "GOTREL32", _G, 4),
    (309, "GOT_LD_PREL19", _G, 4), (310, "LD64_GOTOFF_LO15", _G, 4),
    (311, "ADR_GOT_PAGE", _G, 4), (312, "LD64_GOT_LO12_NC", _G, 4),
    (313, "LD64_GOTPAGE_LO15", _G, 4), (315, "GOTPCREL32", _G, 4),
    # Dynamic relocations (linked images)
    (1024, "COPY", _D, 8), (1025, "GLOB_DAT", _D, 8), (1026, "JUMP_SLOT", _D, 8),
    (1027, "RELATIVE", _D, 8), (1028, "TLS_DTPMOD", _D, 8), (1029, "TLS_DTPREL", _D, 8),
    (1030, "TLS_TPREL", _D, 8), (1031, "TLSDESC", _D, 8), (1032, "IRELATIVE", _D, 8),
)

# Thread-local storage relocations 512..573, in AAELF64 order.
_TLS_NAMES = (
    "TLSGD_ADR_PREL21", "TLSGD_ADR_PAGE21", "TLSGD_ADD_LO12_NC", "TLSGD_MOVW_G1",
    "TLSGD_MOVW_G0_NC", "TLSLD_ADR_PREL21", "TLSLD_ADR_PAGE21", "TLSLD_ADD_LO12_NC",
    "TLSLD_MOVW_G1", "TLSLD_MOVW_G0_NC", "TLSLD_LD_PREL19", "TLSLD_MOVW_DTPREL_G2",
    "TLSLD_MOVW_DTPREL_G1", "TLSLD_MOVW_DTPREL_G1_NC", "TLSLD_MOVW_DTPREL_G0",
    "TLSLD_MOVW_DTPREL_G0_NC", "TLSLD_ADD_DTPREL_HI12", "TLSLD_ADD_DTPREL_LO12",
    "TLSLD_ADD_DTPREL_LO12_NC", "TLSLD_LDST8_DTPREL_LO12", "TLSLD_LDST8_DTPREL_LO12_NC",
    "TLSLD_LDST16_DTPREL_LO12", "TLSLD_LDST16_DTPREL_LO12_NC", "TLSLD_LDST32_DTPREL_LO12",
    "TLSLD_LDST32_DTPREL_LO12_NC", "TLSLD_LDST64_DTPREL_LO12", "TLSLD_LDST64_DTPREL_LO12_NC",
    "TLSIE_MOVW_GOTTPREL_G1", "TLSIE_MOVW_GOTTPREL_G0_NC", "TLSIE_ADR_GOTTPREL_PAGE21",
    "TLSIE_LD64_GOTTPREL_LO12_NC", "TLSIE_LD_GOTTPREL_PREL19", "TLSLE_MOVW_TPREL_G2",
    "TLSLE_MOVW_TPREL_G1", "TLSLE_MOVW_TPREL_G1_NC", "TLSLE_MOVW_TPREL_G0",
    "TLSLE_MOVW_TPREL_G0_NC", "TLSLE_ADD_TPREL_HI12", "TLSLE_ADD_TPREL_LO12",
    "TLSLE_ADD_TPREL_LO12_NC", "TLSLE_LDST8_TPREL_LO12", "TLSLE_LDST8_TPREL_LO12_NC",
    "TLSLE_LDST16_TPREL_LO12", "TLSLE_LDST16_TPREL_LO12_NC", "TLSLE_LDST32_TPREL_LO12",
    "TLSLE_LDST32_TPREL_LO12_NC", "TLSLE_LDST64_TPREL_LO12", "TLSLE_LDST64_TPREL_LO12_NC",
    "TLSDESC_LD_PREL19", "TLSDESC_ADR_PREL21", "TLSDESC_ADR_PAGE21", "TLSDESC_LD64_LO12",
    "TLSDESC_ADD_LO12", "TLSDESC_OFF_G1", "TLSDESC_OFF_G0_NC", "TLSDESC_LDR", "TLSDESC_ADD",
    "TLSDESC_CALL", "TLSLE_LDST128_TPREL_LO12", "TLSLE_LDST128_TPREL_LO12_NC",
    "TLSLD_LDST128_DTPREL_LO12", "TLSLD_LDST128_DTPREL_LO12_NC",
)

RELOC_TYPES: dict[int, RelocType] = {n: RelocType(n, name, kind, size) for n, name, kind, size in _TABLE}
RELOC_TYPES.update({512 + i: RelocType(512 + i, name, _T, 4) for i, name in enumerate(_TLS_NAMES)})
RELOC_BY_NAME: dict[str, RelocType] = {t.name: t for t in RELOC_TYPES.values() if t.number != 256}


def reloc_type(number: int) -> RelocType | None:
    """The known type for ``number``, or None (an unknown relocation is a finding, not a crash)."""
    return RELOC_TYPES.get(number)


def reloc_name(number: int) -> str:
    t = RELOC_TYPES.get(number)
    return t.full_name if t else f"R_AARCH64_<unknown {number}>"
