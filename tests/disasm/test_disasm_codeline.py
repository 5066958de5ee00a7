"""Oops `Code:` lines (arch/arm64/kernel/traps.c dump_kernel_instr()), like scripts/decodecode."""

from __future__ import annotations

import pytest

from a64triage.disasm import decode_code_line
from a64triage.errors import InputError

# From tests/data/symbols/debian-6.1.0-56-ACCESS_NULL.log (Debian 6.1 under QEMU, lkdtm ACCESS_NULL)
REAL = "[    2.080677] Code: d2800014 90000020 9128c000 94000613 (f9400293) "


def test_real_code_line_relative() -> None:
    insns = decode_code_line(REAL)
    assert [i.mnemonic for i in insns] == ["mov", "adrp", "add", "bl", "ldr"]
    assert [i.address for i in insns] == [0, 4, 8, 12, 16]
    assert [i.faulting for i in insns] == [False] * 4 + [True]
    assert insns[-1].op_str == "x19, [x20]"  # x20 = 0: the NULL dereference


def test_real_code_line_absolute() -> None:
    insns = decode_code_line(REAL, pc=0xffffb07259f6a0ec)
    assert insns[-1].address == 0xffffb07259f6a0ec and insns[-1].faulting
    assert insns[0].address == 0xffffb07259f6a0ec - 16
    assert insns[3].op_str == f"#0x{0xffffb07259f6a0e8 + 0x613 * 4:x}"


def test_unreadable_words() -> None:
    insns = decode_code_line("Code: ???????? ???????? d503201f (????????)")
    assert insns[0].mnemonic == "????????" and insns[0].note
    assert insns[2].mnemonic == "nop"
    assert insns[3].faulting and insns[3].mnemonic == "????????"


def test_invalid_word_is_kept_aligned() -> None:
    insns = decode_code_line("Code: 00000000 (d65f03c0)")
    assert insns[0].mnemonic in ("udf", ".inst")
    assert insns[1].mnemonic == "ret" and insns[1].faulting


@pytest.mark.parametrize("line", ["Code:", "Code: 2000 (4770)", "Code: hello (d65f03c0)",
                                  "Code: d503201f12"])
def test_bad_code_lines(line: str) -> None:
    with pytest.raises(InputError):
        decode_code_line(line)
