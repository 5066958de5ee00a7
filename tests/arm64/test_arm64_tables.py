"""The tables are data with sources, and match the kernel's own strings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from a64triage.arm64 import kernel_esr_class_str
from a64triage.arm64.classes import CLASS_TABLE

PKG = Path(__file__).resolve().parents[2] / "src" / "a64triage" / "arm64"
TABLE_MODULES = sorted(
    p for p in [*PKG.glob("*.py"), *PKG.glob("iss/*.py"), *PKG.glob("regs/*.py")]
    if p.name not in ("__init__.py", "fields.py", "spec.py", "text.py", "registry.py", "common.py", "elf_relocs.py")
)


@pytest.mark.parametrize("path", TABLE_MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_every_table_module_cites_its_source(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert any(s in doc for s in ("Arm ARM", "arch/arm64", "include/linux")), path.name


# arch/arm64/kernel/traps.c esr_class_str[] (mainline; research notes §4)
KERNEL_CLASS_STR = {
    0x00: "Unknown/Uncategorized", 0x01: "WFI/WFE", 0x03: "CP15 MCR/MRC", 0x04: "CP15 MCRR/MRRC",
    0x05: "CP14 MCR/MRC", 0x06: "CP14 LDC/STC", 0x07: "ASIMD", 0x08: "CP10 MRC/VMRS", 0x09: "PAC",
    0x0C: "CP14 MCRR/MRRC", 0x0D: "BTI", 0x0E: "PSTATE.IL", 0x11: "SVC (AArch32)", 0x12: "HVC (AArch32)",
    0x13: "SMC (AArch32)", 0x15: "SVC (AArch64)", 0x16: "HVC (AArch64)", 0x17: "SMC (AArch64)",
    0x18: "MSR/MRS (AArch64)", 0x19: "SVE", 0x1A: "ERET/ERETAA/ERETAB", 0x1C: "FPAC", 0x1D: "SME",
    0x1F: "EL3 IMP DEF", 0x20: "IABT (lower EL)", 0x21: "IABT (current EL)", 0x22: "PC Alignment",
    0x24: "DABT (lower EL)", 0x25: "DABT (current EL)", 0x26: "SP Alignment", 0x27: "MOPS",
    0x28: "FP (AArch32)", 0x2C: "FP (AArch64)", 0x2D: "Guarded Control Stack", 0x2F: "SError",
    0x30: "Breakpoint (lower EL)", 0x31: "Breakpoint (current EL)", 0x32: "Software Step (lower EL)",
    0x33: "Software Step (current EL)", 0x34: "Watchpoint (lower EL)", 0x35: "Watchpoint (current EL)",
    0x38: "BKPT (AArch32)", 0x3A: "Vector catch (AArch32)", 0x3C: "BRK (AArch64)",
}


@pytest.mark.parametrize("ec", range(64))
def test_kernel_class_strings(ec: int) -> None:
    assert kernel_esr_class_str(ec) == KERNEL_CLASS_STR.get(ec, "UNRECOGNIZED EC")


def test_class_table_is_sorted_and_unique() -> None:
    ecs = [row.ec for row in CLASS_TABLE]
    assert ecs == sorted(set(ecs))
