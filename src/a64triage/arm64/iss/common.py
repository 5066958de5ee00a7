"""Shared pieces of the ISS tables (AArch32 condition fields, register names)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from a64triage.arm64.spec import FieldSpec, bit

IssTable = Callable[[int], Sequence[FieldSpec]]

# Arm ARM F1.3 condition codes, used by the AArch32 trap syndromes' COND field
CONDITIONS: dict[int, str] = {
    0x0: "EQ", 0x1: "NE", 0x2: "CS/HS", 0x3: "CC/LO", 0x4: "MI", 0x5: "PL", 0x6: "VS", 0x7: "VC",
    0x8: "HI", 0x9: "LS", 0xA: "GE", 0xB: "LT", 0xC: "GT", 0xD: "LE", 0xE: "AL (always)",
    0xF: "unconditional (NV)",
}

# Arm ARM D24.2.41: ISS[24:20] of every AArch32 conditional trap
CV_COND: tuple[FieldSpec, ...] = (
    bit("CV", 24, "condition code valid", "COND is valid", "COND is not valid"),
    FieldSpec("COND", 23, 20, "condition code of the trapped instruction", CONDITIONS),
)


def xreg(v: int) -> str:
    """General-purpose register number as written in A64 (31 = XZR/SP depending on context)."""
    return "x31 (XZR/SP)" if v == 31 else f"x{v}"


def rreg(v: int) -> str:
    return f"r{v}" if v < 15 else ("pc" if v == 15 else f"register {v}")


def fixed(*specs: FieldSpec) -> IssTable:
    """An ISS table that does not depend on the syndrome value."""
    rows = tuple(specs)

    def table(_iss: int) -> Sequence[FieldSpec]:
        return rows

    return table
