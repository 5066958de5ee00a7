"""Bit-level recognition of the few A64 instructions the audit's data flow follows.

Capstone costs ~30 us per instruction through Python; the audit walks every
instruction of a region (15k+ in a vmlinux's hyp text) and only needs to know
"is this adrp / add-immediate / ldr / br / blr / bl / b / mov / movz / movk, and
which registers and immediates".  So this module matches encodings from a table
(mask, value) and extracts fields with shifts; capstone (via ``disasm``) renders
only the instructions a finding names.

Encodings: Arm ARM (DDI 0487) C4.1 "A64 instruction set encoding", C6.2
instruction pages ADRP, ADR, ADD (immediate), ADD (shifted register),
LDR (immediate, unsigned offset), LDR (register), LDR (literal), BR, BLR,
BRAA/BLRAA..., B, BL, ORR (shifted register) alias MOV, MOVZ, MOVK, RET.
"""

from __future__ import annotations

from enum import IntEnum


class Op(IntEnum):
    OTHER = 0
    ADRP = 1
    ADR = 2
    ADD_IMM = 3  # 64-bit ADD (immediate)
    ADD_REG = 4  # 64-bit ADD (shifted/extended register)
    LDR_IMM = 5  # 64-bit LDR (unsigned offset)
    LDR_REG = 6  # 64-bit LDR (register offset)
    LDR_LIT = 7  # 64-bit LDR (literal)
    BR = 8
    BLR = 9
    B = 10
    BL = 11
    MOV_REG = 12  # ORR Xd, XZR, Xm
    MOVZ = 13
    MOVK = 14
    RET = 15
    LDR_NARROW_REG = 16  # LDRB/LDRH/LDRSW (register): relative jump-table entries
    LDUR = 17


# (op, mask, value): first match wins.  Only 64-bit (sf=1 / size=11) forms carry addresses.
ENCODINGS: tuple[tuple[Op, int, int], ...] = (
    (Op.ADRP, 0x9F000000, 0x90000000),
    (Op.ADR, 0x9F000000, 0x10000000),
    (Op.ADD_IMM, 0xFF800000, 0x91000000),  # sh=0
    (Op.ADD_IMM, 0xFF800000, 0x91400000),  # sh=1 (lsl #12)
    (Op.ADD_REG, 0xFF200000, 0x8B000000),  # shifted register
    (Op.ADD_REG, 0xFFE00000, 0x8B200000),  # extended register
    (Op.LDR_IMM, 0xFFC00000, 0xF9400000),
    (Op.LDR_REG, 0xFFE04C00, 0xF8604800),  # option<1> must be 1 (UXTW/LSL/SXTW/SXTX)
    (Op.LDR_LIT, 0xFF000000, 0x58000000),
    (Op.BR, 0xFFFFFC1F, 0xD61F0000),
    (Op.BLR, 0xFFFFFC1F, 0xD63F0000),
    (Op.BR, 0xFFFFF81F, 0xD61F081F),   # BRAAZ/BRABZ (op4, bits [4:0], must be 11111)
    (Op.BLR, 0xFFFFF81F, 0xD63F081F),  # BLRAAZ/BLRABZ
    (Op.BR, 0xFFFFF800, 0xD71F0800),   # BRAA/BRAB
    (Op.BLR, 0xFFFFF800, 0xD73F0800),  # BLRAA/BLRAB
    (Op.RET, 0xFFFFFC1F, 0xD65F0000),
    (Op.RET, 0xFFFFFBFF, 0xD65F0BFF),  # RETAA/RETAB
    (Op.B, 0xFC000000, 0x14000000),
    (Op.BL, 0xFC000000, 0x94000000),
    (Op.MOV_REG, 0xFFE0FFE0, 0xAA0003E0),
    (Op.MOVZ, 0xFF800000, 0xD2800000),
    (Op.MOVK, 0xFF800000, 0xF2800000),
    (Op.LDR_NARROW_REG, 0xFFE04C00, 0x38604800),  # LDRB (register)
    (Op.LDR_NARROW_REG, 0xFFE04C00, 0x78604800),  # LDRH (register)
    (Op.LDR_NARROW_REG, 0xFFE04C00, 0xB8A04800),  # LDRSW (register)
    (Op.LDR_NARROW_REG, 0xFFE04C00, 0x38A04800),  # LDRSB x (register)
    (Op.LDR_NARROW_REG, 0xFFE04C00, 0x78A04800),  # LDRSH x (register)
)

# Quick dispatch on bits [31:24] to keep the per-word cost to a dict lookup + a few masks.
_BY_TOP: dict[int, tuple[tuple[Op, int, int], ...]] = {}
for _top in range(256):
    _w = _top << 24
    _BY_TOP[_top] = tuple(e for e in ENCODINGS if (_w & e[1] & 0xFF000000) == (e[2] & 0xFF000000))


def classify(word: int) -> Op:
    for op, mask, value in _BY_TOP[word >> 24]:
        if word & mask == value:
            return op
    return Op.OTHER


def sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def rd(word: int) -> int:
    return word & 31


def rn(word: int) -> int:
    return (word >> 5) & 31


def rm(word: int) -> int:
    return (word >> 16) & 31


def adrp_target(word: int, pc: int) -> int:
    imm = ((word >> 29) & 3) | (((word >> 5) & 0x7FFFF) << 2)
    return ((pc & ~0xFFF) + (sext(imm, 21) << 12)) & 0xFFFFFFFFFFFFFFFF


def adr_target(word: int, pc: int) -> int:
    imm = ((word >> 29) & 3) | (((word >> 5) & 0x7FFFF) << 2)
    return (pc + sext(imm, 21)) & 0xFFFFFFFFFFFFFFFF


def add_imm(word: int) -> int:
    imm = (word >> 10) & 0xFFF
    return imm << 12 if word & (1 << 22) else imm


def ldr_imm_offset(word: int) -> int:
    return ((word >> 10) & 0xFFF) * 8


def ldr_reg_shift(word: int) -> int:
    """LDR (register): 3 when the index is scaled (S=1), else 0."""
    return 3 if word & (1 << 12) else 0


def literal_target(word: int, pc: int) -> int:
    return (pc + sext((word >> 5) & 0x7FFFF, 19) * 4) & 0xFFFFFFFFFFFFFFFF


def branch_target(word: int, pc: int) -> int:
    return (pc + sext(word & 0x3FFFFFF, 26) * 4) & 0xFFFFFFFFFFFFFFFF


def movw_part(word: int) -> tuple[int, int]:
    """(imm16, shift) of MOVZ/MOVK."""
    return (word >> 5) & 0xFFFF, ((word >> 21) & 3) * 16


def writes_rd(word: int) -> tuple[int, ...]:
    """Registers an instruction (probably) writes, for killing tracked values.

    Over-approximates: loads and data-processing instructions write Rd/Rt;
    stores, compares into XZR, branches and system writes do not.
    """
    op0 = (word >> 25) & 0xF
    if op0 in (0x8, 0x9, 0x5, 0xD):  # data processing (immediate / register)
        return (word & 31,)
    if op0 & 0x5 == 0x4:  # loads and stores
        is_load = bool(word & (1 << 22))
        if (word >> 27) & 7 == 0b011 and (word >> 24) & 1 == 0:  # load literal
            return (word & 31,)
        if not is_load:
            return ()
        if (word >> 27) & 7 == 0b101:  # load pair
            return (word & 31, (word >> 10) & 31)
        return (word & 31,)
    if word & 0xFFF00000 == 0xD5300000:  # MRS
        return (word & 31,)
    return ()


CALLER_SAVED = (*range(19), 30)
