"""What Linux (and compilers) mean by a BRK #imm16 comment.

Source: arch/arm64/include/asm/brk-imm.h (verified against torvalds/linux:
KPROBES 0x004, UPROBES 0x005, KPROBES_SS 0x006, FAULT 0x100, KGDB_DYN 0x400,
KGDB_COMPILED 0x401, BUG 0x800, KASAN 0x900-0x9ff, UBSAN 0x55xx, CFI 0x8xxx
with target GENMASK(4,0) and type GENMASK(9,5)); the KASAN access encoding is
KASAN_ESR_RECOVER/WRITE/SIZE in arch/arm64/kernel/traps.c; UBSAN check types
follow clang's SanitizerHandler order (lib/ubsan.c report_ubsan_failure).

Each row also names the hypothesis class (the diagnose stage's stable ids,
docs/CLASSES.md) a kernel exception on that immediate supports, so a trap maps
to its class through this table, not through string matches on the message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BrkRange:
    lo: int
    hi: int
    name: str
    meaning: str
    bug_class: str  # the diagnose class a kernel trap on this immediate supports


# arch/arm64/include/asm/brk-imm.h (FAULT_BRK_IMM: "BRK instruction for provoking a fault on
# purpose", AARCH64_BREAK_FAULT in asm/insn.h, written where the kernel has no valid instruction)
BRK_RANGES: tuple[BrkRange, ...] = (
    BrkRange(0x004, 0x004, "KPROBES_BRK_IMM", "kprobe breakpoint installed by kprobes", "stray-breakpoint"),
    BrkRange(0x005, 0x005, "UPROBES_BRK_IMM", "uprobe breakpoint in a user task", "stray-breakpoint"),
    BrkRange(0x006, 0x006, "KPROBES_BRK_SS_IMM", "kprobe out-of-line single-step breakpoint", "stray-breakpoint"),
    BrkRange(0x100, 0x100, "FAULT_BRK_IMM",
             "deliberate fault: the instruction the kernel writes where it has no valid one (a failed "
             "instruction encoding, the fill of a JIT image)", "undefined-instruction"),
    BrkRange(0x400, 0x400, "KGDB_DYN_DBG_BRK_IMM", "kgdb dynamic breakpoint", "stray-breakpoint"),
    BrkRange(0x401, 0x401, "KGDB_COMPILED_DBG_BRK_IMM", "kgdb compiled-in breakpoint (kgdb_breakpoint())",
             "stray-breakpoint"),
    BrkRange(0x402, 0x7FF, "KGDB", "reserved for kgdb (0x400-0x7ff)", "stray-breakpoint"),
    BrkRange(0x800, 0x800, "BUG_BRK_IMM", "kernel BUG() or WARN() trap (look for the BUG/WARNING line above)",
             "bug-assertion"),
    BrkRange(0x900, 0x9FF, "KASAN_BRK_IMM", "tag-based KASAN (software tags) check failure", "kasan"),
    BrkRange(0x5500, 0x55FF, "UBSAN_BRK_IMM", "UBSAN trap (CONFIG_UBSAN_TRAP)", "ubsan"),
    BrkRange(0x8000, 0x8FFF, "CFI_BRK_IMM_BASE", "kCFI indirect call type-check failure", "cfi"),
)


@dataclass(frozen=True)
class CompilerBrk:
    """A BRK immediate a compiler emits on its own (not one of the kernel's)."""

    imm: int
    meaning: str
    bug_class: str


# Compiler conventions, not Linux: LLVM's llvm.trap (AArch64 lowers it to BRK #0x1) and GCC's
# __builtin_trap (BRK #0x3e8, gcc/config/aarch64/aarch64.md "trap"), which GCC also emits on
# paths it proves undefined (-fisolate-erroneous-paths: a division by zero, a NULL dereference).
COMPILER_BRK_TABLE: tuple[CompilerBrk, ...] = (
    CompilerBrk(0x001, "clang __builtin_trap()/llvm.trap (unreachable code reached)", "compiler-trap"),
    CompilerBrk(0x3E8, "GCC __builtin_trap() (unreachable code, or a path the compiler proved undefined)",
                "compiler-trap"),
    CompilerBrk(0xF000, "__debugbreak() (MSVC/Windows convention)", "stray-breakpoint"),
)
COMPILER_BRKS: dict[int, str] = {row.imm: row.meaning for row in COMPILER_BRK_TABLE}

# Check types: clang's SanitizerHandler order == enum ubsan_checks used by lib/ubsan.c
# report_ubsan_failure() (wording from there where it has a case).
UBSAN_CHECKS: tuple[str, ...] = (
    "addition overflow", "unreachable code", "CFI failure", "divide/remainder overflow",
    "dynamic type cache miss", "float cast overflow", "function type mismatch",
    "implicit conversion", "invalid builtin", "invalid object cast", "loading invalid value",
    "missing return", "multiplication overflow", "negation overflow", "nullability argument",
    "nullability return", "non-NULL argument", "non-NULL return", "array index out of bounds",
    "pointer overflow", "shift out of bounds", "subtraction overflow", "type mismatch",
    "alignment assumption", "variable-length array bound not positive",
)


KASAN_ESR_RECOVER = 0x20
KASAN_ESR_WRITE = 0x10
KASAN_ESR_SIZE_MASK = 0x0F
CFI_TARGET_MASK = 0x1F
CFI_TYPE_SHIFT = 5


def brk_class(imm: int) -> str | None:
    """The hypothesis class a kernel exception on ``BRK #imm`` supports (None: unknown immediate)."""
    imm &= 0xFFFF
    row = brk_range(imm)
    if row is not None:
        return row.bug_class
    return next((c.bug_class for c in COMPILER_BRK_TABLE if c.imm == imm), None)


def brk_range(imm: int) -> BrkRange | None:
    for row in BRK_RANGES:
        if row.lo <= imm <= row.hi:
            return row
    return None


def brk_meaning(imm: int) -> str | None:
    """Linux meaning of ``BRK #imm`` (with decoded KASAN/UBSAN/CFI details), or None."""
    imm &= 0xFFFF
    row = brk_range(imm)
    if row is None:
        return COMPILER_BRKS.get(imm)
    if row.name == "KASAN_BRK_IMM":
        low = imm & 0xFF
        size = 1 << (low & KASAN_ESR_SIZE_MASK)
        access = "write" if low & KASAN_ESR_WRITE else "read"
        recover = "recoverable" if low & KASAN_ESR_RECOVER else "non-recoverable"
        return f"{row.meaning}: {size}-byte {access}, {recover}"
    if row.name == "UBSAN_BRK_IMM":
        check = imm & 0xFF
        what = UBSAN_CHECKS[check] if check < len(UBSAN_CHECKS) else f"check type {check}"
        return f"{row.meaning}: {what}"
    if row.name == "CFI_BRK_IMM_BASE":
        target = imm & CFI_TARGET_MASK
        typ = (imm >> CFI_TYPE_SHIFT) & 0x1F
        return f"{row.meaning}: call target in x{target}, expected type hash in w{typ}"
    return f"{row.meaning} ({row.name})"
