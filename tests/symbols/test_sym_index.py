"""The ELF symbol table: bulk filtering, name search, and the build-id keyed on-disk index.

``symtab.from_elf`` filters ``.symtab`` with bytes/big-integer operations and
finds names by searching ``.strtab``; the index adds the address order and, from
the second run on, name hash tables.  Every path must give the same answers as a
plain per-symbol reading of ``RawElf.symbols`` (the reference below).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from symtest_util import FIXTURES

from a64triage.symbols import symtab
from a64triage.symbols.dwarf import section_layout
from a64triage.symbols.rawelf import STT_NAMES, RawElf, RawSymbol
from a64triage.symbols.symbolizer import MODULE_BASE

CLANG = str(FIXTURES / "image-clang.elf")


def _reference(elf: RawElf, layout: dict[str, int] | None = None) -> set[tuple[str, int, int, str]]:
    """(name, address, st_size, type) of the symbols a table should hold, one entry at a time."""
    def kept(s: RawSymbol) -> bool:
        placed = s.defined or s.shndx == 0xFFF1
        return (placed and s.type not in ("SECTION", "FILE") and bool(s.name)
                and not s.name.startswith(("$", ".L")))

    out = set()
    for s in elf.symbols:
        if not kept(s):
            continue
        addr = s.value
        if layout is not None:
            if s.section not in layout:
                continue
            addr += layout[s.section]
        out.add((s.name, addr, s.size, s.type))
    return out


def _table_entries(table: symtab.SymbolTable) -> set[tuple[str, int, int, str]]:
    n = len(table._addr)
    return {(table._name(i), table._addr[i], table._size[i], STT_NAMES[table._info[i] & 0xF])
            for i in range(n)}


@pytest.mark.parametrize("name", ["image-clang.elf", "image-gcc.elf", "inline-clang.o", "clones-gcc.o",
                                  "test_mod.ko", "kern.o"])
def test_bulk_filter_matches_reference(name: str) -> None:
    elf = RawElf(str(FIXTURES / name))
    layout = section_layout(elf, MODULE_BASE) if elf.is_relocatable else None
    table = symtab.from_elf(elf, layout)
    assert _table_entries(table) == _reference(elf, layout)
    # the address order holds every symbol, sorted, the best-ranked alias first
    order, in_order = table._order()
    assert sorted(order) == list(range(len(table._addr))) and list(in_order) == sorted(in_order)


def _answers(table: symtab.SymbolTable, names: list[str]) -> list[object]:
    return [[(s.name, s.addr, s.size) for s in table.find(n, 0x40)] for n in names] + \
        [(s.name, s.addr, s.size) for s in table]


def test_index_lifecycle(tmp_path: Path) -> None:
    """Run 1 builds and saves the order, run 2 adds name hashes, run 3 loads both: same answers."""
    elf = RawElf(CLANG)
    names = [*sorted({s.name for s in elf.symbols if s.name}), "no_such_symbol", "__kvm_nvhe_helper"]
    first = symtab.from_elf(elf, cache=True)
    want = _answers(first, names)  # builds the order: the index is written
    index = Path(os.environ["A64TRIAGE_CACHE"]) / "index" / f"{elf.build_id}.symtab"
    assert index.exists()
    second = symtab.from_elf(elf, cache=True)
    assert second._want_hashes and second._hashes is None
    assert _answers(second, names) == want
    assert second._hashes is not None
    third = symtab.from_elf(elf, cache=True)
    assert third._hashes is not None and not third._want_hashes
    assert _answers(third, names) == want


def test_damaged_index_is_rebuilt() -> None:
    elf = RawElf(CLANG)
    symtab.from_elf(elf, cache=True)._order()
    index = Path(os.environ["A64TRIAGE_CACHE"]) / "index" / f"{elf.build_id}.symtab"
    raw = bytearray(index.read_bytes())
    raw[-9] ^= 0xFF  # inside the last column: only the checksum notices
    index.write_bytes(bytes(raw))
    table = symtab.from_elf(elf, cache=True)
    assert table._sorted is None  # not loaded: built again
    index.write_bytes(b"\x00garbage")
    assert symtab.from_elf(elf, cache=True).find("helper")


def test_objects_are_never_indexed() -> None:
    elf = RawElf(str(FIXTURES / "test_mod.ko"))
    table = symtab.from_elf(elf, section_layout(elf, MODULE_BASE), cache=True)
    table._order()
    assert not (Path(os.environ["A64TRIAGE_CACHE"]) / "index").exists()


@pytest.mark.realkernel
def test_debian_vmlinux_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """150k real symbols: bulk filter == reference; .strtab search == hash tables for sampled names."""
    from test_sym_real_kernel import _debian

    elf = RawElf(_debian()["vmlinux"])
    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))
    cold = symtab.from_elf(elf, cache=True)
    ref = _reference(elf)
    assert _table_entries(cold) == ref
    rng = random.Random(5)
    all_names = sorted({r[0] for r in ref})
    clones = [n for n in all_names if "." in n or n.startswith(symtab.NVHE_PREFIX)]
    names = rng.sample(all_names, 300) + rng.sample(clones, 300)
    names += [symtab.base_name(n) for n in names[-300:]]
    want = [[(s.name, s.addr, s.size) for s in cold.find(n, 0x40)] for n in names]
    assert sum(map(bool, want)) == len(names)  # base names of clones exist too
    symtab.from_elf(elf, cache=True).find("linux_banner")  # second run: builds the hashes
    warm = symtab.from_elf(elf, cache=True)
    assert warm._hashes is not None
    assert [[(s.name, s.addr, s.size) for s in warm.find(n, 0x40)] for n in names] == want
    for _ in range(500):
        addr = rng.randrange(*cold.range())  # type: ignore[misc]
        assert cold.at(addr) == warm.at(addr)
