"""Every code address of the fixture images against llvm-symbolizer's answer.

The golden (tests/data/symbols/golden/lines-*.json) was produced by
``llvm-symbolizer --output-style=JSON -i -f``; both DWARF backends must give the
same inline chains (function, file, line) for each address.  The outermost name
is compared after removing clone suffixes: llvm-symbolizer takes it from the
symbol table (``with_cold.cold``), we from DWARF (``with_cold``).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from symtest_util import FIXTURES, GOLDEN, UPDATE

from a64triage.symbols import dwarf, symtab
from a64triage.symbols.elf import ElfImage
from a64triage.symbols.types import clean_path

IMAGES = ["image-clang.elf", "image-gcc.elf"]


def _addresses(image: ElfImage) -> list[int]:
    table = symtab.from_elf(image)
    return [a for s in table if s.kind == "FUNC" and s.section == ".text"
            for a in range(s.addr, s.addr + s.size, 4)]


def _norm(chain: list[tuple[str, str | None, int | None]]) -> list[list[object]]:
    out: list[list[object]] = []
    for k, (fn, file, line) in enumerate(chain):
        if k == len(chain) - 1:
            fn = symtab.base_name(fn)
        out.append([fn, clean_path(file), line or None])
    return out


def _from_llvm(path: str, addrs: list[int]) -> dict[str, list[list[object]]]:
    tool = shutil.which("llvm-symbolizer")
    if tool is None:
        pytest.skip("llvm-symbolizer not installed: cannot regenerate the golden")
    out = subprocess.run([tool, "--output-style=JSON", "-i", "-f", f"--obj={path}",
                          *[hex(a) for a in addrs]], capture_output=True, text=True, check=True).stdout
    res = {}
    for d in json.loads(out):
        chain = [(f["FunctionName"], f["FileName"] or None, f["Line"] or None) for f in d["Symbol"]
                 if f["FunctionName"] != "<invalid>"]
        res[d["Address"]] = _norm(chain)
    return res


@pytest.mark.parametrize("name", IMAGES)
def test_inline_chains_match_llvm_symbolizer(name: str, backend: str) -> None:
    path = FIXTURES / name
    golden = GOLDEN / f"lines-{name}.json"
    image = ElfImage(str(path))
    addrs = _addresses(image)
    assert len(addrs) > 50
    if UPDATE or not golden.exists():
        golden.write_text(json.dumps(_from_llvm(str(path), addrs), indent=1, sort_keys=True) + "\n")
    expected = json.loads(golden.read_text())
    table = symtab.from_elf(image)
    be = dwarf.open_backend(image, None, dwarf.DrgnLines if backend == "drgn" else None)
    assert be is not None and be.name == backend
    bad = []
    for a in addrs:
        got = [(loc.function, loc.file, loc.line) for loc in be.locate(a)]
        if got and got[-1][0] == "??":  # assembly: no subprogram DIE, the symbol names it
            sym = table.at(a)
            assert sym is not None
            got[-1] = (sym.name, got[-1][1], got[-1][2])
        if _norm(got) != expected[hex(a)]:
            bad.append((hex(a), _norm(got), expected[hex(a)]))
    assert not bad, bad[:5]


def test_inline_chain_is_innermost_first(backend: str) -> None:
    image = ElfImage(str(FIXTURES / "image-gcc.elf"))
    table = symtab.from_elf(image)
    be = dwarf.open_backend(image, None, dwarf.DrgnLines if backend == "drgn" else None)
    assert be is not None
    outer = table.find("outer")[0]
    chain = be.locate(outer.addr + 8)
    assert [c.function for c in chain] == ["leaf_add", "middle", "outer"]
    assert [c.line for c in chain] == [12, 17, 24]
    assert chain[0].file == "inline.c" and chain[0].column == 11
