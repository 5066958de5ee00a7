"""Result type of the disassemble stage."""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.symbols.types import SourceLocation


@dataclass(frozen=True)
class Instruction:
    """One decoded instruction with everything the annotated listing shows."""

    address: int
    word: int
    mnemonic: str
    op_str: str
    relocation: str | None = None  # e.g. "R_AARCH64_ADR_PREL_PG_HI21 .rodata+0x10"
    target: str | None = None  # resolved branch/adrp target symbol, "sym+0x10"
    literal: int | None = None  # value of a literal-pool load
    source: SourceLocation | None = None
    faulting: bool = False
    note: str | None = None  # e.g. "jump table: 8-byte absolute entries"
    symbol: str | None = None  # where this instruction is, "func+0x1c"
