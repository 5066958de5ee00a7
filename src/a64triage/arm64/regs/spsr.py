"""SPSR_ELx / PSTATE in its AArch64 and AArch32 forms (M[4] selects).

Source: Arm ARM C5.2.18-20 SPSR_EL1/EL2/EL3 "when exception taken from AArch64
state" and "... from AArch32 state"; D1.4 PSTATE.  Linux names the same bits
in arch/arm64/include/uapi/asm/ptrace.h (PSR_*_BIT) and prints them in
print_pstate() (arch/arm64/kernel/process.c).
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.spec import FieldSpec, RegisterDef, bit, extract, res0

AARCH64_MODES = {
    0b0000: "EL0t (EL0, SP_EL0)",
    0b0100: "EL1t (EL1, SP_EL0)",
    0b0101: "EL1h (EL1, SP_EL1)",
    0b1000: "EL2t (EL2, SP_EL0)",
    0b1001: "EL2h (EL2, SP_EL2)",
    0b1100: "EL3t (EL3, SP_EL0)",
    0b1101: "EL3h (EL3, SP_EL3)",
}

AARCH32_MODES = {
    0x10: "User", 0x11: "FIQ", 0x12: "IRQ", 0x13: "Supervisor", 0x16: "Monitor",
    0x17: "Abort", 0x1A: "Hyp", 0x1B: "Undefined", 0x1F: "System",
}

_FLAGS = (
    bit("N", 31, "negative flag", "set", "clear"),
    bit("Z", 30, "zero flag", "set", "clear"),
    bit("C", 29, "carry flag", "set", "clear"),
    bit("V", 28, "overflow flag", "set", "clear"),
)

AARCH64: tuple[FieldSpec, ...] = (
    res0(63, 37),
    bit("UINJ", 36, "inject undefined instruction exception on return (FEAT_UINJ)", "inject", "no"),
    bit("PACM", 35, "PACM (FEAT_PAuth_LR)", "set", "clear"),
    bit("EXLOCK", 34, "GCS exception return lock (FEAT_GCS)", "locked", "not locked"),
    bit("PPEND", 33, "profiling exception pending (FEAT_SEBEP)", "pending", "not pending"),
    bit("PM", 32, "PMU exception mask (FEAT_EBEP)", "masked", "not masked"),
    *_FLAGS,
    res0(27, 26),
    bit("TCO", 25, "tag check override (FEAT_MTE)", "tag checks suppressed", "tag checks enabled"),
    bit("DIT", 24, "data independent timing", "enabled", "disabled"),
    bit("UAO", 23, "user access override (FEAT_UAO)", "set", "clear"),
    bit("PAN", 22, "privileged access never", "set: EL1/EL2 cannot access user memory", "clear"),
    bit("SS", 21, "software step", "step pending", "clear"),
    bit("IL", 20, "illegal execution state", "set: the ERET target was illegal", "clear"),
    res0(19, 14),
    bit("ALLINT", 13, "all-interrupt mask (FEAT_NMI)", "masked", "not masked"),
    bit("SSBS", 12, "speculative store bypass safe", "set", "clear"),
    FieldSpec("BTYPE", 11, 10, "branch type (BTI; kernel print_pstate notation)", {0: "00 (--)", 1: "01 (jc)", 2: "10 (-c)", 3: "11 (j-)"}),
    bit("D", 9, "debug exceptions", "masked", "unmasked"),
    bit("A", 8, "SError exceptions", "masked", "unmasked"),
    bit("I", 7, "IRQ", "masked", "unmasked"),
    bit("F", 6, "FIQ", "masked", "unmasked"),
    res0(5, 5),
    bit("M[4]", 4, "execution state", "AArch32", "AArch64"),
    FieldSpec("M[3:0]", 3, 0, "exception level and stack pointer", AARCH64_MODES),
)

AARCH32: tuple[FieldSpec, ...] = (
    res0(63, 32),
    *_FLAGS,
    bit("Q", 27, "cumulative saturation", "set", "clear"),
    FieldSpec("IT[1:0]", 26, 25, "If-Then state, low bits"),
    bit("DIT", 24, "data independent timing", "enabled", "disabled"),
    bit("SSBS", 23, "speculative store bypass safe", "set", "clear"),
    bit("PAN", 22, "privileged access never", "set", "clear"),
    bit("SS", 21, "software step", "step pending", "clear"),
    bit("IL", 20, "illegal execution state", "set", "clear"),
    FieldSpec("GE", 19, 16, "SIMD greater-than-or-equal flags"),
    FieldSpec("IT[7:2]", 15, 10, "If-Then state, high bits"),
    bit("E", 9, "endianness", "big-endian", "little-endian"),
    bit("A", 8, "SError exceptions", "masked", "unmasked"),
    bit("I", 7, "IRQ", "masked", "unmasked"),
    bit("F", 6, "FIQ", "masked", "unmasked"),
    bit("T", 5, "instruction set", "T32 (Thumb)", "A32 (Arm)"),
    FieldSpec("M", 4, 0, "AArch32 mode", AARCH32_MODES),
)


def spsr_table(v: int) -> Sequence[FieldSpec]:
    return AARCH32 if v >> 4 & 1 else AARCH64


def _masked(v: int, bits: str) -> str:
    names = [n for n, pos in zip(bits, (9, 8, 7, 6), strict=False) if v >> pos & 1]
    return "".join(names)


def spsr_summary(v: int) -> str:
    flags = "".join(c.upper() if v >> p & 1 else c for c, p in zip("nzcv", (31, 30, 29, 28), strict=True))
    if v >> 4 & 1:
        mode = AARCH32_MODES.get(v & 0x1F, f"reserved mode {v & 0x1F:#x}")
        state = "T32" if v >> 5 & 1 else "A32"
        masks = "".join(c for c, p in (("A", 8), ("I", 7), ("F", 6)) if v >> p & 1)
        return f"AArch32 {mode} mode ({state}), flags {flags}, masked: {masks or 'none'}"
    mode = AARCH64_MODES.get(v & 0xF, f"reserved mode {v & 0xF:#x}")
    masks = _masked(v, "DAIF")
    extra = [n for n, p in (("PAN", 22), ("UAO", 23), ("SS", 21), ("IL", 20), ("TCO", 25), ("DIT", 24), ("SSBS", 12)) if v >> p & 1]
    tail = f", {' '.join(extra)}" if extra else ""
    return f"AArch64 {mode.split(' ')[0]}, flags {flags}, masked: {masks or 'none'}{tail}"


def spsr_notes(v: int) -> tuple[str, ...]:
    notes: list[str] = []
    if not v >> 4 & 1:
        m = v & 0xF
        if m not in AARCH64_MODES:
            notes.append("M[3:0] is a reserved encoding: returning with ERET would be an illegal exception return")
        if extract(v, 9, 6) == 0xF:
            notes.append("D, A, I and F all masked: typical of exception entry or early/assembly code")
    if v >> 20 & 1:
        notes.append("IL set: an illegal exception return happened (next instruction takes an EC 0x0E exception)")
    return tuple(notes)


SPSR = RegisterDef("SPSR", 64, spsr_table, "Arm ARM C5.2.18 SPSR_EL1 / D1.4 PSTATE", spsr_summary, spsr_notes)
