"""Bad inputs: one clear line, partial results kept, exit 2 only when nothing could be done."""

from __future__ import annotations

from pathlib import Path

import pytest
from symtest_util import DATA, FIXTURES

from a64triage.cli import main
from a64triage.console.records import Frame
from a64triage.errors import InputError
from a64triage.symbols import open_symbolizer, symtab

LOG = str(DATA / "fixture-oops-6x.log")


@pytest.mark.parametrize(("name", "problem"), [
    ("x86.o", "not an AArch64 ELF file"),
    ("image-truncated.elf", "malformed ELF"),
    ("image-stripped.elf", "stripped: no symbol table"),
    ("../inline.c", "not an ELF file"),
])
def test_unusable_vmlinux(name: str, problem: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / name)
    with pytest.raises(InputError, match=problem):
        open_symbolizer(path)
    assert main(["symbolize", "--vmlinux", path, LOG]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and problem in err


def test_missing_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["symbolize", "--vmlinux", "/nonexistent/vmlinux", LOG]) == 2
    assert main(["symbolize", "--vmlinux", str(FIXTURES / "image-clang.elf"), "/nonexistent.log"]) == 2
    assert main(["symbolize", "--vmlinux", str(FIXTURES / "image-clang.elf"),
                 "--modules", "/nonexistent-dir", LOG]) == 2
    assert main(["symbolize", LOG]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 4


def test_stripped_vmlinux_with_system_map_keeps_going(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["symbolize", "--vmlinux", str(FIXTURES / "image-stripped.elf"),
                 "--system-map", str(FIXTURES / "image-clang.System.map"), LOG]) == 0
    out, err = capsys.readouterr()
    assert "helper+0x8/0x40" in out and "no DWARF" in err


def test_corrupt_dwarf_keeps_function_offset(backend: str) -> None:
    sym = open_symbolizer(str(FIXTURES / "image-baddwarf.elf"))
    res = sym.symbolize_frame(Frame(function="outer", offset=8, size=0x24), is_return=False)
    assert (res.function, res.offset, res.size) == ("outer", 8, 0x24)
    assert res.locations == ()
    assert any("DWARF" in n or "no line information" in n for n in res.notes)


def test_kallsyms_without_privilege(tmp_path: Path) -> None:
    dump = tmp_path / "kallsyms"
    dump.write_text("0000000000000000 T _text\n0000000000000000 t helper\n")
    with pytest.raises(InputError, match="all addresses are zero"):
        symtab.load_text(str(dump))
    dump.write_text("this is not\na symbol table\n")
    with pytest.raises(InputError, match="no symbols"):
        symtab.load_text(str(dump))


def test_kallsyms_with_modules(tmp_path: Path) -> None:
    dump = tmp_path / "kallsyms"
    dump.write_text("ffff800008010000 T outer\nffff800008010024 T die_now\n"
                    "ffff800000f00000 t mod_work\t[test_mod]\n")
    table = symtab.load_text(str(dump))
    assert table.source is symtab.SymSource.KALLSYMS
    assert table.find("mod_work")[0].module == "test_mod"
    assert table.find("outer")[0].size == 0x24


def test_compressed_modules(tmp_path: Path) -> None:
    import gzip
    import lzma

    from a64triage.symbols import files

    raw = lzma.decompress((FIXTURES / "modules/kernel/drivers/test/test_mod.ko.xz").read_bytes())
    gz = tmp_path / "test-mod.ko.gz"
    gz.write_bytes(gzip.compress(raw))
    plain = files.decompressed(str(gz))
    assert Path(plain).read_bytes() == raw and files.module_key(str(gz)) == "test_mod"
    zst = tmp_path / "other.ko.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(InputError, match="zstd"):
        files.decompressed(str(zst))
    bad = tmp_path / "broken.ko.xz"
    bad.write_bytes(b"not xz at all")
    with pytest.raises(InputError, match="cannot decompress"):
        files.decompressed(str(bad))
    sym = open_symbolizer(str(FIXTURES / "image-clang.elf"), modules_dir=str(tmp_path))
    res = sym.symbolize_frame(Frame(function="mod_other", offset=0x10, size=0x30, module="broken"))
    assert res.notes == ("module broken not found",)
    assert any("cannot decompress" in p for p in sym.problems)
