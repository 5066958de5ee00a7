"""Capstone behind a small typed interface: the only module that imports capstone.

Returns one ``Insn`` per 4-byte word; words capstone cannot decode (data in
text, literal pools, unallocated encodings) come back as ``.inst 0x........``
so callers never lose alignment.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import capstone
from capstone import arm64_const as C


@dataclass(frozen=True)
class Operand:
    kind: str  # "reg", "imm", "mem", "fp", "sys", "other"
    reg: str | None = None
    imm: int | None = None
    base: str | None = None
    index: str | None = None
    disp: int = 0
    shift: int = 0  # LSL amount on the register / index
    extend: str | None = None


@dataclass(frozen=True)
class Insn:
    address: int
    word: int
    mnemonic: str
    op_str: str
    operands: tuple[Operand, ...] = ()
    valid: bool = True
    writeback: bool = False

    @property
    def text(self) -> str:
        return f"{self.mnemonic} {self.op_str}".strip()

    @property
    def pc_target(self) -> int | None:
        """Target address of a direct branch or adr/adrp/literal load (None otherwise)."""
        if _is_pc_relative(self.mnemonic, self.operands):
            imms = [o.imm for o in self.operands if o.kind == "imm" and o.imm is not None]
            return imms[-1] if imms else None
        return None

    def reg(self, i: int) -> str | None:
        return self.operands[i].reg if i < len(self.operands) else None

    def imm(self, i: int) -> int | None:
        return self.operands[i].imm if i < len(self.operands) else None


_EXTENDS = {C.ARM64_EXT_UXTB: "uxtb", C.ARM64_EXT_UXTH: "uxth", C.ARM64_EXT_UXTW: "uxtw",
            C.ARM64_EXT_UXTX: "uxtx", C.ARM64_EXT_SXTB: "sxtb", C.ARM64_EXT_SXTH: "sxth",
            C.ARM64_EXT_SXTW: "sxtw", C.ARM64_EXT_SXTX: "sxtx"}


_MASK64 = (1 << 64) - 1
_PC_RELATIVE = frozenset({"b", "bl", "cbz", "cbnz", "tbz", "tbnz", "adr", "adrp", "bc"})


_LITERAL_LOADS = frozenset({"ldr", "ldrsw", "prfm"})


def _is_pc_relative(mnemonic: str, ops: tuple[Operand, ...]) -> bool:
    if mnemonic in _PC_RELATIVE or mnemonic.startswith("b."):
        return True
    # `ldr x1, #addr` (load literal): the last operand is an immediate address
    return mnemonic in _LITERAL_LOADS and bool(ops) and ops[-1].kind == "imm"


@lru_cache(maxsize=1)
def _engine() -> Any:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = True
    return md


def _operand(md: Any, op: Any) -> Operand:
    shift = int(op.shift.value) if op.shift.type != C.ARM64_SFT_INVALID else 0
    ext = _EXTENDS.get(op.ext)
    if op.type == C.ARM64_OP_REG:
        return Operand("reg", reg=md.reg_name(op.reg), shift=shift, extend=ext)
    if op.type == C.ARM64_OP_IMM or op.type == C.ARM64_OP_CIMM:
        return Operand("imm", imm=int(op.imm), shift=shift)
    if op.type == C.ARM64_OP_MEM:
        base = md.reg_name(op.mem.base) if op.mem.base else None
        index = md.reg_name(op.mem.index) if op.mem.index else None
        return Operand("mem", base=base, index=index, disp=int(op.mem.disp), shift=shift, extend=ext)
    if op.type == C.ARM64_OP_FP:
        return Operand("fp")
    if op.type in (C.ARM64_OP_SYS, C.ARM64_OP_REG_MRS, C.ARM64_OP_REG_MSR):
        return Operand("sys", imm=int(op.reg))
    return Operand("other")


def decode_word(word: int, address: int) -> Insn:
    """Decode one 32-bit instruction word at ``address``."""
    md = _engine()
    raw = struct.pack("<I", word & 0xFFFFFFFF)
    for ins in md.disasm(raw, address, 1):
        try:
            ops = tuple(_operand(md, op) for op in ins.operands)
            wb = bool(ins.writeback)
        except capstone.CsError:
            ops, wb = (), False
        if _is_pc_relative(ins.mnemonic, ops):
            # capstone reports these targets as signed 64-bit: make them addresses.
            ops = tuple(Operand("imm", imm=o.imm & _MASK64) if o.kind == "imm" and o.imm is not None
                        else o for o in ops)
        return Insn(address, word, ins.mnemonic, ins.op_str, ops, True, wb)
    return Insn(address, word, ".inst", f"0x{word:08x}", (), False)


def disassemble(code: bytes, address: int) -> list[Insn]:
    """Decode ``code`` (little-endian) word by word starting at ``address``."""
    n = len(code) // 4
    words = struct.unpack(f"<{n}I", code[: n * 4])
    return [decode_word(w, address + 4 * i) for i, w in enumerate(words)]
