"""Annotated listings of the committed fixtures (clang/GCC images and relocatable objects)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from a64triage.cli import main
from a64triage.disasm import Instruction, disassemble_function, disassemble_range, format_listing
from a64triage.errors import InputError
from a64triage.symbols import open_symbolizer
from a64triage.symbols.elf import ElfImage
from a64triage.symbols.symbolizer import load_object

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "c" / "out"
GOLDEN = ROOT / "tests" / "data" / "disasm"
UPDATE = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"


def _by_mnemonic(insns: list[Instruction], mnemonic: str) -> list[Instruction]:
    return [i for i in insns if i.mnemonic == mnemonic]


def test_linked_image_targets_and_literal() -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    insns = disassemble_function(sym, "lit_user")
    outer = sym.symbol("outer")
    assert outer is not None
    lit = insns[0]
    assert lit.mnemonic == "ldr" and lit.literal == outer.addr and lit.target == "=outer"
    assert lit.symbol == "lit_user" and lit.source is not None and lit.source.file == "kern.S"
    calls = {i.target for i in _by_mnemonic(disassemble_function(sym, "entry"), "bl")}
    assert calls == {"after_die", "dup_a", "dup_b", "check_or_die"}
    # adrp + str pair resolved to the variable
    stores = [i for i in disassemble_function(sym, "outer") if i.mnemonic == "str"]
    assert stores and all(i.target == "sink" for i in stores)


def test_relocatable_object_relocations() -> None:
    obj = load_object(str(FIX / "kern.o"))
    insns = disassemble_function(obj, "lit_user")
    assert insns[0].address == 0  # section offsets, like objdump
    assert insns[0].target == "=outer (R_AARCH64_ABS64 in the literal pool)"
    assert insns[1].relocation == "R_AARCH64_ADR_PREL_PG_HI21 sink"
    assert insns[2].relocation == "R_AARCH64_ADD_ABS_LO12_NC sink"
    pool = [i for i in insns if i.relocation == "R_AARCH64_ABS64 outer"]
    assert len(pool) == 1 and pool[0].address == 0x18
    gcc = load_object(str(FIX / "clones-gcc.o"))
    cold = disassemble_function(gcc, "with_cold.cold")
    assert any(i.relocation == "R_AARCH64_CALL26 fatal" for i in cold)
    assert all(i.source is None or i.source.function == "with_cold" for i in cold)


def test_jump_table_note() -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    insns = disassemble_function(sym, "table_jump")
    noted = [i for i in insns if i.note and "jump table" in i.note]
    assert [i.mnemonic for i in noted] == ["ldr", "br"]
    assert _by_mnemonic(insns, "adr")[0].target == "jtab"


def test_fault_marker_and_context() -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    entry = sym.symbol("entry")
    assert entry is not None
    insns = disassemble_function(sym, "entry+0x1c", context=2)
    assert [i.address for i in insns] == [entry.addr + 0x1c + 4 * k for k in range(-2, 3)]
    assert [i.faulting for i in insns] == [False, False, True, False, False]
    by_addr = disassemble_function(sym, entry.addr + 0x1c)
    assert by_addr[0].address == entry.addr and sum(i.faulting for i in by_addr) == 1
    rng = disassemble_range(sym, entry.addr, entry.addr + 8, fault_pc=entry.addr + 4)
    assert [i.faulting for i in rng] == [False, True]


def test_source_lines_interleaved() -> None:
    sym = open_symbolizer(str(FIX / "image-gcc.elf"))
    lines = format_listing(disassemble_function(sym, "outer"))
    headers = [ln for ln in lines if not ln.startswith(("   ", "-->"))]
    assert headers[0].startswith("leaf_add() inline.c:")
    assert any(h.startswith("outer() inline.c:") for h in headers)


def test_image_or_elfimage_accepted() -> None:
    insns = disassemble_function(ElfImage(str(FIX / "inline-clang.o")), "check_or_die")
    assert any(i.relocation == "R_AARCH64_CALL26 die_now" for i in insns)


@pytest.mark.parametrize("bad", ["nosuch_function", "not a symbol!"])
def test_bad_place(bad: str) -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    with pytest.raises(InputError):
        disassemble_function(sym, bad)


def test_address_outside_sections() -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    with pytest.raises(InputError, match="not in a section"):
        disassemble_range(sym, 0x1000, 0x1010)


CLI_CASES = {
    "image-clang-entry": ["--vmlinux", "tests/fixtures/c/out/image-clang.elf", "entry"],
    "image-clang-table_jump": ["--vmlinux", "tests/fixtures/c/out/image-clang.elf", "table_jump"],
    "image-gcc-use_split": ["--vmlinux", "tests/fixtures/c/out/image-gcc.elf", "use_split+0x10"],
    "kern-o-lit_user": ["--object", "tests/fixtures/c/out/kern.o", "lit_user"],
    "clones-o-with_cold": ["--object", "tests/fixtures/c/out/clones-gcc.o", "with_cold"],
    "module-mod_other": ["--object", "tests/fixtures/c/out/test_mod.ko", "mod_other", "--context", "3",
                         "--fault", "0x4c"],
    "code-line": ["--code", "Code: d2800014 90000020 9128c000 94000613 (f9400293)",
                  "--pc", "ffff800000f6a0ec"],
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_golden(case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["disasm", *CLI_CASES[case]]) == 0
    out = capsys.readouterr().out
    path = GOLDEN / f"{case}.txt"
    if UPDATE:
        path.write_text(out)
    assert out == path.read_text(), f"differs from {path} (A64TRIAGE_UPDATE_GOLDEN=1 to accept)"


def test_cli_json_and_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(ROOT)
    assert main(["disasm", "--json", "--vmlinux", "tests/fixtures/c/out/image-clang.elf", "outer"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[0]["symbol"] == "outer" and doc[0]["source"]["file"] == "inline.c"
    assert main(["disasm", "--vmlinux", "tests/fixtures/c/out/x86.o", "outer"]) == 2
    assert main(["disasm", "outer"]) == 2
    assert main(["disasm", "--code", "Code: e5912000 (e12fff1e)"]) == 0  # valid words, ARM or not
    assert main(["disasm", "--code", "Code: 2000 (4770)"]) == 2
    err = capsys.readouterr().err
    assert "not an AArch64 ELF" in err and "Thumb" in err


def test_brk_names_its_bug_table_site() -> None:
    sym = open_symbolizer(str(FIX / "image-clang.elf"))
    brk = _by_mnemonic(disassemble_function(sym, "bug_here"), "brk")
    assert brk and brk[0].note == "BUG()/WARN() site kernel/fixture.c:42 (__bug_table)"
    obj = load_object(str(FIX / "kern.o"))  # relocatable: PREL32 entries resolved via .rela__bug_table
    brk = _by_mnemonic(disassemble_function(obj, "bug_here"), "brk")
    assert brk and brk[0].note == "BUG()/WARN() site kernel/fixture.c:42 (__bug_table)"
